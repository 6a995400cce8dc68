"""`PreTrainedModel`: the PyTorch base every architecture's modules derive from.

This module holds what a model is: its config, weight init (the reference's scheme), tying,
output flags, embeddings access and resizing, device and dtype. Loading lives in `loading`
(`from_pretrained`, dtype resolution), building on the meta device in `meta_init`, and saving
in `saving`; their public names are re-exported here, so existing imports keep working.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.adapters.mixin import AdapterMixin
from tfx_core.modeling.torch.linear import Linear
from tfx_core.modeling.torch.loading import (
    LEGACY_RENAMES,
    LoadingMixin,
    _split_key,
    resolve_dtype,
)
from tfx_core.modeling.torch.meta_init import gc_paused, is_loading, meta_parameters
from tfx_core.modeling.torch.model_utils import ModelUtilsMixin
from tfx_core.modeling.torch.saving import SavingMixin
from tfx_core.weights import LoadReport, RenameRules


class PreTrainedModel(LoadingMixin, SavingMixin, ModelUtilsMixin, AdapterMixin, nn.Module):
    """Base class of tfx PyTorch models: loading, saving, weight tying, dtype and device.

    Subclasses set `config_class`, `base_model_prefix` (the attribute holding the base model in
    head classes, e.g. "bert"), `tied_weights` (alias key -> source key, tied when
    `config.tie_word_embeddings`), `shared_weights` (the same, always tied),
    `ignore_unexpected_keys` / `ignore_missing_keys` (regexes of harmless differences), and
    implement `_init_weights(module)`. Each `__init__` ends with `self.post_init()`.
    """

    config_class: ClassVar[type[PretrainedConfig]] = PretrainedConfig
    base_model_prefix: ClassVar[str] = ""
    main_input_name: ClassVar[str] = "input_ids"
    tied_weights: ClassVar[dict[str, str]] = {}
    shared_weights: ClassVar[dict[str, str]] = {}
    ignore_unexpected_keys: ClassVar[list[str]] = []
    ignore_missing_keys: ClassVar[list[str]] = []
    load_rename_rules: ClassVar[RenameRules] = LEGACY_RENAMES
    #: Submodule path of the vocabulary projection `get_output_embeddings` returns (None: none).
    output_embeddings_attribute: ClassVar[str | None] = None

    def __init__(self, config: PretrainedConfig) -> None:
        if not isinstance(config, PretrainedConfig):
            raise ConfigError(
                f"{type(self).__name__} expects a PretrainedConfig, got {type(config).__name__}."
            )
        super().__init__()
        self.config = config
        self.load_report: LoadReport | None = None

    # ------------------------------------------------------------ init / tying
    def _init_weights(self, module: nn.Module) -> None:
        """Initialise one module's own parameters: the reference's scheme by default.

        Linear and embedding weights ~ normal(0, `config.initializer_range`) (0.02 if unset),
        biases and the padding row zero, layer norms one/zero. Architectures override this
        (calling `super()._init_weights(module)`) for what is their own.
        """
        std = getattr(self.config, "initializer_range", 0.02)
        with torch.no_grad():
            if isinstance(module, nn.Linear):
                module.weight.normal_(mean=0.0, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Embedding):
                module.weight.normal_(mean=0.0, std=std)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                if module.weight is not None:
                    module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.zero_()

    def _apply(self, fn: Any, recurse: bool = True) -> PreTrainedModel:
        """`nn.Module._apply` (behind `.to()`, `.cuda()`, `.half()`), then forget the oneDNN
        copies of weights that moved, so a model sent to a GPU keeps no CPU copies."""
        from tfx_core.modeling.torch.onednn import drop_moved_layouts

        result = super()._apply(fn, recurse)
        drop_moved_layouts()
        return result

    def post_init(self) -> None:
        """Initialise weights (unless loading) and tie them; call at the end of `__init__`.

        Plain `nn.Linear` layers become the core `Linear` (same parameters and keys; faster
        for short inputs on CPU, identical otherwise), so plugins write ordinary PyTorch.
        """
        for module in self.modules():
            if type(module) is nn.Linear:
                module.__class__ = Linear
        self._reapply_pruned_heads()
        if not is_loading():
            self.apply(self._init_weights)
        self.tie_weights()

    # ------------------------------------------------------------ outputs
    def output_flags(
        self, output_attentions: bool | None, output_hidden_states: bool | None
    ) -> tuple[bool, bool]:
        """`output_attentions` / `output_hidden_states`, None meaning the config's choice."""
        config = self.config
        return (
            config.output_attentions if output_attentions is None else bool(output_attentions),
            config.output_hidden_states
            if output_hidden_states is None
            else bool(output_hidden_states),
        )

    def model_outputs(self, outputs: ModelOutput, return_dict: bool | None) -> Any:
        """The output object, or its tuple when `return_dict` (else the config) says so."""
        use_dict = self.config.return_dict if return_dict is None else return_dict
        return outputs if use_dict else outputs.to_tuple()

    @property
    def base_model(self) -> nn.Module:
        """The base model inside a head (`self.bert`, ...), or the model itself."""
        return self._base_model() or self

    def _tied_pairs(self) -> dict[str, str]:
        """Alias key -> source key for every tie in force for this config."""
        pairs = dict(self.shared_weights)
        if getattr(self.config, "tie_word_embeddings", True):
            pairs.update(self.tied_weights)
        return pairs

    def tie_weights(self) -> None:
        """Make each tied alias the very same Parameter as its source."""
        for alias, source in self._tied_pairs().items():
            try:
                source_param = self.get_parameter(source)
                module_name, name = _split_key(alias)
                module = self.get_submodule(module_name)
            except AttributeError:
                continue  # this class does not have that pair (e.g. a base model)
            setattr(module, name, source_param)

    def _base_model(self) -> nn.Module | None:
        base = getattr(self, self.base_model_prefix, None) if self.base_model_prefix else None
        return base if isinstance(base, PreTrainedModel) and base is not self else None

    def get_input_embeddings(self) -> nn.Module:
        base = self._base_model()
        if base is not None:
            return base.get_input_embeddings()
        raise NotImplementedError(f"{type(self).__name__} does not define its input embeddings.")

    def set_input_embeddings(self, value: nn.Module) -> None:
        base = self._base_model()
        if base is None:
            raise NotImplementedError(
                f"{type(self).__name__} does not define its input embeddings."
            )
        base.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module | None:
        """The vocabulary projection of LM heads (tied to the input embeddings), else None.

        Models name it with the class attribute `output_embeddings_attribute` (a submodule path
        such as `"lm_head"` or `"cls.predictions.decoder"`) instead of overriding this method.
        """
        if self.output_embeddings_attribute is None:
            return None
        return self.get_submodule(self.output_embeddings_attribute)

    def resize_token_embeddings(self, new_num_tokens: int) -> nn.Embedding:
        """Grow or shrink the vocabulary: old rows kept, new rows initialised, ties kept."""
        old = self.get_input_embeddings()
        new = nn.Embedding(
            new_num_tokens,
            old.embedding_dim,
            padding_idx=old.padding_idx if (old.padding_idx or 0) < new_num_tokens else None,
            device=old.weight.device,
            dtype=old.weight.dtype,
        )
        _init_keeping_rows(new, old, self._init_weights)
        self.set_input_embeddings(new)
        output = self.get_output_embeddings()
        if isinstance(output, nn.Linear):
            fresh = nn.Linear(
                output.in_features,
                new_num_tokens,
                bias=output.bias is not None,
                device=output.weight.device,
                dtype=output.weight.dtype,
            )
            _init_keeping_rows(fresh, output, self._init_weights)
            old_bias = output.bias
            if output.weight is not old.weight:  # untied: keep its own (resized) weights
                output.weight = fresh.weight
            if old_bias is not None:
                output.bias = fresh.bias
                self._redirect_shared(old_bias, fresh.bias)
            output.out_features = new_num_tokens
        self.config.vocab_size = new_num_tokens
        self.tie_weights()
        return new

    def _redirect_shared(self, old: nn.Parameter, new: nn.Parameter) -> None:
        """Point every `shared_weights` source that held `old` at `new` (before re-tying)."""
        for source in self.shared_weights.values():
            with contextlib.suppress(AttributeError):
                if self.get_parameter(source) is old:
                    module_name, name = _split_key(source)
                    setattr(self.get_submodule(module_name), name, new)

    # ------------------------------------------------------------ properties
    @property
    def device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        for tensor in self.parameters():
            if tensor.is_floating_point():
                return tensor.dtype
        return torch.float32

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Parameter count, each shared parameter counted once."""
        skip: set[int] = set()
        if exclude_embeddings:
            skip = {id(m.weight) for m in self.modules() if isinstance(m, nn.Embedding)}
        total = 0
        for param in self.parameters():  # parameters() yields a shared Parameter once
            if id(param) in skip or (only_trainable and not param.requires_grad):
                continue
            total += param.numel()
        return total

    # ------------------------------------------------------------ construction
    @classmethod
    def from_config(
        cls,
        config: PretrainedConfig,
        *,
        dtype: Any = None,
        device: str | torch.device | None = None,
        attn_implementation: str | None = None,
        **kwargs: Any,
    ) -> PreTrainedModel:
        """A new model with freshly initialised weights (as for training from scratch)."""
        if attn_implementation is not None:
            config.attn_implementation = attn_implementation
            config.validate()
        model = cls(config, **kwargs)
        target = resolve_dtype(dtype, config) if dtype is not None else None
        if target is not None or device is not None:
            model.to(device=device, dtype=target)
        return model


def _init_keeping_rows(new: nn.Module, old: nn.Module, init: Any) -> None:
    """Initialise `new` like a fresh module, then copy the rows it shares with `old`."""
    init(new)
    with torch.no_grad():
        for name, param in new.named_parameters():
            previous = getattr(old, name, None)
            if previous is not None:
                rows = min(param.shape[0], previous.shape[0])
                param[:rows] = previous[:rows]


__all__ = [
    "LEGACY_RENAMES",
    "PreTrainedModel",
    "gc_paused",
    "is_loading",
    "meta_parameters",
    "resolve_dtype",
]
