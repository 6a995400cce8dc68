"""Map every Keras variable to its PyTorch checkpoint name by walking the layer tree.

A layer's attribute name is one segment of the key, as in PyTorch (`encoder.layer.0.attention.
self.query.weight`); list attributes add the index. The variable's own name gives the last
segment: Keras built-ins are renamed (`Dense` kernel -> transposed `weight`, `LayerNormalization`
gamma/beta -> `weight`/`bias`, `Embedding` embeddings -> `weight`), variables of tfx layers
already carry PyTorch names. Attribute names that clash with Keras properties (`output`) are
written with a trailing underscore (`output_`), which is dropped. Keras's own variable paths are
never used, so the mapping does not depend on layer creation order or auto-generated names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from tfx_core.modeling.keras.backend import keras, tf


class WeightSlot(NamedTuple):
    """A Keras variable and whether its value is the transpose of the PyTorch tensor."""

    variable: Any
    transpose: bool

    @property
    def torch_shape(self) -> tuple[int, ...]:
        shape = tuple(int(n) for n in self.variable.shape)
        return shape[::-1] if self.transpose else shape


#: (Keras layer class, variable name) -> (PyTorch name, transposed)
_BUILTIN_NAMES = (
    (keras.layers.Dense, {"kernel": ("weight", True), "bias": ("bias", False)}),
    (keras.layers.LayerNormalization, {"gamma": ("weight", False), "beta": ("bias", False)}),
    (keras.layers.Embedding, {"embeddings": ("weight", False)}),
)


def _torch_name(layer: Any, variable: Any) -> tuple[str, bool]:
    name = variable.name.rpartition("/")[2]
    for cls, names in _BUILTIN_NAMES:
        if isinstance(layer, cls):
            return names.get(name, (name, False))
    return name, False


def _own_variables(layer: Any) -> list[Any]:
    return [*layer._trainable_variables, *layer._non_trainable_variables]


def _children(layer: Any) -> Iterator[tuple[str, Any]]:
    for attr, value in vars(layer).items():
        if attr.startswith("_"):
            continue
        name = attr[:-1] if attr.endswith("_") else attr
        if isinstance(value, keras.layers.Layer):
            yield name, value
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, keras.layers.Layer):
                    yield f"{name}.{i}", item


def named_weights(root: Any) -> dict[str, WeightSlot]:
    """PyTorch key -> `WeightSlot` for every variable under `root` (each variable once)."""
    slots: dict[str, WeightSlot] = {}
    seen_layers: set[int] = set()
    seen_variables: set[int] = set()

    def visit(layer: Any, prefix: str) -> None:
        if id(layer) in seen_layers:
            return
        seen_layers.add(id(layer))
        for variable in _own_variables(layer):
            if id(variable) in seen_variables:
                continue
            seen_variables.add(id(variable))
            name, transpose = _torch_name(layer, variable)
            slots[prefix + name] = WeightSlot(variable, transpose)
        for name, child in _children(layer):
            visit(child, f"{prefix}{name}.")

    visit(root, "")
    return slots


def to_numpy(slot: WeightSlot) -> Any:
    """The variable's value in PyTorch layout (a numpy array)."""
    value = slot.variable.numpy()
    return value.T if slot.transpose else value


def assign(slot: WeightSlot, array: Any) -> None:
    """Set the variable from a PyTorch-layout array (cast to the variable's dtype)."""
    value = tf.convert_to_tensor(array)
    if slot.transpose:
        value = tf.transpose(value)
    slot.variable.assign(tf.cast(value, slot.variable.dtype))
