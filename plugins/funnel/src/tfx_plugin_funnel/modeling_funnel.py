"""Funnel Transformer in PyTorch, with the reference's class and parameter names so Hub
checkpoints load.

Funnel is a post-norm encoder whose blocks work on shorter and shorter sequences: each block
after the first pools the hidden states by two (`attention_structure`), and its first layer
attends from the pooled queries to the unpooled keys (`pool_q_only`). Attention scores are
content + relative position (sinusoids projected by `r_kernel`, `relative_shift` or
`factorized`) + token type (same segment or not, `seg_embed`); the position and token-type
parts skip `[CLS]` with `separate_cls`. `FunnelBaseModel` stops after the encoder;
`FunnelModel` upsamples the last block back to full length, adds the first block's output and
runs a short decoder. Attention runs through the core's dispatch (fused SDPA unless weights are
asked for), the residual sub-layers through the core's block functions. Read top to bottom:
embeddings, attention, layer, encoder, decoder, the two base models, then one class per head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutput, ModelOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.functional import activated, multi_head_context, residual_norm
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TaskHead,
    TokenClassificationHead,
)
from tfx_plugin_funnel.attention_structure import (
    AttentionInputs,
    FunnelAttentionStructure,
    relative_shift,
    upsample,
)
from tfx_plugin_funnel.configuration_funnel import FunnelConfig

#: What the reference subtracts from the scores of padding keys.
MASKED_SCORE = 1e6


class FunnelEmbeddings(nn.Module):
    """Word embeddings (no positions: they are relative), `layer_norm`, dropout."""

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(
            config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id
        )
        self.layer_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)

    def forward(
        self, input_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None
    ) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        return self.dropout(self.layer_norm(inputs_embeds))


class FunnelRelMultiheadAttention(nn.Module):
    """`q_head` (no bias), `k_head`, `v_head`; the content (`r_w_bias`), position (`r_r_bias`,
    `r_kernel`) and token-type (`r_s_bias`, `seg_embed`) score terms; `post_proj`, residual
    and `layer_norm`."""

    def __init__(self, config: FunnelConfig, block_index: int) -> None:
        super().__init__()
        self.config = config
        self.block_index = block_index
        d_model, n_head, d_head = config.d_model, config.n_head, config.d_head
        self.hidden_dropout = nn.Dropout(config.hidden_dropout)
        self.attention_dropout = nn.Dropout(config.attention_dropout)
        self.q_head = nn.Linear(d_model, n_head * d_head, bias=False)
        self.k_head = nn.Linear(d_model, n_head * d_head)
        self.v_head = nn.Linear(d_model, n_head * d_head)
        self.r_w_bias = nn.Parameter(torch.zeros(n_head, d_head))
        self.r_r_bias = nn.Parameter(torch.zeros(n_head, d_head))
        self.r_kernel = nn.Parameter(torch.zeros(d_model, n_head, d_head))
        self.r_s_bias = nn.Parameter(torch.zeros(n_head, d_head))
        self.seg_embed = nn.Parameter(torch.zeros(2, n_head, d_head))
        self.post_proj = nn.Linear(n_head * d_head, d_model)
        self.layer_norm = nn.LayerNorm(d_model, eps=config.layer_norm_eps)
        self.scale = 1.0 / math.sqrt(d_head)

    def positional_scores(
        self, position: Any, q_head: torch.Tensor, context_len: int
    ) -> torch.Tensor:
        """`[batch, heads, queries, keys]` relative-position scores (q_head already scaled)."""
        query = q_head + self.r_r_bias * self.scale
        if self.config.attention_type == "factorized":
            phi, pi, psi, omega = position
            projected = torch.einsum("binh,dnh->bind", query, self.r_kernel)
            return torch.einsum("bind,jd->bnij", projected * phi[:, None], psi) + torch.einsum(
                "bind,jd->bnij", projected * pi[:, None], omega
            )
        shift = 2 if q_head.shape[1] != context_len else 1  # pooled queries read two rows on
        rows = position[self.block_index][shift - 1]
        rows = torch.einsum("td,dnh->tnh", rows, self.r_kernel)
        return relative_shift(torch.einsum("binh,tnh->bnit", query, rows), context_len, shift)

    def token_type_scores(self, token_type_mat: torch.Tensor, q_head: torch.Tensor) -> torch.Tensor:
        """`[batch, heads, queries, keys]`: each pair's same-segment or other-segment score."""
        query = q_head + self.r_s_bias * self.scale
        per_segment = torch.einsum("bind,snd->bnis", query, self.seg_embed)
        other, same = per_segment.split(1, dim=-1)
        return torch.where(token_type_mat[:, None], same, other)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_inputs: AttentionInputs,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        position, token_type_mat, attention_mask, cls_mask = attention_inputs
        batch, length = query.shape[:2]
        context_len = key.shape[1]
        heads = self.config.n_head
        q_head = self.q_head(query).view(batch, length, heads, -1) * self.scale
        k_head = self.k_head(key).view(batch, context_len, heads, -1)
        v_head = self.v_head(value).view(batch, context_len, heads, -1)
        bias = self.positional_scores(position, q_head, context_len)
        if token_type_mat is not None:
            bias = bias + self.token_type_scores(token_type_mat, q_head)
        if cls_mask is not None:
            bias = bias * cls_mask
        if attention_mask is not None:
            padding = (1 - attention_mask[:, None, None].float()) * MASKED_SCORE
            bias = (bias.float() - padding).clamp_min(torch.finfo(bias.dtype).min).to(bias.dtype)
        context, weights = multi_head_context(
            (q_head + self.r_w_bias * self.scale).transpose(1, 2),
            k_head.transpose(1, 2),
            v_head.transpose(1, 2),
            bias=bias,
            scale=1.0,
            dropout_p=self.config.attention_dropout if self.training else 0.0,
            output_attentions=output_attentions,
            implementation=self.config.attn_implementation or "sdpa",
        )
        output = residual_norm(context, query, self.post_proj, self.layer_norm, self.hidden_dropout)
        return output, weights


class FunnelPositionwiseFFN(nn.Module):
    """`linear_1`, `hidden_act`, dropout, `linear_2`, dropout, residual and `layer_norm`."""

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__()
        self.linear_1 = nn.Linear(config.d_model, config.d_inner)
        self.activation_function = activation_fn(config.hidden_act)
        self.activation_dropout = nn.Dropout(config.activation_dropout)
        self.linear_2 = nn.Linear(config.d_inner, config.d_model)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layer_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        inner = self.activation_dropout(activated(hidden, self.linear_1, self.activation_function))
        return residual_norm(inner, hidden, self.linear_2, self.layer_norm, self.dropout)


class FunnelLayer(nn.Module):
    """`attention` (queries may be pooled) then `ffn`."""

    def __init__(self, config: FunnelConfig, block_index: int) -> None:
        super().__init__()
        self.attention = FunnelRelMultiheadAttention(config, block_index)
        self.ffn = FunnelPositionwiseFFN(config)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_inputs: AttentionInputs,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(query, key, value, attention_inputs, output_attentions)
        return self.ffn(attended), weights


class FunnelEncoder(nn.Module):
    """`blocks` of layers; each block after the first starts by pooling the sequence."""

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__()
        self.config = config
        self.attention_structure = FunnelAttentionStructure(config)
        self.blocks = nn.ModuleList(
            nn.ModuleList(FunnelLayer(config, index) for _ in range(size))
            for index, size in enumerate(config.block_sizes)
        )

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None,
        output_attentions: bool = False,
    ) -> BaseModelOutput:
        """Every hidden state is returned (the full model's decoder reads the first block's)."""
        structure = self.attention_structure
        inputs = structure.init_attention_inputs(
            inputs_embeds, attention_mask.type_as(inputs_embeds), token_type_ids
        )
        hidden = inputs_embeds
        all_hidden, all_weights = [hidden], []
        shortest = 2 if self.config.separate_cls else 1
        for block_index, block in enumerate(self.blocks):
            pooling = block_index > 0 and hidden.shape[1] > shortest
            if pooling:
                pooled, inputs = structure.pre_attention_pooling(hidden, inputs)
            for layer_index, layer in enumerate(block):
                for repeat in range(self.config.block_repeats[block_index]):
                    pools = pooling and layer_index == 0 and repeat == 0
                    query = pooled if pools else hidden
                    key = hidden if pools and self.config.pool_q_only else query
                    hidden, weights = layer(query, key, key, inputs, output_attentions)
                    if pools:
                        inputs = structure.post_attention_pooling(inputs)
                    all_hidden.append(hidden)
                    all_weights.append(weights)
        return BaseModelOutput(
            last_hidden_state=hidden,
            hidden_states=tuple(all_hidden),
            attentions=tuple(all_weights) if output_attentions else None,
        )


class FunnelDecoder(nn.Module):
    """Upsamples the last block to full length, adds the first block's output, runs `layers`."""

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__()
        self.config = config
        self.attention_structure = FunnelAttentionStructure(config)
        self.layers = nn.ModuleList(
            FunnelLayer(config, 0) for _ in range(config.num_decoder_layers)
        )

    def forward(
        self,
        final_hidden: torch.Tensor,
        first_block_hidden: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None,
        output_attentions: bool = False,
    ) -> BaseModelOutput:
        config = self.config
        hidden = first_block_hidden + upsample(
            final_hidden,
            stride=2 ** (config.num_blocks - 1),
            target_len=first_block_hidden.shape[1],
            separate_cls=config.separate_cls,
            truncate_seq=config.truncate_seq,
        )
        inputs = self.attention_structure.init_attention_inputs(
            hidden, attention_mask, token_type_ids
        )
        all_hidden, all_weights = [hidden], []
        for layer in self.layers:
            hidden, weights = layer(hidden, hidden, hidden, inputs, output_attentions)
            all_hidden.append(hidden)
            all_weights.append(weights)
        return BaseModelOutput(
            last_hidden_state=hidden,
            hidden_states=tuple(all_hidden),
            attentions=tuple(all_weights) if output_attentions else None,
        )


class FunnelDiscriminatorPredictions(nn.Module):
    """One logit per token (`dense`, `hidden_act`, `dense_prediction`): was it replaced?"""

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.d_model, config.d_model)
        self.activation = activation_fn(config.hidden_act)
        self.dense_prediction = nn.Linear(config.d_model, 1)

    def forward(self, discriminator_hidden_states: torch.Tensor) -> torch.Tensor:
        hidden = self.activation(self.dense(discriminator_hidden_states))
        return self.dense_prediction(hidden).squeeze(-1)


class FunnelClassificationHead(nn.Module):
    """`linear_hidden`, tanh, dropout, `linear_out` over the first token's features."""

    def __init__(self, config: FunnelConfig, n_labels: int) -> None:
        super().__init__()
        self.linear_hidden = nn.Linear(config.d_model, config.d_model)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.linear_out = nn.Linear(config.d_model, n_labels)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.linear_out(self.dropout(torch.tanh(self.linear_hidden(hidden))))


@dataclass(repr=False, eq=False)
class FunnelForPreTrainingOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
class FunnelPreTrainedModel(PreTrainedModel):
    """Loading rules and the reference's weight init, shared by every Funnel class."""

    config_class = FunnelConfig
    base_model_prefix = "funnel"

    def _init_weights(self, module: nn.Module) -> None:
        config = self.config
        if isinstance(module, nn.Linear):
            fan_out, fan_in = module.weight.shape
            std = config.initializer_std
            if std is None:
                std = math.sqrt(1.0 / (fan_in + fan_out))
            nn.init.normal_(module.weight, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, FunnelRelMultiheadAttention):
            for name in ("r_w_bias", "r_r_bias", "r_kernel", "r_s_bias", "seg_embed"):
                nn.init.uniform_(getattr(module, name), b=config.initializer_range)
        elif isinstance(module, FunnelEmbeddings):
            embeddings = module.word_embeddings
            std = 1.0 if config.initializer_std is None else config.initializer_std
            nn.init.normal_(embeddings.weight, std=std)
            if embeddings.padding_idx is not None:
                with torch.no_grad():
                    embeddings.weight[embeddings.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            super()._init_weights(module)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.base_model.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.base_model.embeddings.word_embeddings = value

    def encode(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        output_attentions: bool,
    ) -> tuple[BaseModelOutput, torch.Tensor, torch.Tensor]:
        """Embeddings and encoder; also the mask and token types it used (defaults filled)."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        reference = input_ids if input_ids is not None else inputs_embeds[..., 0]
        if reference.dim() != 2:
            raise ConfigError(
                f"{type(self).__name__} takes input_ids shaped [batch, length] (or inputs_embeds "
                f"[batch, length, hidden]), got shape {tuple(reference.shape)}."
            )
        for name, tensor in (
            ("attention_mask", attention_mask),
            ("token_type_ids", token_type_ids),
        ):
            if tensor is not None and tensor.shape != reference.shape:
                raise ConfigError(
                    f"{name} must be shaped like input_ids {tuple(reference.shape)}, got "
                    f"{tuple(tensor.shape)}."
                )
        if attention_mask is None:
            attention_mask = torch.ones(reference.shape, device=reference.device)
        if token_type_ids is None:
            token_type_ids = torch.zeros(reference.shape, dtype=torch.long, device=reference.device)
        hidden = self.embeddings(input_ids, inputs_embeds=inputs_embeds)
        encoded = self.encoder(hidden, attention_mask, token_type_ids, output_attentions)
        return encoded, attention_mask, token_type_ids


class FunnelBaseModel(FunnelPreTrainedModel):
    """`embeddings` and the pooling `encoder`: outputs are as short as the last block's."""

    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)decoder\."]  # a FunnelModel's

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__(config)
        self.embeddings = FunnelEmbeddings(config)
        self.encoder = FunnelEncoder(config)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,  # accepted and unused, as in the reference
        head_mask: torch.Tensor | None = None,  # accepted and unused, as in the reference
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        encoded, _, _ = self.encode(
            input_ids, attention_mask, token_type_ids, inputs_embeds, output_attentions
        )
        if not output_hidden_states:
            encoded = BaseModelOutput(
                last_hidden_state=encoded.last_hidden_state, attentions=encoded.attentions
            )
        return self.model_outputs(encoded, return_dict)


class FunnelModel(FunnelPreTrainedModel):
    """`embeddings`, `encoder` and the upsampling `decoder`: one output per input token."""

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__(config)
        self.embeddings = FunnelEmbeddings(config)
        self.encoder = FunnelEncoder(config)
        self.decoder = FunnelDecoder(config)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        encoded, attention_mask, token_type_ids = self.encode(
            input_ids, attention_mask, token_type_ids, inputs_embeds, output_attentions
        )
        decoded = self.decoder(
            encoded.last_hidden_state,
            encoded.hidden_states[self.config.block_sizes[0]],
            attention_mask,
            token_type_ids,
            output_attentions,
        )
        outputs = BaseModelOutput(
            last_hidden_state=decoded.last_hidden_state,
            hidden_states=encoded.hidden_states + decoded.hidden_states
            if output_hidden_states
            else None,
            attentions=encoded.attentions + decoded.attentions if output_attentions else None,
        )
        return self.model_outputs(outputs, return_dict)


# ---------------------------------------------------------------------------- heads
class FunnelForPreTraining(TaskHead, FunnelPreTrainedModel):
    """The ELECTRA-style discriminator: a replaced-token logit per token (label 1 = replaced)."""

    base_model_class = FunnelModel
    output_class = FunnelForPreTrainingOutput

    def build_head(self, config: FunnelConfig) -> None:
        self.discriminator_predictions = FunnelDiscriminatorPredictions(config)

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        logits = self.discriminator_predictions(base.last_hidden_state)
        loss = None
        if labels is not None:  # over real tokens only when a mask is given
            mask = args[1] if len(args) > 1 else kwargs.get("attention_mask")
            keep = mask == 1 if mask is not None else torch.ones_like(labels, dtype=torch.bool)
            loss = F.binary_cross_entropy_with_logits(logits[keep], labels[keep].to(logits.dtype))
        return self.finish(return_dict, base, loss=loss, logits=logits)


class FunnelForMaskedLM(MaskedLMHead, FunnelPreTrainedModel):
    """Masked-token prediction from the full model; `lm_head` tied to the word embeddings."""

    base_model_class = FunnelModel
    tied_weights: ClassVar[dict[str, str]] = {
        "lm_head.weight": "funnel.embeddings.word_embeddings.weight"
    }
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: FunnelConfig) -> None:
        self.lm_head = nn.Linear(config.d_model, config.vocab_size)


class FunnelForSequenceClassification(SequenceClassificationHead, FunnelPreTrainedModel):
    """Classifies (or regresses) a text from the base model's first token."""

    base_model_class = FunnelBaseModel
    ignore_unexpected_keys = FunnelBaseModel.ignore_unexpected_keys
    head_input = "first_token"
    dropout_fields = None  # the classification head has its own

    def build_classifier(self, config: FunnelConfig, outputs: int) -> nn.Module:
        return FunnelClassificationHead(config, outputs)


class FunnelForMultipleChoice(MultipleChoiceHead, FunnelPreTrainedModel):
    """Scores each candidate from the base model's first token."""

    base_model_class = FunnelBaseModel
    ignore_unexpected_keys = FunnelBaseModel.ignore_unexpected_keys
    head_input = "first_token"
    dropout_fields = None
    build_classifier = FunnelForSequenceClassification.build_classifier


class FunnelForTokenClassification(TokenClassificationHead, FunnelPreTrainedModel):
    """One label per token from the full model; label -100 is ignored."""

    base_model_class = FunnelModel
    dropout_fields = ("hidden_dropout",)


class FunnelForQuestionAnswering(QuestionAnsweringHead, FunnelPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = FunnelModel
