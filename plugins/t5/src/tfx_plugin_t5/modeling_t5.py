"""T5 in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

`shared` (the one token embedding, also the stacks' `embed_tokens`), an `encoder` and a
`decoder` `T5Stack` (stack_t5.py; layers in layers_t5.py), and per head:
- `T5ForConditionalGeneration`: `lm_head`; tied to `shared` when `tie_word_embeddings`, and then
  the decoder output is scaled by `d_model ** -0.5` first (T5 v1.0). With `labels` only, the
  decoder reads them shifted right behind `decoder_start_token_id`.
- `T5ForSequenceClassification`: the decoder state at each row's last `</s>` through
  `classification_head` (dense, tanh, out_proj); the base model sits at `transformer`.
- `T5ForTokenClassification` (encoder only, `transformer`), `T5ForQuestionAnswering` (span
  logits from the decoder states), `T5EncoderModel`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError, WeightsError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import (
    BaseModelOutput,
    Seq2SeqLMOutput,
    Seq2SeqModelOutput,
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)
from tfx_core.modeling.torch import PreTrainedModel, shift_tokens_right
from tfx_core.modeling.torch.heads import TokenClassificationHead
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.losses import (
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)
from tfx_core.weights import open_checkpoint
from tfx_plugin_t5.configuration_t5 import T5Config
from tfx_plugin_t5.layers_t5 import (
    T5Attention,
    T5DenseActDense,
    T5DenseGatedActDense,
    T5LayerNorm,
    keep_wo_in_float32,
)
from tfx_plugin_t5.lean_t5 import LeanT5Decoding
from tfx_plugin_t5.stack_t5 import T5Stack

__all__ = [
    "T5EncoderModel",
    "T5ForConditionalGeneration",
    "T5ForQuestionAnswering",
    "T5ForSequenceClassification",
    "T5ForTokenClassification",
    "T5Model",
    "T5PreTrainedModel",
]

_EMBEDDINGS = {"encoder.embed_tokens.weight": "shared.weight"}
#: The reference's positional order of the seq2seq models' inputs.
SEQ2SEQ_INPUTS = (
    "input_ids",
    "attention_mask",
    "decoder_input_ids",
    "decoder_attention_mask",
    "head_mask",
    "decoder_head_mask",
    "cross_attn_head_mask",
    "encoder_outputs",
    "past_key_values",
    "inputs_embeds",
    "decoder_inputs_embeds",
)
_SEQ2SEQ_EMBEDDINGS = {**_EMBEDDINGS, "decoder.embed_tokens.weight": "shared.weight"}


class T5PreTrainedModel(PreTrainedModel):
    """Shared T5 loading rules and the reference's initialisation (scaled by fan-in)."""

    config_class = T5Config
    base_model_prefix = "transformer"
    # old checkpoints carry a bias table for the decoder's first cross-attention; unused
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$"
    ]
    #: module names kept in float32 when the model is loaded in float16 (the reference's list)
    keep_in_fp32_modules: ClassVar[tuple[str, ...]] = ("wo",)

    def _init_weights(self, module: nn.Module) -> None:
        config = self.config
        factor = config.initializer_factor
        d_model, d_ff, inner = config.d_model, config.d_ff, config.num_heads * config.d_kv
        normal = nn.init.normal_
        if isinstance(module, T5LayerNorm):
            nn.init.constant_(module.weight, factor)
        elif isinstance(module, nn.Embedding):
            normal(module.weight, std=factor)
        elif isinstance(module, T5DenseActDense):
            normal(module.wi.weight, std=factor * d_model**-0.5)
            normal(module.wo.weight, std=factor * d_ff**-0.5)
        elif isinstance(module, T5DenseGatedActDense):
            normal(module.wi_0.weight, std=factor * d_model**-0.5)
            normal(module.wi_1.weight, std=factor * d_model**-0.5)
            normal(module.wo.weight, std=factor * d_ff**-0.5)
        elif isinstance(module, T5Attention):
            normal(module.q.weight, std=factor * (d_model * config.d_kv) ** -0.5)
            normal(module.k.weight, std=factor * d_model**-0.5)
            normal(module.v.weight, std=factor * d_model**-0.5)
            normal(module.o.weight, std=factor * inner**-0.5)
            if module.has_relative_attention_bias:
                normal(module.relative_attention_bias.weight, std=factor * d_model**-0.5)
        elif isinstance(module, T5ClassificationHead):
            for layer in (module.dense, module.out_proj):
                normal(layer.weight, std=factor * d_model**-0.5)
                nn.init.zeros_(layer.bias)
        elif isinstance(module, nn.Linear):  # lm_head and classifier: factor; qa_outputs
            wide = module is getattr(self, "lm_head", None) or module is getattr(
                self, "classifier", None
            )
            std = factor if wide else factor * d_model**-0.5
            normal(module.weight, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def _after_load(self, folder: Path) -> None:
        """Float16 models keep `wo` in float32, read again from the file (not up-cast)."""
        super()._after_load(folder)
        if self.get_input_embeddings().weight.dtype != torch.float16:
            return
        keep_wo_in_float32(self)
        try:
            reader = open_checkpoint(folder)
        except WeightsError:  # a pickle file the caller opted in to: keep the up-cast values
            return
        with reader:
            stored = set(reader.keys())
            for key, parameter in self.state_dict(keep_vars=True).items():
                if not key.endswith(".wo.weight"):
                    continue
                bare = key.removeprefix(f"{self.base_model_prefix}.")
                for name in (key, bare, f"{self.base_model_prefix}.{bare}"):
                    if name in stored:
                        value = reader.get(name, framework="pt")
                        with torch.no_grad():
                            parameter.copy_(value.to(parameter.dtype))
                        break

    def _shift_right(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Decoder inputs from targets: `decoder_start_token_id` first, -100 -> padding."""
        return shift_tokens_right(
            input_ids, self.config.pad_token_id, self.config.decoder_start_token_id
        )

    def prepare_decoder_input_ids_from_labels(self, labels: torch.Tensor) -> torch.Tensor:
        return self._shift_right(labels)


class T5EncoderDecoder(T5PreTrainedModel):
    """`shared`, `encoder` and `decoder`: what T5Model and the seq2seq heads are built of."""

    shared_weights: ClassVar[dict[str, str]] = _SEQ2SEQ_EMBEDDINGS

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = T5Stack(config, self.shared)
        self.decoder = T5Stack(
            config, self.shared, is_decoder=True, num_layers=config.num_decoder_layers
        )
        self.build_head(config)
        self.post_init()

    def build_head(self, config: T5Config) -> None:
        """Add the head's layers (none for the base model)."""

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.shared = embeddings
        self.encoder.set_input_embeddings(embeddings)
        self.decoder.set_input_embeddings(embeddings)

    def get_encoder(self) -> T5Stack:
        return self.encoder

    def get_decoder(self) -> T5Stack:
        return self.decoder

    def run(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        decoder_head_mask: torch.Tensor | None = None,
        cross_attn_head_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        cache_position: torch.Tensor | None = None,
    ) -> tuple[BaseModelOutput, Any]:
        """Encoder (unless `encoder_outputs` are given) then decoder, as output objects."""
        if encoder_outputs is None:
            encoder_outputs = self.encoder(
                input_ids=input_ids,
                attention_mask=attention_mask,
                inputs_embeds=inputs_embeds,
                head_mask=head_mask,
                output_attentions=output_attentions,
                output_hidden_states=output_hidden_states,
                return_dict=True,
            )
        elif not isinstance(encoder_outputs, BaseModelOutput):
            encoder_outputs = _as_encoder_output(encoder_outputs)
        decoder_outputs = self.decoder(
            input_ids=decoder_input_ids,
            attention_mask=decoder_attention_mask,
            inputs_embeds=decoder_inputs_embeds,
            past_key_values=past_key_values,
            encoder_hidden_states=encoder_outputs[0],
            encoder_attention_mask=attention_mask,
            head_mask=decoder_head_mask,
            cross_attn_head_mask=cross_attn_head_mask,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
            cache_position=cache_position,
        )
        return encoder_outputs, decoder_outputs

    @staticmethod
    def named_inputs(args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Positional inputs (in the reference's order) merged into the keyword inputs."""
        if len(args) > len(SEQ2SEQ_INPUTS):
            raise ConfigError(
                f"At most {len(SEQ2SEQ_INPUTS)} positional inputs ({', '.join(SEQ2SEQ_INPUTS)}); "
                "pass the others by name."
            )
        for name, value in zip(SEQ2SEQ_INPUTS, args):
            if name in kwargs:
                raise ConfigError(f"{name} was given both by position and by name.")
            kwargs[name] = value
        return kwargs

    def default_decoder_inputs(self, kwargs: dict[str, Any], source: torch.Tensor | None) -> None:
        """`decoder_input_ids` = `source` shifted right, unless decoder inputs were given."""
        if kwargs.get("decoder_input_ids") is None and kwargs.get("decoder_inputs_embeds") is None:
            if source is None:
                raise ConfigError(
                    f"{type(self).__name__} needs decoder_input_ids (or decoder_inputs_embeds), "
                    "or input_ids / labels to derive them from."
                )
            kwargs["decoder_input_ids"] = self._shift_right(source)

    def seq2seq_output(
        self, output_class: type, encoder: Any, decoder: Any, return_dict: bool | None, **fields
    ) -> Any:
        return self.model_outputs(
            output_class(
                **fields,
                past_key_values=decoder.past_key_values,
                decoder_hidden_states=decoder.hidden_states,
                decoder_attentions=decoder.attentions,
                cross_attentions=decoder.cross_attentions,
                encoder_last_hidden_state=encoder.last_hidden_state,
                encoder_hidden_states=encoder.hidden_states,
                encoder_attentions=encoder.attentions,
            ),
            return_dict,
        )


def _as_encoder_output(encoder_outputs: Any) -> BaseModelOutput:
    """A caller's tuple / list / dict of encoder outputs as a `BaseModelOutput`."""
    if isinstance(encoder_outputs, dict):
        return BaseModelOutput(**encoder_outputs)
    if isinstance(encoder_outputs, (tuple, list)) and encoder_outputs:
        parts = [*encoder_outputs, None, None]
        return BaseModelOutput(
            last_hidden_state=parts[0], hidden_states=parts[1], attentions=parts[2]
        )
    if isinstance(encoder_outputs, torch.Tensor):
        return BaseModelOutput(last_hidden_state=encoder_outputs)
    raise ConfigError(
        "encoder_outputs must be a BaseModelOutput, a tuple whose first item is the encoder's "
        f"last hidden state, or that tensor; got {type(encoder_outputs).__name__}."
    )


class T5Model(T5EncoderDecoder):
    """The bare encoder-decoder: the decoder's last hidden state (`Seq2SeqModelOutput`)."""

    def forward(
        self, *args: Any, return_dict: bool | None = None, **kwargs: Any
    ) -> Seq2SeqModelOutput | tuple:
        encoder, decoder = self.run(**self.named_inputs(args, kwargs))
        return self.seq2seq_output(
            Seq2SeqModelOutput,
            encoder,
            decoder,
            return_dict,
            last_hidden_state=decoder.last_hidden_state,
        )


@trusted_forward
class T5ForConditionalGeneration(LeanT5Decoding, GenerationMixin, T5EncoderDecoder):
    """T5 with its language-modeling head (`lm_head`): text-to-text generation.

    `generate` runs one-token decoder steps through a lean plan (`lean_t5.py`, same functions)
    while nothing observes or patches the modules.
    """

    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "shared.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: T5Config) -> None:
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Seq2SeqLMOutput | tuple:
        kwargs = self.named_inputs(args, kwargs)
        if labels is not None:
            self.default_decoder_inputs(kwargs, labels)
        encoder, decoder = self.run(**kwargs)
        hidden = decoder.last_hidden_state
        if self.config.tie_word_embeddings:  # T5 v1.0 rescales before the tied projection
            hidden = hidden * self.config.d_model**-0.5
        logits = self.lm_head(hidden)
        loss = None
        if labels is not None:
            loss = token_classification_loss(logits, labels.to(logits.device))
        return self.seq2seq_output(
            Seq2SeqLMOutput, encoder, decoder, return_dict, loss=loss, logits=logits
        )


class T5ClassificationHead(nn.Module):
    """`out_proj(dropout(tanh(dense(dropout(x)))))` over the sentence representation."""

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.d_model, config.d_model)
        self.dropout = nn.Dropout(p=config.classifier_dropout)
        self.out_proj = nn.Linear(config.d_model, config.num_labels)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        hidden = torch.tanh(self.dense(self.dropout(hidden_states)))
        return self.out_proj(self.dropout(hidden))


class T5ForSequenceClassification(T5PreTrainedModel):
    """Classification from the decoder state at each row's last `</s>` (inputs must hold the
    same number of `</s>` per row, as the reference requires)."""

    shared_weights: ClassVar[dict[str, str]] = {
        f"transformer.{alias}": f"transformer.{source}"
        for alias, source in _SEQ2SEQ_EMBEDDINGS.items()
    }

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.transformer = T5Model(config)
        self.classification_head = T5ClassificationHead(config)
        self.post_init()

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Seq2SeqSequenceClassifierOutput | tuple:
        base = self.transformer
        kwargs = base.named_inputs(args, kwargs)
        input_ids = kwargs.get("input_ids")
        if input_ids is None:
            raise ConfigError(
                f"{type(self).__name__} needs input_ids: it pools at the `</s>` tokens."
            )
        if labels is not None:
            kwargs["use_cache"] = False
        base.default_decoder_inputs(kwargs, input_ids)
        encoder, decoder = base.run(**kwargs)
        logits = self.classification_head(self.sentence_representation(input_ids, decoder))
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels.to(logits.device), self.config)
        return base.seq2seq_output(
            Seq2SeqSequenceClassifierOutput,
            encoder,
            decoder,
            return_dict,
            loss=loss,
            logits=logits,
        )

    def sentence_representation(self, input_ids: torch.Tensor, decoder: Any) -> torch.Tensor:
        """The decoder state at each row's last `eos_token_id`."""
        hidden = decoder.last_hidden_state
        eos = input_ids.eq(self.config.eos_token_id).to(hidden.device)
        counts = eos.sum(1)
        if counts.numel() and (counts.min() != counts.max() or int(counts.min()) == 0):
            raise ConfigError(
                f"{type(self).__name__}: every row must hold the same number (>= 1) of "
                f"</s> tokens (id {self.config.eos_token_id}); got {counts.tolist()}. Encode "
                "with the tokenizer's special tokens."
            )
        batch, _, width = hidden.shape
        return hidden[eos, :].view(batch, -1, width)[:, -1, :]


class T5EncoderModel(T5PreTrainedModel):
    """The encoder alone (`shared` + `encoder`): sentence encoders, T5 text towers."""

    shared_weights: ClassVar[dict[str, str]] = _EMBEDDINGS
    ignore_unexpected_keys: ClassVar[list[str]] = [r"^decoder\.", r"^lm_head\."]

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = T5Stack(config, self.shared)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.shared = embeddings
        self.encoder.set_input_embeddings(embeddings)

    def get_encoder(self) -> T5Stack:
        return self.encoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        return self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )


class T5ForTokenClassification(TokenClassificationHead, T5PreTrainedModel):
    """A label per token from the encoder (`transformer` = `T5EncoderModel`, `classifier`)."""

    base_model_class = T5EncoderModel
    dropout_fields = ("classifier_dropout",)
    shared_weights: ClassVar[dict[str, str]] = {
        "transformer.encoder.embed_tokens.weight": "transformer.shared.weight"
    }


class T5ForQuestionAnswering(T5EncoderDecoder):
    """Span start/end logits (`qa_outputs`) from the decoder states; the decoder reads the
    input ids shifted right when no decoder inputs are given."""

    def build_head(self, config: T5Config) -> None:
        self.qa_outputs = nn.Linear(config.d_model, config.num_labels)

    def forward(
        self,
        *args: Any,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Seq2SeqQuestionAnsweringModelOutput | tuple:
        kwargs = self.named_inputs(args, kwargs)
        self.default_decoder_inputs(kwargs, kwargs.get("input_ids"))
        kwargs["past_key_values"] = None  # the reference runs this head without a cache
        encoder, decoder = self.run(**kwargs)
        logits = self.qa_outputs(decoder.last_hidden_state)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        return self.seq2seq_output(
            Seq2SeqQuestionAnsweringModelOutput,
            encoder,
            decoder,
            return_dict,
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
        )
