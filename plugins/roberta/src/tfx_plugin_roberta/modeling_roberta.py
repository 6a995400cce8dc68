"""RoBERTa in PyTorch, with the reference's parameter names so Hub checkpoints load unchanged.

Read top to bottom: embeddings, self-attention, feed-forward, layer, encoder, pooler, the base
`RobertaModel`, then one class per head. RoBERTa is BERT with two differences that matter for
the numbers: positions are counted from `pad_token_id + 1` and skip padding tokens, and the
heads differ (`lm_head` with its own bias; a two-layer classification head without pooler).
With `config.is_decoder` the self-attention is causal and keeps a KV cache, which is what
`RobertaForCausalLM.generate` runs on.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.outputs import (
    BaseModelOutputWithPoolingAndPast,
    CausalLMOutputWithPast,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from tfx_core.modeling.torch import (
    PreTrainedModel,
    attention,
    causal_mask,
    get_activation,
    padding_mask,
)
from tfx_core.modeling.torch.cache import Cache, DynamicCache
from tfx_core.modeling.torch.losses import (
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)
from tfx_plugin_roberta.configuration_roberta import RobertaConfig


def position_ids_from_input_ids(
    input_ids: torch.Tensor, padding_idx: int, past_length: int = 0
) -> torch.Tensor:
    """RoBERTa's positions: `padding_idx + 1 + index among non-padding tokens`; padding gets
    `padding_idx` (fairseq's numbering, which the checkpoints were trained with)."""
    not_pad = input_ids.ne(padding_idx).int()
    return ((torch.cumsum(not_pad, dim=1) + past_length) * not_pad).long() + padding_idx


class RobertaEmbeddings(nn.Module):
    """Token + position + token-type embeddings, then layer norm and dropout."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.padding_idx = config.pad_token_id
        self.word_embeddings = nn.Embedding(
            config.vocab_size, hidden, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(
            config.max_position_embeddings, hidden, padding_idx=config.pad_token_id
        )
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        if position_ids is None:
            if input_ids is not None:
                position_ids = position_ids_from_input_ids(input_ids, self.padding_idx, past_length)
            else:  # embeddings give no padding to skip: count from padding_idx + 1
                start = self.padding_idx + 1 + past_length
                length = inputs_embeds.shape[1]
                position_ids = torch.arange(start, start + length, device=inputs_embeds.device)[
                    None
                ]
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros(
                inputs_embeds.shape[:2], dtype=torch.long, device=inputs_embeds.device
            )
        embeddings = (
            inputs_embeds
            + self.position_embeddings(position_ids)
            + self.token_type_embeddings(token_type_ids)
        )
        return self.dropout(self.LayerNorm(embeddings))


class RobertaSelfAttention(nn.Module):
    """Multi-head self-attention on the core's fused primitive; causal with a cache as decoder."""

    def __init__(self, config: RobertaConfig, layer_idx: int) -> None:
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.layer_idx = layer_idx
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(
        self,
        hidden_states: torch.Tensor,
        mask: torch.Tensor | None,
        is_causal: bool = False,
        cache: Cache | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        query = self._split_heads(self.query(hidden_states))
        key = self._split_heads(self.key(hidden_states))
        value = self._split_heads(self.value(hidden_states))
        if cache is not None:  # decoder: append this step's keys/values, attend over all
            key, value = cache.update(key, value, self.layer_idx)
        context, weights = attention(
            query,
            key,
            value,
            attention_mask=mask,
            is_causal=is_causal,
            dropout_p=self.dropout_p if self.training else 0.0,
            output_attentions=output_attentions,
            implementation=implementation,
        )
        batch, _, length, _ = context.shape
        return context.transpose(1, 2).reshape(batch, length, -1), weights


class RobertaSelfOutput(nn.Module):
    """Attention output projection, dropout, then residual + layer norm (post-norm)."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + residual)


class RobertaAttention(nn.Module):
    def __init__(self, config: RobertaConfig, layer_idx: int) -> None:
        super().__init__()
        self.self = RobertaSelfAttention(config, layer_idx)
        self.output = RobertaSelfOutput(config)

    def forward(
        self, hidden_states: torch.Tensor, *args: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = self.self(hidden_states, *args)
        return self.output(context, hidden_states), weights


class RobertaIntermediate(nn.Module):
    """The feed-forward expansion and its activation."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = get_activation(config.hidden_act)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(hidden_states))


class RobertaOutput(nn.Module):
    """The feed-forward projection back, dropout, then residual + layer norm."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + residual)


class RobertaLayer(nn.Module):
    """One encoder layer: self-attention, then feed-forward, each with its residual."""

    def __init__(self, config: RobertaConfig, layer_idx: int) -> None:
        super().__init__()
        self.attention = RobertaAttention(config, layer_idx)
        self.intermediate = RobertaIntermediate(config)
        self.output = RobertaOutput(config)

    def forward(
        self, hidden_states: torch.Tensor, *args: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`args`: mask, is_causal, cache, output_attentions, implementation."""
        attended, weights = self.attention(hidden_states, *args)
        return self.output(self.intermediate(attended), attended), weights


class RobertaEncoder(nn.Module):
    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(RobertaLayer(config, i) for i in range(config.num_hidden_layers))

    def forward(
        self,
        hidden_states: torch.Tensor,
        mask: torch.Tensor | None,
        is_causal: bool,
        cache: Cache | None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        all_hidden: list[torch.Tensor] = []
        all_attentions: list[torch.Tensor] = []
        for layer in self.layer:
            if output_hidden_states:
                all_hidden.append(hidden_states)
            hidden_states, weights = layer(
                hidden_states, mask, is_causal, cache, output_attentions, implementation
            )
            if output_attentions:
                all_attentions.append(weights)
        if output_hidden_states:
            all_hidden.append(hidden_states)
        return (
            hidden_states,
            tuple(all_hidden) if output_hidden_states else None,
            tuple(all_attentions) if output_attentions else None,
        )


class RobertaPooler(nn.Module):
    """The first token's hidden state through a dense layer and tanh."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.activation(self.dense(hidden_states[:, 0]))


def decoder_mask(
    attention_mask: torch.Tensor | None, length: int, past: int, dtype: torch.dtype, device: Any
) -> tuple[torch.Tensor | None, bool]:
    """The decoder's additive mask (causal + padding) and whether SDPA may use is_causal.

    A 4D `attention_mask` for a single new token is generation's ready-made padding mask.
    """
    if attention_mask is not None and attention_mask.dim() == 4:
        mask = attention_mask.to(dtype)
        if length > 1:
            mask = mask + causal_mask(None, length, past + length, dtype, device)
        return mask, False
    if attention_mask is None or bool(attention_mask.all()):
        if past == 0:
            return None, length > 1
        if length == 1:
            return None, False
        attention_mask = None
    return causal_mask(attention_mask, length, past + length, dtype, device), False


class RobertaPreTrainedModel(PreTrainedModel):
    """Loading rules and weight initialisation shared by the base model and every head."""

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    # old checkpoints saved the position-id buffer; Hub MLM checkpoints carry an unused pooler
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, RobertaLMHead):
            module.bias.data.zero_()

    def _return_dict(self, value: bool | None) -> bool:
        """`return_dict=None` means the config's choice (True unless set otherwise)."""
        return self.config.return_dict if value is None else value


_NO_POOLER: list[str] = [*RobertaPreTrainedModel.ignore_unexpected_keys, r"(^|\.)pooler\."]


class RobertaModel(RobertaPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    def __init__(self, config: RobertaConfig, add_pooling_layer: bool = True) -> None:
        if config.add_cross_attention:
            raise NotImplementedError(
                "tfx's RoBERTa has no cross-attention (add_cross_attention=True); it serves "
                "encoders and decoder-only RobertaForCausalLM."
            )
        super().__init__(config)
        self.embeddings = RobertaEmbeddings(config)
        self.encoder = RobertaEncoder(config)
        self.pooler = RobertaPooler(config) if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPoolingAndPast | tuple:
        config = self.config
        if head_mask is not None:
            raise NotImplementedError("tfx's RoBERTa does not implement head_mask; drop it.")
        output_attentions = (
            config.output_attentions if output_attentions is None else output_attentions
        )
        output_hidden_states = (
            config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        cache = None
        if config.is_decoder and (config.use_cache if use_cache is None else use_cache):
            cache = past_key_values if past_key_values is not None else DynamicCache()
        past = cache.get_seq_length() if cache is not None else 0
        hidden_states = self.embeddings(
            input_ids, token_type_ids, position_ids, inputs_embeds, past_length=past
        )
        length, dtype = hidden_states.shape[1], hidden_states.dtype
        if config.is_decoder:
            mask, is_causal = decoder_mask(
                attention_mask, length, past, dtype, hidden_states.device
            )
        else:
            mask, is_causal = padding_mask(attention_mask, dtype), False
        implementation = "eager" if output_attentions else (config.attn_implementation or "sdpa")
        hidden_states, all_hidden, all_attentions = self.encoder(
            hidden_states,
            mask,
            is_causal,
            cache,
            output_attentions,
            output_hidden_states,
            implementation,
        )
        pooled = self.pooler(hidden_states) if self.pooler is not None else None
        output = BaseModelOutputWithPoolingAndPast(
            last_hidden_state=hidden_states,
            pooler_output=pooled,
            past_key_values=cache,
            hidden_states=all_hidden,
            attentions=all_attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


def _flat(tensor: torch.Tensor | None) -> torch.Tensor | None:
    """`[batch, choices, ...]` -> `[batch * choices, ...]` (multiple choice)."""
    return None if tensor is None else tensor.reshape(-1, *tensor.shape[2:])


class RobertaLMHead(nn.Module):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.layer_norm(F.gelu(self.dense(hidden_states))))


_TIED_DECODER = {"lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight"}
_SHARED_BIAS = {"lm_head.decoder.bias": "lm_head.bias"}


class RobertaForMaskedLM(RobertaPreTrainedModel):
    """Predicts masked tokens; the output projection shares the input embedding matrix."""

    tied_weights: ClassVar[dict[str, str]] = _TIED_DECODER
    shared_weights: ClassVar[dict[str, str]] = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.lm_head = RobertaLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple:
        """`labels` (-100 = not masked) give the masked-LM cross-entropy."""
        outputs = self.roberta(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.lm_head(outputs.last_hidden_state)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1))
        output = MaskedLMOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class RobertaForCausalLM(GenerationMixin, RobertaPreTrainedModel):
    """Left-to-right LM on a causal RoBERTa (`config.is_decoder=True`); has `generate`."""

    tied_weights: ClassVar[dict[str, str]] = _TIED_DECODER
    shared_weights: ClassVar[dict[str, str]] = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.lm_head = RobertaLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int = 0,
    ) -> CausalLMOutputWithPast | tuple:
        """`labels` (same shape as `input_ids`, -100 = ignored) give the next-token loss."""
        outputs = self.roberta(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            past_key_values=past_key_values,
            use_cache=False if labels is not None else use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        hidden_states = outputs.last_hidden_state
        if logits_to_keep:  # generation needs the last position only
            hidden_states = hidden_states[:, -logits_to_keep:]
        logits = self.lm_head(hidden_states)
        loss = None
        if labels is not None:  # position t predicts token t + 1
            shifted = F.pad(labels, (0, 1), value=-100)[..., 1:].to(logits.device)
            loss = F.cross_entropy(logits.float().flatten(0, 1), shifted.flatten())
        output = CausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """Generation numbers positions from 0; RoBERTa's start after the padding id."""
        if position_ids is not None:
            position_ids = position_ids + self.config.pad_token_id + 1
        return super()._decode_forward(
            input_ids, attention_mask=attention_mask, position_ids=position_ids, cache=cache
        )


class RobertaClassificationHead(nn.Module):
    """Sentence head on the first (`<s>`) token: dropout, dense, tanh, dropout, projection."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        x = torch.tanh(self.dense(self.dropout(hidden_states[:, 0])))
        return self.out_proj(self.dropout(x))


class RobertaForSequenceClassification(RobertaPreTrainedModel):
    """Classifies (or regresses) the whole sequence through `RobertaClassificationHead`."""

    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.classifier = RobertaClassificationHead(config)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        outputs = self.roberta(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(outputs.last_hidden_state)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config)
        output = SequenceClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class RobertaForTokenClassification(RobertaPreTrainedModel):
    """Labels every token (named entities, parts of speech)."""

    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        outputs = self.roberta(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = None
        if labels is not None:
            loss = token_classification_loss(logits, labels)
        output = TokenClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class RobertaForQuestionAnswering(RobertaPreTrainedModel):
    """Extractive QA: a start and an end logit for every token."""

    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple:
        outputs = self.roberta(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.qa_outputs(outputs.last_hidden_state)
        start_logits, end_logits = (t.contiguous() for t in logits.split(1, dim=-1))
        start_logits, end_logits = start_logits.squeeze(-1), end_logits.squeeze(-1)
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        output = QuestionAnsweringModelOutput(
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class RobertaForMultipleChoice(RobertaPreTrainedModel):
    """Scores each of `choices` continuations from the pooled `<s>`; inputs `[batch, choices, length]`."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.roberta = RobertaModel(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MultipleChoiceModelOutput | tuple:
        choices = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        outputs = self.roberta(
            _flat(input_ids),
            attention_mask=_flat(attention_mask),
            token_type_ids=_flat(token_type_ids),
            position_ids=_flat(position_ids),
            head_mask=head_mask,
            inputs_embeds=_flat(inputs_embeds),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.pooler_output)).view(-1, choices)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        output = MultipleChoiceModelOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()
