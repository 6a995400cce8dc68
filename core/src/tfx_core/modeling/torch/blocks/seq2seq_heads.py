"""The heads of the BART-family encoder-decoders, written once.

```python
class BartForConditionalGeneration(ConditionalGenerationHead, GenerationMixin, BartPreTrainedModel):
    base_model_class = BartModel
class BartForSequenceClassification(Seq2SeqSequenceClassificationHead, BartPreTrainedModel):
    base_model_class = BartModel
```
- `ConditionalGenerationHead`: `lm_head` (tied to `model.shared`) plus the `final_logits_bias`
  buffer (`use_final_logits_bias = False` drops it); labels shift into decoder inputs through
  `shift_labels` (mBART overrides it with the language-code shift).
- `Seq2SeqSequenceClassificationHead`: the decoder state at each row's last `</s>`, then
  `classification_head.{dense, out_proj}` with tanh.
- `Seq2SeqQuestionAnsweringHead`: `qa_outputs` over the decoder states.
- `DecoderOnlyCausalLMHead` (`...ForCausalLM`): the decoder alone (`model.decoder`) + `lm_head`.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import (
    CausalLMOutputWithCrossAttentions,
    ModelOutput,
    Seq2SeqLMOutput,
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)
from tfx_core.modeling.torch.blocks.seq2seq_lean import LeanSeq2SeqDecoding
from tfx_core.modeling.torch.heads import Seq2SeqLMHead, TaskHead
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.linear import Linear
from tfx_core.modeling.torch.losses import sequence_classification_loss, span_loss
from tfx_core.modeling.torch.shifting import shift_tokens_right

__all__ = [
    "ClassificationHead",
    "ConditionalGenerationHead",
    "DecoderOnlyCausalLMHead",
    "DecoderWrapper",
    "Seq2SeqQuestionAnsweringHead",
    "Seq2SeqSequenceClassificationHead",
]

_SEQ2SEQ_FIELDS = (
    "past_key_values",
    "decoder_hidden_states",
    "decoder_attentions",
    "cross_attentions",
    "encoder_last_hidden_state",
    "encoder_hidden_states",
    "encoder_attentions",
)


def _seq2seq_fields(base: ModelOutput) -> dict[str, Any]:
    return {name: getattr(base, name, None) for name in _SEQ2SEQ_FIELDS}


@trusted_forward
class ConditionalGenerationHead(LeanSeq2SeqDecoding, Seq2SeqLMHead):
    """Seq2seq language modelling: `lm_head(decoder states) + final_logits_bias`.

    `generate` runs one-token decoder steps through a lean plan (`seq2seq_lean.py`, same math)
    while nothing observes or patches the modules.
    """

    output_class = Seq2SeqLMOutput
    use_final_logits_bias: ClassVar[bool] = True
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "model.shared.weight"}

    def build_head(self, config: Any) -> None:
        vocab = self.base_model.shared.num_embeddings
        self.lm_head = Linear(config.d_model, vocab, bias=False)
        if self.use_final_logits_bias:
            self.register_buffer("final_logits_bias", torch.zeros(1, vocab))

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Module) -> None:
        self.lm_head = value

    def shift_labels(self, labels: torch.Tensor) -> torch.Tensor:
        """Decoder inputs for teacher forcing when only `labels` are given."""
        config = self.config
        return shift_tokens_right(labels, config.pad_token_id, config.decoder_start_token_id)

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = self.lm_head(hidden)
        bias = self._buffers.get("final_logits_bias")
        return logits if bias is None else logits + bias.to(logits.dtype)

    default_lm_logits = lm_logits  # what the lean decode plan reproduces

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int = 0,
        **kwargs: Any,
    ) -> Any:
        if labels is not None:
            kwargs["use_cache"] = False
            if decoder_input_ids is None and kwargs.get("decoder_inputs_embeds") is None:
                decoder_input_ids = self.shift_labels(labels)
        base = self.base_model(
            input_ids,
            attention_mask,
            decoder_input_ids,
            decoder_attention_mask,
            *args,
            return_dict=True,
            **kwargs,
        )
        hidden = base.last_hidden_state
        logits = self.lm_logits(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(
                logits.float().reshape(-1, logits.shape[-1]), labels.to(logits.device).reshape(-1)
            )
        outputs = Seq2SeqLMOutput(loss=loss, logits=logits, **_seq2seq_fields(base))
        return self.model_outputs(outputs, return_dict)

    def resize_token_embeddings(self, new_num_tokens: int) -> nn.Embedding:
        embeddings = super().resize_token_embeddings(new_num_tokens)
        bias = self._buffers.get("final_logits_bias")
        if bias is not None and bias.shape[-1] != new_num_tokens:
            resized = bias.new_zeros(1, new_num_tokens)
            keep = min(new_num_tokens, bias.shape[-1])
            resized[:, :keep] = bias[:, :keep]
            self.register_buffer("final_logits_bias", resized)
        return embeddings


class ClassificationHead(nn.Module):
    """`out_proj(dropout(tanh(dense(dropout(x)))))`: BART's sentence classifier."""

    def __init__(self, input_dim: int, inner_dim: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.dense = Linear(input_dim, inner_dim)
        self.dropout = nn.Dropout(p=dropout)
        self.out_proj = Linear(inner_dim, num_classes)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        hidden = torch.tanh(self.dense(self.dropout(hidden_states)))
        return self.out_proj(self.dropout(hidden))


class Seq2SeqSequenceClassificationHead(TaskHead):
    """Classifies from the decoder state at each row's last end-of-sequence token."""

    output_class = Seq2SeqSequenceClassifierOutput
    classification_head_class: ClassVar[type[nn.Module]] = ClassificationHead

    def build_head(self, config: Any) -> None:
        self.num_labels = config.num_labels
        self.classification_head = self.classification_head_class(
            config.d_model, config.d_model, config.num_labels, config.classifier_dropout or 0.0
        )

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        if input_ids is None and kwargs.get("inputs_embeds") is not None:
            raise ConfigError(
                f"{type(self).__name__} reads the </s> positions from input_ids: pass input_ids."
            )
        if labels is not None:
            kwargs["use_cache"] = False
        base = self.base_model(input_ids, attention_mask, *args, return_dict=True, **kwargs)
        hidden = base.last_hidden_state
        eos_mask = input_ids.eq(self.config.eos_token_id).to(hidden.device)
        counts = eos_mask.sum(1)
        if bool((counts == 0).any()) or bool((counts != counts[0]).any()):
            raise ConfigError(
                "All examples must have the same number of <eos> tokens (and at least one): "
                "encode them with the model's tokenizer, which ends each text with </s>."
            )
        features = hidden[eos_mask, :].view(hidden.shape[0], -1, hidden.shape[-1])[:, -1, :]
        logits = self.classification_head(features)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels.to(logits.device), self.config)
        outputs = Seq2SeqSequenceClassifierOutput(loss=loss, logits=logits, **_seq2seq_fields(base))
        return self.model_outputs(outputs, return_dict)


class Seq2SeqQuestionAnsweringHead(TaskHead):
    """Extractive QA: start/end logits from the decoder states (`qa_outputs`)."""

    output_class = Seq2SeqQuestionAnsweringModelOutput

    def build_head(self, config: Any) -> None:
        config.num_labels = 2
        self.num_labels = 2
        self.qa_outputs = Linear(config.d_model, 2)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        *args: Any,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        if start_positions is not None and end_positions is not None:
            kwargs["use_cache"] = False
        base = self.base_model(input_ids, attention_mask, *args, return_dict=True, **kwargs)
        logits = self.qa_outputs(base.last_hidden_state)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        outputs = Seq2SeqQuestionAnsweringModelOutput(
            loss=loss, start_logits=start_logits, end_logits=end_logits, **_seq2seq_fields(base)
        )
        return self.model_outputs(outputs, return_dict)


class DecoderWrapper(nn.Module):
    """Holds the decoder at `decoder`, so `...ForCausalLM` keys read `model.decoder.*`."""

    decoder_class: ClassVar[type[nn.Module]]

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.decoder = self.decoder_class(config)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.decoder(*args, **kwargs)


class DecoderOnlyCausalLMHead:
    """`...ForCausalLM`: the decoder alone as a language model (mixed in before the
    `GenerationMixin` and the plugin's `Seq2SeqPreTrainedModel` subclass).

    `wrapper_class` is the plugin's `DecoderWrapper` subclass; `lm_head` is tied to the
    decoder's token embeddings.
    """

    wrapper_class: ClassVar[type[nn.Module]]
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "model.decoder.embed_tokens.weight"}

    def __init__(self, config: Any) -> None:
        config = copy.deepcopy(config)
        config.is_decoder = True
        config.is_encoder_decoder = False
        super().__init__(config)  # type: ignore[call-arg]
        self.model = self.wrapper_class(config)
        self.lm_head = Linear(
            config.d_model, self.model.decoder.embed_tokens.num_embeddings, bias=False
        )
        self.post_init()  # type: ignore[attr-defined]

    def get_input_embeddings(self) -> nn.Module:
        return self.model.decoder.embed_tokens

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.model.decoder.embed_tokens = value

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Module) -> None:
        self.lm_head = value

    def get_decoder(self) -> nn.Module:
        return self.model.decoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        cross_attn_head_mask: torch.Tensor | None = None,
        past_key_values: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.Tensor | None = None,
        logits_to_keep: int = 0,
        position_ids: torch.Tensor
        | None = None,  # generation passes it; positions follow the cache
    ) -> Any:
        outputs = self.model.decoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            head_mask=head_mask,
            cross_attn_head_mask=cross_attn_head_mask,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
            cache_position=cache_position,
        )
        hidden = outputs.last_hidden_state
        logits = self.lm_head(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = None
        if labels is not None:  # the reference's ...ForCausalLM: labels already aligned, no shift
            loss = F.cross_entropy(
                logits.float().reshape(-1, logits.shape[-1]), labels.to(logits.device).reshape(-1)
            )
        result = CausalLMOutputWithCrossAttentions(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            cross_attentions=outputs.cross_attentions,
        )
        return self.model_outputs(result, return_dict)  # type: ignore[attr-defined]
