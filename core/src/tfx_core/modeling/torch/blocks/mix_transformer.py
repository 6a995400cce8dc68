"""The Mix Transformer (MiT): the hierarchical encoder of SegFormer and GLPN.

Each stage embeds the previous stage's feature map `[batch, channels, height, width]` with an
overlapping strided convolution, runs pre-norm layers on the flattened tokens (attention whose
keys and values come from a spatially reduced map; a feed-forward with a depthwise 3x3
convolution) and returns its tokens as a map again. Submodule names are the checkpoint names;
a plugin names its classes by one-line subclasses that set the `*_class` attributes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.activations import get_activation


class DropPath(nn.Module):
    """Stochastic depth: in training, drop a sample's whole residual branch with probability p."""

    def __init__(self, probability: float) -> None:
        super().__init__()
        self.probability = probability

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if not self.training or self.probability == 0.0:
            return hidden
        keep = 1.0 - self.probability
        shape = (hidden.shape[0],) + (1,) * (hidden.dim() - 1)
        mask = (keep + torch.rand(shape, dtype=hidden.dtype, device=hidden.device)).floor_()
        return hidden.div(keep) * mask  # the reference's draw: same samples for one seed


class OverlapPatchEmbeddings(nn.Module):
    """A strided convolution with overlap (padding = kernel // 2), then a LayerNorm."""

    def __init__(self, patch_size: int, stride: int, in_channels: int, hidden: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(
            in_channels, hidden, kernel_size=patch_size, stride=stride, padding=patch_size // 2
        )
        self.layer_norm = nn.LayerNorm(hidden)

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        maps = self.proj(pixels)
        height, width = maps.shape[-2:]
        return self.layer_norm(maps.flatten(2).transpose(1, 2)), height, width


def _as_map(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """`[batch, height * width, channels]` -> `[batch, channels, height, width]`."""
    batch, _, channels = tokens.shape
    return tokens.transpose(1, 2).reshape(batch, channels, height, width)


class EfficientSelfAttention(nn.Module):
    """Attention whose keys and values come from the map shrunk `sr_ratio` times (a strided
    convolution and a LayerNorm) when `sr_ratio > 1`."""

    def __init__(self, config: Any, hidden: int, heads: int, sr_ratio: int) -> None:
        super().__init__()
        self.num_heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dropout = config.attention_probs_dropout_prob
        self.sr_ratio = sr_ratio
        if sr_ratio > 1:
            self.sr = nn.Conv2d(hidden, hidden, kernel_size=sr_ratio, stride=sr_ratio)
            self.layer_norm = nn.LayerNorm(hidden)

    def _heads(self, states: torch.Tensor) -> torch.Tensor:
        batch, length, width = states.shape
        return states.view(batch, length, self.num_heads, width // self.num_heads).transpose(1, 2)

    def forward(
        self, hidden: torch.Tensor, height: int, width: int, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, length, channels = hidden.shape
        query = self._heads(self.query(hidden))
        source = hidden
        if self.sr_ratio > 1:
            reduced = self.sr(_as_map(hidden, height, width))
            source = self.layer_norm(reduced.reshape(batch, channels, -1).transpose(1, 2))
        key, value = self._heads(self.key(source)), self._heads(self.value(source))
        dropout = self.dropout if self.training else 0.0
        weights = None
        if output_attentions:
            scores = query @ key.transpose(-1, -2) / (query.shape[-1] ** 0.5)
            weights = scores.softmax(dim=-1)
            context = nn.functional.dropout(weights, dropout, self.training) @ value
        else:
            context = nn.functional.scaled_dot_product_attention(
                query, key, value, dropout_p=dropout
            )
        return context.transpose(1, 2).reshape(batch, length, channels), weights


class MixSelfOutput(nn.Module):
    """The attention's output projection and dropout."""

    def __init__(self, config: Any, hidden: int) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.dense(hidden))


class MixAttention(nn.Module):
    """`self` (efficient self-attention) then `output` (projection)."""

    self_class: ClassVar[type[nn.Module]] = EfficientSelfAttention
    output_class: ClassVar[type[nn.Module]] = MixSelfOutput

    def __init__(self, config: Any, hidden: int, heads: int, sr_ratio: int) -> None:
        super().__init__()
        self.self = self.self_class(config, hidden, heads, sr_ratio)
        self.output = self.output_class(config, hidden)

    def forward(
        self, hidden: torch.Tensor, height: int, width: int, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = self.self(hidden, height, width, output_attentions)
        return self.output(context), weights


class DepthwiseConv(nn.Module):
    """A depthwise 3x3 convolution over the token map."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 3, 1, 1, bias=True, groups=dim)

    def forward(self, hidden: torch.Tensor, height: int, width: int) -> torch.Tensor:
        return self.dwconv(_as_map(hidden, height, width)).flatten(2).transpose(1, 2)


class MixFFN(nn.Module):
    """dense1, depthwise conv, activation, dense2 (dropout after each dense)."""

    dwconv_class: ClassVar[type[nn.Module]] = DepthwiseConv

    def __init__(self, config: Any, hidden: int, inner: int) -> None:
        super().__init__()
        self.dense1 = nn.Linear(hidden, inner)
        self.dwconv = self.dwconv_class(inner)
        self.intermediate_act_fn = get_activation(config.hidden_act)
        self.dense2 = nn.Linear(inner, hidden)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: torch.Tensor, height: int, width: int) -> torch.Tensor:
        hidden = self.intermediate_act_fn(self.dwconv(self.dense1(hidden), height, width))
        return self.dropout(self.dense2(self.dropout(hidden)))


class MixLayer(nn.Module):
    """Pre-norm attention and Mix-FFN, each a residual branch with stochastic depth."""

    attention_class: ClassVar[type[nn.Module]] = MixAttention
    mlp_class: ClassVar[type[nn.Module]] = MixFFN
    drop_path_class: ClassVar[type[nn.Module]] = DropPath

    def __init__(self, config: Any, stage: int, drop_path: float) -> None:
        super().__init__()
        hidden = config.hidden_sizes[stage]
        self.layer_norm_1 = nn.LayerNorm(hidden)
        self.attention = self.attention_class(
            config, hidden, config.num_attention_heads[stage], config.sr_ratios[stage]
        )
        self.drop_path = self.drop_path_class(drop_path)
        self.layer_norm_2 = nn.LayerNorm(hidden)
        self.mlp = self.mlp_class(config, hidden, int(hidden * config.mlp_ratios[stage]))

    def forward(
        self, hidden: torch.Tensor, height: int, width: int, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            self.layer_norm_1(hidden), height, width, output_attentions
        )
        hidden = hidden + self.drop_path(attended)
        hidden = hidden + self.drop_path(self.mlp(self.layer_norm_2(hidden), height, width))
        return hidden, weights


class MixTransformerEncoder(nn.Module):
    """`num_encoder_blocks` stages; each returns its tokens as a map `[batch, channels, h, w]`."""

    patch_embeddings_class: ClassVar[type[nn.Module]] = OverlapPatchEmbeddings
    layer_class: ClassVar[type[nn.Module]] = MixLayer

    def __init__(self, config: Any) -> None:
        super().__init__()
        stages = range(config.num_encoder_blocks)
        rates = torch.linspace(0, config.drop_path_rate, sum(config.depths)).tolist()
        self.patch_embeddings = nn.ModuleList(
            self.patch_embeddings_class(
                config.patch_sizes[i],
                config.strides[i],
                config.num_channels if i == 0 else config.hidden_sizes[i - 1],
                config.hidden_sizes[i],
            )
            for i in stages
        )
        self.block = nn.ModuleList()
        for i in stages:
            first = sum(config.depths[:i])
            self.block.append(
                nn.ModuleList(
                    self.layer_class(config, i, rates[first + j]) for j in range(config.depths[i])
                )
            )
        self.layer_norm = nn.ModuleList(nn.LayerNorm(config.hidden_sizes[i]) for i in stages)

    def forward(
        self, pixel_values: torch.Tensor, output_attentions: bool = False
    ) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...] | None]:
        maps: tuple = ()
        attentions: tuple = ()
        hidden = pixel_values
        for embed, layers, norm in zip(self.patch_embeddings, self.block, self.layer_norm):
            tokens, height, width = embed(hidden)
            for layer in layers:
                tokens, weights = layer(tokens, height, width, output_attentions)
                if output_attentions:
                    attentions += (weights,)
            tokens = norm(tokens)
            hidden = tokens.reshape(tokens.shape[0], height, width, -1).permute(0, 3, 1, 2)
            maps += (hidden.contiguous(),)
        return maps, attentions if output_attentions else None


class MixTransformerPreTrainedModel(PreTrainedModel):
    """Pixel input and the reference's init (convolutions drawn like the linear layers)."""

    main_input_name: ClassVar[str] = "pixel_values"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, nn.Conv2d):
            with torch.no_grad():
                module.weight.normal_(0.0, self.config.initializer_range)
                if module.bias is not None:
                    module.bias.zero_()


class MixTransformerModel:
    """The base model (mixed in before the plugin's pre-trained class): the last stage's map,
    and every stage's with `output_hidden_states`."""

    encoder_class: ClassVar[type[nn.Module]] = MixTransformerEncoder

    def __init__(self, config: Any) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        self.encoder = self.encoder_class(config)
        self.post_init()  # type: ignore[attr-defined]

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        channels = self.config.num_channels  # type: ignore[attr-defined]
        if pixel_values is None or pixel_values.dim() != 4 or pixel_values.shape[1] != channels:
            got = None if pixel_values is None else tuple(pixel_values.shape)
            raise ConfigError(
                f"{type(self).__name__}: pixel_values must be [batch, {channels}, height, width], "
                f"got {got}. Prepare images with the model's image processor."
            )
        output_attentions, output_hidden_states = self.output_flags(  # type: ignore[attr-defined]
            output_attentions, output_hidden_states
        )
        weight = self.encoder.patch_embeddings[0].proj.weight
        maps, attentions = self.encoder(pixel_values.to(weight.dtype), output_attentions)
        return self.model_outputs(  # type: ignore[attr-defined]
            BaseModelOutput(
                last_hidden_state=maps[-1],
                hidden_states=maps if output_hidden_states else None,
                attentions=attentions,
            ),
            return_dict,
        )


class MixTransformerHead:
    """A dense-prediction model (mixed in before the plugin's pre-trained class): the base model
    at `base_model_prefix` gives every stage's map, `predict(maps, labels)` the head's fields
    of `output_class` (loss, logits or depths); hidden states and attentions as asked."""

    output_class: ClassVar[type]

    def predict(self, maps: tuple[torch.Tensor, ...], labels: Any) -> dict[str, Any]:
        raise NotImplementedError

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        base = getattr(self, self.base_model_prefix)  # type: ignore[attr-defined]
        outputs = base(
            pixel_values,
            output_attentions=output_attentions,
            output_hidden_states=True,
            return_dict=True,
        )
        fields = self.predict(outputs.hidden_states, labels)
        keep_hidden = self.output_flags(None, output_hidden_states)[1]  # type: ignore[attr-defined]
        return self.model_outputs(  # type: ignore[attr-defined]
            self.output_class(
                **fields,
                hidden_states=outputs.hidden_states if keep_hidden else None,
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


__all__ = [
    "DepthwiseConv",
    "DropPath",
    "EfficientSelfAttention",
    "MixAttention",
    "MixFFN",
    "MixLayer",
    "MixSelfOutput",
    "MixTransformerEncoder",
    "MixTransformerHead",
    "MixTransformerModel",
    "MixTransformerPreTrainedModel",
    "OverlapPatchEmbeddings",
]
