"""Speech encoder parts shared by Wav2Vec2, HuBERT and their relatives, with checkpoint names.

- `ConvFeatureEncoder` (`conv_layers.N.conv` / `.layer_norm`): the waveform -> frames CNN, in the
  reference's three layer kinds (no norm, a GroupNorm on the first layer only, LayerNorm); at
  inference on CPU as time-major matrix products (`speech_frames`).
- `PositionalConvEmbedding` (`conv` under weight normalisation, `parametrizations.weight.
  original0/1`; old checkpoints' `weight_g` / `weight_v` are renamed by `WEIGHT_NORM_RENAMES`).
- `feature_lengths` and `frame_attention_mask`: sample lengths -> frame lengths and masks.
- `SpeechEncoder`: zeroed padding, positional convolution, the encoder layers (post-norm or
  "stable layer norm" pre-norm) and their LayerNorm.
- (`speech_model`: the base model and the pre-trained rules built from these.)
- `ctc_loss`: the reference's CTC loss over frame logits.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import _WeightNorm
from torch.nn.utils.parametrize import ParametrizationList

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.activations import get_activation
from tfx_core.modeling.torch.blocks import fft_conv, speech_frames
from tfx_core.modeling.torch.blocks.pre_norm_encoder import run_layers
from tfx_core.modeling.torch.lean import LeanGuard, all_trusted, trusted_forward
from tfx_core.modeling.torch.masks import attention_bias
from tfx_core.weights.rename import RenameRules

#: Old weight-norm keys -> PyTorch parametrization keys (plus the core's LayerNorm renames).
WEIGHT_NORM_RENAMES = [
    (r"(.*)\.conv\.weight_g$", r"\1.conv.parametrizations.weight.original0"),
    (r"(.*)\.conv\.weight_v$", r"\1.conv.parametrizations.weight.original1"),
]


def speech_rename_rules(base: RenameRules) -> RenameRules:
    return RenameRules([*base.rules, *WEIGHT_NORM_RENAMES])


for _torch_class in (nn.Conv1d, nn.GroupNorm):  # their math is what `speech_frames` computes
    trusted_forward(_torch_class)


@trusted_forward
class ConvLayer(nn.Module):
    """One feature-encoder layer: `conv`, an optional `layer_norm` (LayerNorm over channels or
    GroupNorm with one group per channel), the activation."""

    def __init__(self, config: Any, index: int, norm: str | None) -> None:
        super().__init__()
        dims = config.conv_dim
        source = dims[index - 1] if index > 0 else 1
        out = dims[index]
        self.conv = nn.Conv1d(
            source,
            out,
            kernel_size=config.conv_kernel[index],
            stride=config.conv_stride[index],
            bias=config.conv_bias,
        )
        self.norm_kind = norm
        if norm == "layer":
            self.layer_norm = nn.LayerNorm(out, elementwise_affine=True)
        elif norm == "group":
            self.layer_norm = nn.GroupNorm(num_groups=out, num_channels=out, affine=True)
        self.activation = get_activation(config.feat_extract_activation)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        hidden = self.conv(hidden)
        if self.norm_kind == "layer":
            hidden = self.layer_norm(hidden.transpose(-2, -1)).transpose(-2, -1)
        elif self.norm_kind == "group":
            hidden = self.layer_norm(hidden)
        return self.activation(hidden)


@trusted_forward
class ConvFeatureEncoder(nn.Module):
    """`input_values [batch, samples]` -> `[batch, channels, frames]`.

    At inference on CPU the layers run as time-major matrix products (`speech_frames`; the
    result is then a transposed view of `[batch, frames, channels]`) while nothing observes
    the modules: no hook, no patched `forward`, fast paths on (`LeanGuard`).
    """

    def __init__(self, config: Any) -> None:
        super().__init__()
        kind = config.feat_extract_norm
        if kind not in ("group", "layer"):
            raise ConfigError(f"feat_extract_norm must be 'group' or 'layer', got {kind!r}.")
        norms = ["group" if i == 0 else None for i in range(len(config.conv_dim))]
        if kind == "layer":
            norms = ["layer"] * len(config.conv_dim)
        self.conv_layers = nn.ModuleList(ConvLayer(config, i, norm) for i, norm in enumerate(norms))

    def forward(self, input_values: torch.Tensor) -> torch.Tensor:
        if input_values.dim() != 2:
            raise ConfigError(
                f"input_values must be [batch, samples] (mono waveforms), got "
                f"{tuple(input_values.shape)}. Prepare audio with the model's feature extractor."
            )
        if self._as_frames(input_values):
            return speech_frames.feature_frames(self.conv_layers, input_values).transpose(1, 2)
        hidden = input_values[:, None]
        for layer in self.conv_layers:
            hidden = layer(hidden)
        return hidden

    def _as_frames(self, input_values: torch.Tensor) -> bool:
        """Whether the time-major products may run now (see the class doc)."""
        if torch.is_grad_enabled() or not speech_frames.applies(self.conv_layers, input_values):
            return False
        guard = self.__dict__.get("_frames_guard")
        if guard is None or not guard[0].same_structure():
            guard = self.__dict__["_frames_guard"] = (LeanGuard(self), all_trusted(self))
        return guard[1] and guard[0].unobserved()


def feature_lengths(lengths: torch.Tensor | int, config: Any) -> torch.Tensor | int:
    """Frames the feature encoder makes from `lengths` samples."""
    for kernel, stride in zip(config.conv_kernel, config.conv_stride):
        if isinstance(lengths, int):
            lengths = (lengths - kernel) // stride + 1
        else:
            lengths = torch.div(lengths - kernel, stride, rounding_mode="floor") + 1
    return lengths


def frame_attention_mask(frames: int, attention_mask: torch.Tensor, config: Any) -> torch.Tensor:
    """A `[batch, frames]` bool mask of the frames made from each clip's unpadded samples."""
    lengths = feature_lengths(attention_mask.cumsum(dim=-1)[:, -1], config).to(torch.long)
    positions = torch.arange(frames, device=attention_mask.device)
    return positions[None, :] < lengths[:, None]


for _torch_class in (nn.ModuleDict, ParametrizationList, _WeightNorm):  # the weight norm
    trusted_forward(_torch_class)


@trusted_forward
class PositionalConvEmbedding(nn.Module):
    """A grouped, weight-normalised convolution over time as relative position information.

    At inference on CPU, for inputs long enough (`fft_conv.worthwhile`), the convolution runs
    as a product of spectra with the weights' spectrum kept (`fft_conv`), while nothing
    observes the modules (no hook, no patched `forward`, fast paths on: `LeanGuard`).
    """

    def __init__(self, config: Any) -> None:
        super().__init__()
        kernel = config.num_conv_pos_embeddings
        conv = nn.Conv1d(
            config.hidden_size,
            config.hidden_size,
            kernel_size=kernel,
            padding=kernel // 2,
            groups=config.num_conv_pos_embedding_groups,
        )
        self.conv = nn.utils.parametrizations.weight_norm(conv, name="weight", dim=2)
        self.remove = 1 if kernel % 2 == 0 else 0
        self.activation = get_activation(config.feat_extract_activation)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if self._spectral(hidden):
            conv = self.conv
            kernel = conv.kernel_size[0]
            size = fft_conv.segment_size(kernel)
            spectrum = fft_conv.cached_spectrum(conv, size)
            out = fft_conv.spectral_conv(hidden, spectrum, conv.bias, kernel, conv.padding[0], size)
            return self.activation(out)
        hidden = self.conv(hidden.transpose(1, 2))
        if self.remove:
            hidden = hidden[:, :, : -self.remove]
        return self.activation(hidden).transpose(1, 2)

    def _spectral(self, hidden: torch.Tensor) -> bool:
        """Whether the FFT path may run now (see the class doc)."""
        conv = self.conv
        if (
            torch.is_grad_enabled()
            or hidden.dtype != torch.float32
            or hidden.device.type != "cpu"
            or hidden.dim() != 3
            or conv.bias is None
            or conv.bias.dtype != torch.float32
            or conv.stride != (1,)
            or conv.dilation != (1,)
            or conv.padding_mode != "zeros"
            or conv.padding[0] * 2 != conv.kernel_size[0] - (1 - self.remove)
            or not fft_conv.worthwhile(hidden.shape[1], conv.kernel_size[0])
        ):
            return False
        guard = self.__dict__.get("_fft_guard")
        if guard is None or not guard[0].same_structure():
            guard = self.__dict__["_fft_guard"] = (LeanGuard(self), all_trusted(self))
        return guard[1] and guard[0].unobserved()


class SpeechEncoder(nn.Module):
    """`pos_conv_embed`, `layer_norm`, `layers`; `layer_class` is set by the plugin.

    Post-norm (`stable_layer_norm = False`): LayerNorm after adding positions, then the layers.
    Stable layer norm (`stable_layer_norm = True` on the subclass): the layers (pre-norm), then
    the LayerNorm.
    """

    layer_class: type[nn.Module]
    stable_layer_norm: bool = False

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.pos_conv_embed = PositionalConvEmbedding(config)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layers = nn.ModuleList(
            self.layer_class(config) for _ in range(config.num_hidden_layers)
        )

    def forward(
        self,
        hidden_states: torch.Tensor,
        frame_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        bias = None
        if frame_mask is not None:
            hidden_states = hidden_states.masked_fill(~frame_mask[..., None], 0.0)
            bias, _ = attention_bias(
                frame_mask.to(torch.long),
                query_length=hidden_states.shape[1],
                dtype=hidden_states.dtype,
                device=hidden_states.device,
            )
        hidden_states = hidden_states + self.pos_conv_embed(hidden_states)
        if not self.stable_layer_norm:
            hidden_states = self.layer_norm(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states, all_hidden, attentions = run_layers(
            self.layers,
            hidden_states,
            attention_bias=bias,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        if self.stable_layer_norm:
            hidden_states = self.layer_norm(hidden_states)
            if all_hidden is not None:
                all_hidden = (*all_hidden[:-1], hidden_states)
        return hidden_states, all_hidden, attentions


def ctc_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    attention_mask: torch.Tensor | None,
    input_values: torch.Tensor,
    config: Any,
) -> torch.Tensor:
    """CTC loss of frame `logits` against `labels` (padded with negatives), blank = pad id."""
    if labels.max() >= config.vocab_size:
        raise ConfigError(
            f"labels hold ids up to {int(labels.max())} but the vocabulary has "
            f"{config.vocab_size} entries."
        )
    if attention_mask is None:
        attention_mask = torch.ones_like(input_values, dtype=torch.long)
    input_lengths = feature_lengths(attention_mask.sum(-1), config).to(torch.long)
    kept = labels >= 0
    log_probs = nn.functional.log_softmax(logits, dim=-1, dtype=torch.float32).transpose(0, 1)
    with torch.backends.cudnn.flags(enabled=False):
        return nn.functional.ctc_loss(
            log_probs,
            labels.masked_select(kept),
            input_lengths,
            kept.sum(-1),
            blank=config.pad_token_id,
            reduction=config.ctc_loss_reduction,
            zero_infinity=config.ctc_zero_infinity,
        )
