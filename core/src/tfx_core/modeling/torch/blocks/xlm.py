"""The XLM family's transformer (XLM, FlauBERT), with the checkpoint names of the reference.

XLM keeps its layers as four parallel lists on the base model (`attentions`, `layer_norm1`,
`ffns`, `layer_norm2`) rather than one module per layer, embeds tokens, positions, languages
(`langs`, when `n_langs > 1` and `use_lang_emb`) and token types (through the *word* table),
and zeroes the hidden state of padding positions after the embeddings and after every layer.
Its padding mask is `attention_mask`, else the first `lengths` positions (by default the count
of non-`pad_index` ids). With `causal=True` the attention is causal and ignores the padding mask,
as the reference's. FlauBERT adds two switches read from its config: `pre_norm` (norm before
each sub-layer instead of after) and `layerdrop` (skip a layer with that probability when
training).

A plugin writes `class XLMModel(XLMTransformer, XLMPreTrainedModel)` and sets nothing else.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutput
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.functional import multi_head_context
from tfx_core.modeling.torch.masks import layer_head_masks
from tfx_core.modeling.torch.projections import FusedProjections


def sinusoidal_table(positions: int, dim: int) -> torch.Tensor:
    """The fixed sin/cos table of `sinusoidal_embeddings=True` (sin on even, cos on odd dims)."""
    position = torch.arange(positions, dtype=torch.float64)[:, None]
    angles = position / torch.pow(10000.0, 2 * (torch.arange(dim) // 2) / dim)
    table = torch.empty(positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles[:, 0::2])
    table[:, 1::2] = torch.cos(angles[:, 1::2])
    return table.float()


class MultiHeadAttention(nn.Module):
    """Self-attention over `q_lin`, `k_lin`, `v_lin` (one product at inference), then `out_lin`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        dim = config.emb_dim
        self.n_heads = config.n_heads
        self.dropout = config.attention_dropout
        self.q_lin = nn.Linear(dim, dim)
        self.k_lin = nn.Linear(dim, dim)
        self.v_lin = nn.Linear(dim, dim)
        self.out_lin = nn.Linear(dim, dim)
        self.projections = FusedProjections(self, ("q_lin", "k_lin", "v_lin"))

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        query, key, value = self.projections.heads(hidden_states, self.n_heads)
        context, weights = multi_head_context(
            query,
            key,
            value,
            bias=bias,
            is_causal=is_causal,
            dropout_p=self.dropout if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
            implementation=implementation,
        )
        return self.out_lin(context), weights


class TransformerFFN(nn.Module):
    """`lin1`, GELU (`gelu_activation`) or ReLU, `lin2`, dropout."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        dim = config.emb_dim
        self.lin1 = nn.Linear(dim, 4 * dim)
        self.lin2 = nn.Linear(4 * dim, dim)
        self.act = activation_fn("gelu" if config.gelu_activation else "relu")
        self.dropout = config.dropout

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        hidden_states = self.lin2(self.act(self.lin1(hidden_states)))
        return F.dropout(hidden_states, p=self.dropout, training=self.training)


class XLMTransformer(nn.Module):
    """The base model: embeddings, `n_layers` post-norm (or pre-norm) layers, padding zeroed.

    Mixed in before the plugin's `PreTrainedModel` subclass, which gives `config`.
    """

    def __init__(self, config: Any) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        if not config.is_encoder:
            raise ConfigError("is_encoder=False: XLM is only implemented as an encoder.")
        if config.emb_dim % config.n_heads:
            raise ConfigError(
                f"emb_dim ({config.emb_dim}) must be a multiple of n_heads ({config.n_heads})."
            )
        dim, eps = config.emb_dim, config.layer_norm_eps
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, dim)
        if config.n_langs > 1 and config.use_lang_emb:
            self.lang_embeddings = nn.Embedding(config.n_langs, dim)
        self.embeddings = nn.Embedding(config.n_words, dim, padding_idx=config.pad_index)
        self.layer_norm_emb = nn.LayerNorm(dim, eps=eps)
        layers = range(config.n_layers)
        self.attentions = nn.ModuleList(MultiHeadAttention(config) for _ in layers)
        self.layer_norm1 = nn.ModuleList(nn.LayerNorm(dim, eps=eps) for _ in layers)
        self.ffns = nn.ModuleList(TransformerFFN(config) for _ in layers)
        self.layer_norm2 = nn.ModuleList(nn.LayerNorm(dim, eps=eps) for _ in layers)
        self.post_init()  # type: ignore[attr-defined]

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings = value

    # ------------------------------------------------------------------ inputs
    def padding_mask(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        lengths: torch.Tensor | None,
        shape: tuple[int, int],
        device: torch.device,
    ) -> torch.Tensor:
        """`[batch, length]` 1 for real tokens: the attention mask, else the first `lengths`."""
        batch, length = shape
        if attention_mask is not None:
            if tuple(attention_mask.shape) != shape:
                raise ConfigError(
                    f"attention_mask has shape {tuple(attention_mask.shape)}; XLM takes a "
                    f"[batch, length] 0/1 mask shaped like the inputs {shape}."
                )
            return attention_mask
        if lengths is None:
            if input_ids is not None:
                lengths = (input_ids != self.config.pad_index).sum(dim=1)
            else:
                lengths = torch.full((batch,), length, device=device)
        if lengths.shape != (batch,) or int(lengths.max()) > length:
            raise ConfigError(
                f"lengths must hold one length <= {length} per sequence ({batch}), got "
                f"{lengths.tolist()}."
            )
        return torch.arange(length, device=device) < lengths[:, None].to(device)

    def embed(
        self,
        input_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        langs: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        position_ids: torch.Tensor | None,
    ) -> torch.Tensor:
        """Tokens + positions (+ languages) (+ token types through the word table), normed."""
        if inputs_embeds is None:
            inputs_embeds = self.embeddings(input_ids)
        length = inputs_embeds.shape[1]
        if length > self.config.max_position_embeddings:
            raise ConfigError(
                f"The input has {length} positions but this model handles at most "
                f"{self.config.max_position_embeddings} (max_position_embeddings): truncate it."
            )
        if position_ids is None:
            position_ids = torch.arange(length, device=inputs_embeds.device)[None]
        hidden = inputs_embeds + self.position_embeddings(position_ids).expand_as(inputs_embeds)
        if langs is not None and hasattr(self, "lang_embeddings"):
            hidden = hidden + self.lang_embeddings(langs)
        if token_type_ids is not None:
            hidden = hidden + self.embeddings(token_type_ids)
        hidden = self.layer_norm_emb(hidden)
        return F.dropout(hidden, p=self.config.dropout, training=self.training)

    # ----------------------------------------------------------------- forward
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        langs: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
        cache: Any = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> BaseModelOutput | tuple:
        """The reference's arguments; `cache` (incremental decoding) is not supported."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        if cache is not None:
            raise ConfigError(
                "tfx's XLM models take no `cache`: run the whole sequence (as generate does)."
            )
        unknown = set(kwargs) - {"cache_position", "use_cache"}
        if unknown:
            raise ConfigError(f"{type(self).__name__} got unexpected arguments: {sorted(unknown)}.")
        config = self.config
        output_attentions, output_hidden_states = self.output_flags(  # type: ignore[attr-defined]
            output_attentions, output_hidden_states
        )
        reference = input_ids if input_ids is not None else inputs_embeds
        shape = (reference.shape[0], reference.shape[1])
        mask = self.padding_mask(input_ids, attention_mask, lengths, shape, reference.device)
        hidden = self.embed(input_ids, inputs_embeds, langs, token_type_ids, position_ids)
        keep = mask.unsqueeze(-1).to(hidden.dtype)
        hidden = hidden * keep
        bias = None
        if not config.causal and not bool(mask.all()):
            bias = torch.zeros(mask.shape, dtype=hidden.dtype, device=hidden.device)
            bias = bias.masked_fill(mask == 0, torch.finfo(hidden.dtype).min)[:, None, None, :]
        head_masks = layer_head_masks(head_mask, config.n_layers, hidden.dtype)
        implementation = config.attn_implementation or "sdpa"
        pre_norm = getattr(config, "pre_norm", False)
        layerdrop = getattr(config, "layerdrop", 0.0) or 0.0
        all_hidden: tuple = ()
        all_attentions: tuple = ()
        for i in range(config.n_layers):
            if self.training and layerdrop > 0 and torch.rand([]) < layerdrop:
                continue
            if output_hidden_states:
                all_hidden += (hidden,)
            norm1, norm2 = self.layer_norm1[i], self.layer_norm2[i]
            attended, weights = self.attentions[i](
                norm1(hidden) if pre_norm else hidden,
                bias,
                config.causal,
                None if head_masks is None else head_masks[i],
                output_attentions,
                implementation,
            )
            if output_attentions:
                all_attentions += (weights,)
            hidden = hidden + F.dropout(attended, p=config.dropout, training=self.training)
            if pre_norm:
                hidden = hidden + self.ffns[i](norm2(hidden))
            else:
                hidden = norm1(hidden)
                hidden = norm2(hidden + self.ffns[i](hidden))
            hidden = hidden * keep
        if output_hidden_states:
            all_hidden += (hidden,)
        outputs = BaseModelOutput(
            last_hidden_state=hidden,
            hidden_states=all_hidden if output_hidden_states else None,
            attentions=all_attentions if output_attentions else None,
        )
        return self.model_outputs(outputs, return_dict)  # type: ignore[attr-defined]


def init_xlm_weights(model: nn.Module, module: nn.Module) -> None:
    """The reference's initialisation: `embed_init_std` embeddings, `init_std` linears,
    padding row zero, unit norms, and the sin/cos position table when `sinusoidal_embeddings`."""
    config = model.config  # type: ignore[attr-defined]
    with torch.no_grad():
        if isinstance(module, nn.Embedding):
            if config.embed_init_std is not None:
                module.weight.normal_(0.0, config.embed_init_std)
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.Linear):
            if config.init_std is not None:
                module.weight.normal_(0.0, config.init_std)
                if module.bias is not None:
                    module.bias.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()
        if isinstance(module, XLMTransformer) and config.sinusoidal_embeddings:
            weight = module.position_embeddings.weight
            weight.copy_(sinusoidal_table(*weight.shape))
