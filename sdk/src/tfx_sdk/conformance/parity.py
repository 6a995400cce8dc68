"""Parity with the reference for models the text-only kit cannot drive (images, audio, ...).

`check_parity(ours_class, reference_class, config, inputs, outputs=("logits",), atol=1e-5,
folder=...)` builds the reference model, moves every weight away from its initial value (biases,
norms and batch-norm statistics too, so none is checked at a trivial value), saves it, loads it
with tfx (strictly), compares the named outputs (with hidden states and attentions asked for),
saves with tfx, checks the key sets are equal, loads that back into the reference and compares
again. The kit's pytest plugin offers it as the `check_parity` fixture.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


def perturb(model: Any, seed: int = 1, scale: float = 0.05) -> None:
    """Random offsets (std `scale`) on every parameter and on batch-norm running statistics."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * scale)
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.add_(torch.randn(buffer.shape, generator=generator) * 0.1)
            elif name.endswith("running_var"):
                buffer.mul_(0.5 + torch.rand(buffer.shape, generator=generator))


def saved_keys(folder: Path) -> set[str]:
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as handle:
        return set(handle.keys())


def compare_outputs(ours: Any, theirs: Any, names: Iterable[str], atol: float, where: str) -> None:
    """Each named output (a tensor or a tuple of tensors) within `atol` of the reference's."""
    for name in names:
        a, b = ours[name], theirs[name]
        if isinstance(b, (tuple, list)):
            assert len(a) == len(b), f"{where}: {name} has {len(a)} items, expected {len(b)}"
            for x, y in zip(a, b):
                assert (x - y).abs().max() <= atol, f"{where}: {name} differs"
        else:
            assert a.shape == b.shape, f"{where}: {name} shape {a.shape} vs {b.shape}"
            diff = (a - b).abs().max().item()
            assert diff <= atol, f"{where}: {name} max |diff| {diff:.2e} > {atol}"


def check_parity(
    ours_class: Any,
    reference_class: Any,
    config: Any,
    inputs: dict[str, Any],
    outputs: Iterable[str] = ("logits",),
    atol: float = 1e-5,
    *,
    folder: Path,
) -> tuple[Any, Any]:
    """Both directions through files (see module doc); returns (tfx model, reference model)."""
    import torch

    outputs = tuple(outputs)
    torch.manual_seed(0)
    config._attn_implementation = "eager"  # the reference returns attentions only eagerly
    reference = reference_class(config).eval()
    perturb(reference)
    reference.save_pretrained(folder / "hf")
    ours = ours_class.from_pretrained(folder / "hf", strict=True)
    options = {"output_hidden_states": True, "output_attentions": True, "return_dict": True}
    with torch.no_grad():
        expected = reference(**inputs, **options)
        got = ours(**inputs, **options)
    compare_outputs(got, expected, outputs, atol, "transformers -> tfx")
    ours.save_pretrained(folder / "tfx")
    assert saved_keys(folder / "tfx") == saved_keys(folder / "hf"), "saved key sets differ"
    back, info = reference_class.from_pretrained(
        folder / "tfx", output_loading_info=True, attn_implementation="eager"
    )
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    with torch.no_grad():
        again = back.eval()(**inputs, **options)
    compare_outputs(again, expected, outputs, atol, "tfx -> transformers")
    return ours, reference
