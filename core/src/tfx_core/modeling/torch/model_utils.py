"""The reference's `PreTrainedModel` utilities that scripts call, mixed into tfx's base class.

Counting and footprint (`get_memory_footprint`, `estimate_tokens`, `floating_point_ops`),
extended attention masks, head masks, gradient checkpointing, input gradients for adapters,
model tags, decoder and output-embedding access, and `push_to_hub`. Each behaves as the
reference's method of the same name; what tfx does not run (tensor/pipeline parallel plans,
quantisation) answers as the reference does for a model without it.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError

logger = logging.getLogger("tfx_core.modeling")

#: The reference's `dummy_inputs` ids.
DUMMY_INPUTS = [[7, 6, 0, 0, 1], [1, 2, 3, 0, 0], [0, 0, 0, 4, 5]]
ATTN_IMPLEMENTATIONS = ("sdpa", "eager")
_CHECKPOINTED: dict[type, type] = {}


def _checkpointed_class(cls: type) -> type:
    """A subclass of layer class `cls` whose calls recompute activations in the backward pass."""
    if cls not in _CHECKPOINTED:

        def __call__(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
            if self.training and torch.is_grad_enabled():
                options = getattr(self, "_checkpoint_kwargs", {})
                call = functools.partial(super(checkpointed, self).__call__, **kwargs)
                return torch.utils.checkpoint.checkpoint(call, *args, **options)
            return super(checkpointed, self).__call__(*args, **kwargs)

        checkpointed = type(cls.__name__, (cls,), {"__call__": __call__, "_tfx_checkpointed": True})
        checkpointed.__module__ = cls.__module__
        checkpointed.__qualname__ = cls.__qualname__
        _CHECKPOINTED[cls] = checkpointed
    return _CHECKPOINTED[cls]


def _repeated_layers(model: nn.Module) -> list[nn.Module]:
    """The items of every `ModuleList` of identical, non-leaf modules (the layer stacks)."""
    layers = []
    for module in model.modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0:
            kinds = {type(item) for item in module}
            if len(kinds) == 1 and any(True for _ in module[0].children()):
                layers.extend(module)
    return layers


class ModelUtilsMixin:
    """Reference-compatible utilities of `PreTrainedModel` (PyTorch)."""

    supports_gradient_checkpointing: ClassVar[bool] = True
    is_parallelizable: ClassVar[bool] = False
    model_tags: list[str] | None = None
    framework: ClassVar[str] = "pt"
    #: tfx runs no kernels downloaded from the Hub
    use_kernels: ClassVar[bool] = False

    # ------------------------------------------------------------------ counting
    def get_memory_footprint(self, return_buffers: bool = True) -> int:
        """Bytes held by the parameters (and buffers)."""
        tensors = list(self.parameters()) + (list(self.buffers()) if return_buffers else [])
        return sum(t.nelement() * t.element_size() for t in tensors)

    def estimate_tokens(self, input_dict: dict[str, Any]) -> int:
        """Number of tokens in the main input of a batch (0, with a warning, when absent)."""
        if self.main_input_name in input_dict:
            return input_dict[self.main_input_name].numel()
        if "estimate_tokens" not in self.warnings_issued:
            logger.warning(
                "Could not estimate the number of tokens of the input (no %r); floating-point "
                "operations will not be computed.",
                self.main_input_name,
            )
            self.warnings_issued["estimate_tokens"] = True
        return 0

    def floating_point_ops(
        self, input_dict: dict[str, Any], exclude_embeddings: bool = True
    ) -> int:
        """Training FLOPs of one forward and backward pass: 6 x tokens x parameters."""
        return (
            6
            * self.estimate_tokens(input_dict)
            * self.num_parameters(exclude_embeddings=exclude_embeddings)
        )

    @property
    def warnings_issued(self) -> dict[str, bool]:
        """Warnings already shown for this model (each is shown once)."""
        return self.__dict__.setdefault("_warnings_issued", {})

    @property
    def dummy_inputs(self) -> dict[str, torch.Tensor]:
        return {"input_ids": torch.tensor(DUMMY_INPUTS, device=self.device)}

    def add_model_tags(self, tags: list[str] | str) -> None:
        """Tags written to the model card when the model is pushed to the Hub."""
        if isinstance(tags, str):
            tags = [tags]
        if self.model_tags is None:
            self.model_tags = []
        for tag in tags:
            if tag not in self.model_tags:
                self.model_tags.append(tag)

    @classmethod
    def can_generate(cls) -> bool:
        """Whether `generate` is available (the class derives from `GenerationMixin`)."""
        from tfx_core.generation.mixin import GenerationMixin

        return issubclass(cls, GenerationMixin)

    # ------------------------------------------------------------------ masks
    @staticmethod
    def create_extended_attention_mask_for_decoder(
        input_shape: tuple[int, int], attention_mask: torch.Tensor, device: Any = None
    ) -> torch.Tensor:
        """`[batch, 1, query, key]` of 0/1: causal and padding masks combined."""
        batch, length = input_shape
        device = attention_mask.device if device is None else device
        positions = torch.arange(length, device=device)
        causal = (positions[None, :] <= positions[:, None]).to(attention_mask.dtype)
        causal = causal.expand(batch, length, length)
        prefix = attention_mask.shape[1] - length
        if prefix > 0:  # cached keys before the queries are all visible
            visible = torch.ones(batch, length, prefix, device=device, dtype=causal.dtype)
            causal = torch.cat([visible, causal], dim=-1)
        return causal[:, None, :, :] * attention_mask[:, None, None, :]

    def get_extended_attention_mask(
        self,
        attention_mask: torch.Tensor,
        input_shape: tuple[int, ...],
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """A 0/1 mask `[batch, key]` or `[batch, query, key]` as an additive float mask
        broadcastable to `[batch, heads, query, key]` (0 kept, dtype minimum masked)."""
        dtype = self.dtype if dtype is None else dtype
        if attention_mask.dim() == 3:
            extended = attention_mask[:, None, :, :]
        elif attention_mask.dim() == 2:
            if self.config.is_decoder:
                extended = self.create_extended_attention_mask_for_decoder(
                    input_shape, attention_mask
                )
            else:
                extended = attention_mask[:, None, None, :]
        else:
            raise ConfigError(
                f"attention_mask must be [batch, key] or [batch, query, key], got shape "
                f"{tuple(attention_mask.shape)} for inputs of shape {tuple(input_shape)}."
            )
        extended = extended.to(dtype=dtype)
        return (1.0 - extended) * torch.finfo(dtype).min

    def invert_attention_mask(self, encoder_attention_mask: torch.Tensor) -> torch.Tensor:
        """An encoder's 0/1 mask as an additive mask `[batch, 1, 1 or query, key]`."""
        if encoder_attention_mask.dim() == 3:
            extended = encoder_attention_mask[:, None, :, :]
        elif encoder_attention_mask.dim() == 2:
            extended = encoder_attention_mask[:, None, None, :]
        else:
            raise ConfigError(
                "encoder_attention_mask must be [batch, key] or [batch, query, key], got shape "
                f"{tuple(encoder_attention_mask.shape)}."
            )
        extended = extended.to(dtype=self.dtype)
        return (1.0 - extended) * torch.finfo(self.dtype).min

    def get_head_mask(
        self,
        head_mask: torch.Tensor | None,
        num_hidden_layers: int,
        is_attention_chunked: bool = False,
    ) -> Any:
        """A head mask `[heads]` or `[layers, heads]` as `[layers, batch, heads, query, key]`
        (broadcastable), or a list of None per layer."""
        if head_mask is None:
            return [None] * num_hidden_layers
        if head_mask.dim() == 1:
            head_mask = head_mask[None, None, :, None, None].expand(
                num_hidden_layers, -1, -1, -1, -1
            )
        elif head_mask.dim() == 2:
            head_mask = head_mask[:, None, :, None, None]
        if head_mask.dim() != 5:
            raise ConfigError(
                f"head_mask must be [heads] or [layers, heads], got shape {tuple(head_mask.shape)}."
            )
        head_mask = head_mask.to(dtype=self.dtype)
        return head_mask.unsqueeze(-1) if is_attention_chunked else head_mask

    def warn_if_padding_and_no_attention_mask(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None
    ) -> None:
        """Warn once when `input_ids` look padded but no attention mask was given."""
        pad = getattr(self.config, "pad_token_id", None)
        if attention_mask is not None or pad is None or torch.jit.is_tracing():
            return
        if "padding_without_mask" in self.warnings_issued:
            return
        if bool((input_ids[:, [-1, 0]] == pad).any()):
            logger.warning(
                "input_ids may be padded (they contain pad_token_id %s at an edge) but no "
                "attention_mask was given: pass the tokenizer's attention_mask for correct "
                "results.",
                pad,
            )
            self.warnings_issued["padding_without_mask"] = True

    # ------------------------------------------------------------------ pruning
    def prune_heads(self, heads_to_prune: dict[int, list[int]]) -> None:
        """Remove attention heads, `{layer: [head ids]}`; recorded in `config.pruned_heads`
        (saved, and applied again when the model is loaded). Models on the core BERT-style
        encoder (or defining `_prune_heads`) support it."""
        from tfx_core.modeling.torch.blocks.pruning import prune_encoder_heads

        base = self.base_model
        if hasattr(base, "_prune_heads"):
            base._prune_heads(heads_to_prune)
        else:
            prune_encoder_heads(base, heads_to_prune)
        pruned = self.config.pruned_heads
        for layer, heads in heads_to_prune.items():
            pruned[int(layer)] = sorted(set(pruned.get(int(layer), [])) | {int(h) for h in heads})

    def _reapply_pruned_heads(self) -> None:
        """Prune again the heads `config.pruned_heads` records (models that support it)."""
        from tfx_core.modeling.torch.blocks.pruning import encoder_attentions

        pruned = getattr(self.config, "pruned_heads", None)
        if pruned and encoder_attentions(self.base_model) is not None:
            self.prune_heads(dict(pruned))

    # ------------------------------------------------------------------ training helpers
    def gradient_checkpointing_enable(
        self, gradient_checkpointing_kwargs: dict[str, Any] | None = None
    ) -> None:
        """Recompute each layer's activations during the backward pass instead of storing
        them (less memory, one more forward per layer). Applies to the repeated layers."""
        options = {"use_reentrant": True}
        options.update(gradient_checkpointing_kwargs or {})
        layers = _repeated_layers(self)
        if not layers:
            raise ConfigError(
                f"{type(self).__name__} has no stack of layers to checkpoint "
                "(supports_gradient_checkpointing is about repeated layers)."
            )
        for layer in layers:
            if not getattr(type(layer), "_tfx_checkpointed", False):
                layer.__class__ = _checkpointed_class(type(layer))
            layer._checkpoint_kwargs = options

    def gradient_checkpointing_disable(self) -> None:
        for module in self.modules():
            if getattr(type(module), "_tfx_checkpointed", False):
                module.__class__ = type(module).__mro__[1]
                module.__dict__.pop("_checkpoint_kwargs", None)

    @property
    def is_gradient_checkpointing(self) -> bool:
        return any(getattr(type(m), "_tfx_checkpointed", False) for m in self.modules())

    def enable_input_require_grads(self) -> None:
        """Make the input embeddings' output require grad (for frozen embeddings + adapters)."""

        def require_grad(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
            output.requires_grad_(True)

        if getattr(self, "_require_grads_hook", None) is None:
            hook = self.get_input_embeddings().register_forward_hook(require_grad)
            self._require_grads_hook = hook

    def disable_input_require_grads(self) -> None:
        hook = getattr(self, "_require_grads_hook", None)
        if hook is None:
            raise ConfigError("enable_input_require_grads() was not called on this model.")
        hook.remove()
        self._require_grads_hook = None

    # ------------------------------------------------------------------ module access
    def get_parameter_or_buffer(self, target: str) -> torch.Tensor:
        for getter in (self.get_parameter, self.get_buffer):
            try:
                return getter(target)
            except AttributeError:
                pass
        raise AttributeError(f"`{target}` is neither a parameter nor a buffer of this model.")

    def retrieve_modules_from_names(
        self, names: list[str], add_prefix: bool = False, remove_prefix: bool = False
    ) -> list[nn.Module]:
        """The modules owning the named parameters (`a.b.weight` -> module `a.b`)."""
        keys = {".".join(name.split(".")[:-1]) for name in names}
        keys |= {".".join(name.split(".")[:-2]) for name in names if name and name[-1].isdigit()}
        prefix = self.base_model_prefix
        found = []
        for name, module in self.named_modules():
            if remove_prefix:
                name = name.removeprefix(f"{prefix}.")
            elif add_prefix:
                name = f"{prefix}.{name}" if name else prefix
            if name in keys:
                found.append(module)
        return found

    def get_decoder(self) -> nn.Module:
        """The decoder stack: `self.decoder`, else the base model's, else the model itself."""
        if isinstance(getattr(self, "decoder", None), nn.Module):
            return self.decoder
        base = self._base_model()
        return base.get_decoder() if base is not None else self

    def set_decoder(self, decoder: nn.Module) -> None:
        if isinstance(getattr(self, "decoder", None), nn.Module):
            self.decoder = decoder
            return
        base = self._base_model()
        if base is None:
            raise ConfigError(f"{type(self).__name__} has no decoder attribute to replace.")
        base.set_decoder(decoder)

    def set_output_embeddings(self, new_embeddings: nn.Module) -> None:
        """Replace the vocabulary projection that `get_output_embeddings` returns."""
        current = self.get_output_embeddings()
        if current is None:
            raise ConfigError(f"{type(self).__name__} has no output embeddings to replace.")
        for module in self.modules():
            for child_name, child in module.named_children():
                if child is current:
                    setattr(module, child_name, new_embeddings)
                    return
        raise ConfigError(f"Could not find the output embeddings of {type(self).__name__}.")

    def get_position_embeddings(self) -> nn.Module:
        raise NotImplementedError(
            f"`get_position_embeddings` is not implemented for {type(self).__name__}; "
            "the reference implements it only for a few models."
        )

    def resize_position_embeddings(self, new_num_position_embeddings: int) -> None:
        raise NotImplementedError(
            f"`resize_position_embeddings` is not implemented for {type(self).__name__}; "
            "the reference implements it only for a few models."
        )

    # ------------------------------------------------------------------ init and ties
    def initialize_weights(self) -> None:
        """Initialise every module's weights with the model's scheme (`_init_weights`)."""
        self.apply(self._init_weights)

    def init_weights(self) -> None:
        """Re-initialise all weights, then tie them again."""
        self.initialize_weights()
        self.tie_weights()

    def tie_embeddings_and_encoder_decoder(self) -> None:
        """Tie the output to the input embeddings when the config asks for it."""
        self.tie_weights()

    # ------------------------------------------------------------------ attention choice
    def get_correct_attn_implementation(
        self, requested_attention: str | None, is_init_check: bool = False
    ) -> str:
        """The attention implementation to use: `requested_attention` if tfx has it (sdpa by
        default); anything else is refused with the choices."""
        if requested_attention is None:
            return "sdpa"
        if requested_attention not in ATTN_IMPLEMENTATIONS:
            raise ConfigError(
                f"attn_implementation {requested_attention!r} is not available in tfx; use one "
                f"of {', '.join(ATTN_IMPLEMENTATIONS)}."
            )
        return requested_attention

    def set_attn_implementation(self, attn_implementation: str | dict[str, str]) -> None:
        """Switch the attention implementation of this model (sdpa or eager)."""
        if isinstance(attn_implementation, dict):
            attn_implementation = attn_implementation.get("", None)
        self.config.attn_implementation = self.get_correct_attn_implementation(attn_implementation)

    @classmethod
    def is_backend_compatible(cls) -> bool:
        """Whether the class plugs into external attention backends (vLLM-style): no."""
        return False

    def dequantize(self) -> None:
        raise ConfigError(
            "This model is not quantized (tfx loads full-precision weights), so there is "
            "nothing to dequantize."
        )

    # ------------------------------------------------------------------ losses and compiling
    @property
    def loss_function(self) -> Any:
        """The reference's loss for this head (`ForCausalLM`, `ForMaskedLM`, ...), taking the
        reference's arguments; assign to replace it."""
        custom = self.__dict__.get("_loss_function")
        if custom is not None:
            return custom
        from tfx_core.modeling.torch.loss_functions import loss_for_class

        return loss_for_class(type(self).__name__)

    @loss_function.setter
    def loss_function(self, value: Any) -> None:
        self.__dict__["_loss_function"] = value

    def get_compiled_call(self, compile_config: Any = None) -> Any:
        """`torch.compile` of this model's call with `compile_config`'s options (a dict or an
        object with `to_dict()`), compiled once per config and reused."""
        options = compile_config.to_dict() if hasattr(compile_config, "to_dict") else compile_config
        options = dict(options or {})
        cached = self.__dict__.get("_compiled_call")
        if cached is None or cached[0] != options:
            cached = (options, torch.compile(self.__call__, **options))
            self.__dict__["_compiled_call"] = cached
        return cached[1]

    @classmethod
    def get_init_context(cls, is_quantized: bool = False, _is_ds_init_called: bool = False) -> list:
        """Context managers under which `from_pretrained` builds a model before loading
        weights: parameters on the meta device, weight init skipped."""
        from tfx_core.modeling.torch.meta_init import meta_parameters

        return [meta_parameters()]

    # ------------------------------------------------------------------ parallel plans
    @property
    def tp_plan(self) -> dict[str, str]:
        """Tensor-parallel plan: tfx models have none."""
        return {}

    @property
    def pp_plan(self) -> dict[str, Any]:
        """Pipeline-parallel plan: tfx models have none."""
        return {}

    @property
    def tp_size(self) -> int | None:
        return None

    @property
    def supports_tp_plan(self) -> bool:
        return False

    @property
    def supports_pp_plan(self) -> bool:
        return False

    @property
    def can_record_outputs(self) -> dict[str, Any]:
        """Output-recording hooks by output name: tfx models return their outputs directly."""
        return {}

    # ------------------------------------------------------------------ memory tracing
    def add_memory_hooks(self) -> None:
        """Record each module's resident-memory growth per forward in `mem_rss_diff`."""
        try:
            import psutil
        except ImportError as exc:
            raise ImportError("Memory tracing needs psutil: pip install psutil.") from exc

        process = psutil.Process(os.getpid())

        def before(module: nn.Module, *args: Any) -> None:
            module.mem_rss_pre_forward = process.memory_info().rss

        def after(module: nn.Module, *args: Any) -> None:
            module.mem_rss_post_forward = process.memory_info().rss
            grown = module.mem_rss_post_forward - module.mem_rss_pre_forward
            module.mem_rss_diff = grown + getattr(module, "mem_rss_diff", 0)

        for module in self.modules():
            module.register_forward_pre_hook(before)
            module.register_forward_hook(after)
        self.reset_memory_hooks_state()

    def reset_memory_hooks_state(self) -> None:
        for module in self.modules():
            module.mem_rss_diff = 0
            module.mem_rss_post_forward = 0
            module.mem_rss_pre_forward = 0

    # ------------------------------------------------------------------ hub
    def push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        private: bool | None = None,
        token: str | bool | None = None,
        revision: str | None = None,
        max_shard_size: int | str = "5GB",
        **kwargs: Any,
    ) -> str:
        """Save the model to a temporary folder and upload it to the Hub repository `repo_id`."""
        from tfx_core import hub

        if kwargs.pop("safe_serialization", True) is not True:
            raise ConfigError("tfx uploads only safetensors; drop safe_serialization=False.")
        if kwargs:
            raise ConfigError(f"push_to_hub() got unexpected arguments: {', '.join(kwargs)}.")
        with tempfile.TemporaryDirectory() as folder:
            self.save_pretrained(folder, max_shard_size=max_shard_size)
            return hub.push_to_hub(
                folder,
                repo_id,
                token=token,
                private=private,
                revision=revision,
                commit_message=commit_message or "Upload model",
            )
