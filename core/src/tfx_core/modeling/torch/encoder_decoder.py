"""`EncoderDecoderModel`: any tfx encoder and any tfx decoder with cross-attention, as one seq2seq
model (BERT2BERT, RoBERTa2GPT-2, BertGeneration, ...), with the reference's checkpoint layout.

The encoder is the base model of `config.encoder` (`AutoModel`), the decoder the causal-LM head of
`config.decoder` (`AutoModelForCausalLM`, built with `is_decoder` and `add_cross_attention`);
their weights sit under `encoder.` and `decoder.`, plus `enc_to_dec_proj` when the widths
differ. `forward` runs the encoder (unless `encoder_outputs` are given) and the decoder over its
states; `generate` is the core's encoder-decoder generation: the encoder runs once, the decoder
keeps its self-attention keys/values and the encoder's projected keys/values in an
`EncoderDecoderCache`.
"""

from __future__ import annotations

import copy
import logging
import os
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.encoder_decoder_config import EncoderDecoderConfig
from tfx_core.errors import ConfigError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import BaseModelOutput, Seq2SeqLMOutput
from tfx_core.modeling.torch.base import PreTrainedModel
from tfx_core.modeling.torch.losses import token_classification_loss
from tfx_core.modeling.torch.shifting import shift_tokens_right

logger = logging.getLogger("tfx_core.modeling")

_ROLES = ("encoder", "decoder")


class EncoderDecoderModel(GenerationMixin, PreTrainedModel):
    """An encoder and a decoder (with cross-attention) trained or used as one seq2seq model."""

    config_class: ClassVar[type[EncoderDecoderConfig]] = EncoderDecoderConfig
    base_model_prefix: ClassVar[str] = "encoder_decoder"

    def __init__(
        self,
        config: EncoderDecoderConfig | None = None,
        encoder: PreTrainedModel | None = None,
        decoder: PreTrainedModel | None = None,
    ) -> None:
        if config is None:
            if encoder is None or decoder is None:
                raise ConfigError(
                    "EncoderDecoderModel needs a config, or both an encoder and a decoder model."
                )
            config = EncoderDecoderConfig.from_encoder_decoder_configs(
                encoder.config, decoder.config
            )
        if not isinstance(config, EncoderDecoderConfig):
            raise ConfigError(
                f"EncoderDecoderModel expects an EncoderDecoderConfig, got {type(config).__name__}."
            )
        super().__init__(config)
        from tfx_core.auto import AutoModel, AutoModelForCausalLM

        self.encoder = encoder if encoder is not None else AutoModel.from_config(config.encoder)
        self.decoder = (
            decoder if decoder is not None else AutoModelForCausalLM.from_config(config.decoder)
        )
        self.encoder.config, self.decoder.config = config.encoder, config.decoder
        if self.encoder.get_output_embeddings() is not None:
            raise ConfigError(
                f"The encoder ({type(self.encoder).__name__}) has a language-model head: pass "
                "the base model (AutoModel), not a head."
            )
        encoder_width, decoder_width = _width(config.encoder), _width(config.decoder)
        if (
            encoder_width != decoder_width
            and getattr(config.decoder, "cross_attention_hidden_size", None) is None
        ):
            self.enc_to_dec_proj = nn.Linear(encoder_width, decoder_width)
            self._init_weights(self.enc_to_dec_proj)
        self.ignore_unexpected_keys = _prefixed(
            "ignore_unexpected_keys", self.encoder, self.decoder
        )
        self.ignore_missing_keys = _prefixed("ignore_missing_keys", self.encoder, self.decoder)
        if getattr(config, "tie_encoder_decoder", False) and not self._encoder_decoder_pairs():
            raise ConfigError(
                "tie_encoder_decoder=True, but the encoder "
                f"({type(self.encoder).__name__}) and the decoder's base model share no "
                "weight names and shapes: tie only an encoder and a decoder of one architecture."
            )
        self.tie_weights()

    # ---------------------------------------------------------------- parts
    def get_encoder(self) -> nn.Module:
        return self.encoder

    def get_decoder(self) -> nn.Module:
        return self.decoder

    def get_input_embeddings(self) -> nn.Module:
        return self.encoder.get_input_embeddings()

    def get_output_embeddings(self) -> nn.Module | None:
        return self.decoder.get_output_embeddings()

    def _tied_pairs(self) -> dict[str, str]:
        """The encoder's and the decoder's own ties, under their prefixes; with
        `tie_encoder_decoder`, every encoder weight also aliases the decoder's."""
        pairs: dict[str, str] = {}
        for role in _ROLES:
            part = self.__dict__["_modules"].get(role)
            if isinstance(part, PreTrainedModel):
                pairs.update({f"{role}.{a}": f"{role}.{s}" for a, s in part._tied_pairs().items()})
        if getattr(self.config, "tie_encoder_decoder", False):
            pairs.update(self._encoder_decoder_pairs())
        return pairs

    def _encoder_decoder_pairs(self) -> dict[str, str]:
        """`encoder.<name>` -> `decoder.<base prefix>.<name>` for each weight the encoder and
        the decoder's base model both have with one shape (the reference keeps the decoder's
        copy in the file; the encoder-only pooler and the decoder-only cross-attention stay
        their own)."""
        modules = self.__dict__["_modules"]
        encoder, decoder = modules.get("encoder"), modules.get("decoder")
        if not isinstance(encoder, PreTrainedModel) or not isinstance(decoder, PreTrainedModel):
            return {}
        prefix = decoder.base_model_prefix
        base = decoder._base_model()
        if base is None:
            return {}
        theirs = {key: value.shape for key, value in base.named_parameters()}
        return {
            f"encoder.{key}": f"decoder.{prefix}.{key}"
            for key, value in encoder.named_parameters()
            if theirs.get(key) == value.shape
        }

    def _init_weights(self, module: nn.Module) -> None:
        """Each part initialises its own modules its own way."""
        for role in _ROLES:
            part = self.__dict__["_modules"].get(role)
            if isinstance(part, PreTrainedModel) and any(m is module for m in part.modules()):
                part._init_weights(module)
                return
        super()._init_weights(module)

    def _context_length(self) -> int | None:
        return getattr(self.config.decoder, "max_position_embeddings", None)

    @property
    def generation_config(self) -> Any:
        """From the config, with the decoder's special tokens where the config is silent (as
        the reference derives it)."""
        config = self.__dict__.get("_generation_config")
        if config is None:
            from tfx_core.generation import GenerationConfig

            config = GenerationConfig.from_model_config(self.config)
            fallback, defaults = GenerationConfig.from_model_config(self.config.decoder), {}
            for key, value in fallback.to_dict().items():
                default = defaults.setdefault(key, getattr(GenerationConfig(), key, None))
                if getattr(config, key, None) == default and value != default:
                    setattr(config, key, value)
            self.__dict__["_generation_config"] = config
        return config

    @generation_config.setter
    def generation_config(self, value: Any) -> None:
        GenerationMixin.generation_config.fset(self, value)

    # ---------------------------------------------------------------- forward
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Logits of the decoder over the encoder's states (the reference's inputs and output).

        Other keyword arguments go to the encoder, or to the decoder when prefixed `decoder_`.
        With `labels` and no decoder inputs, the decoder reads the labels shifted right.
        """
        kwargs.pop("cache_position", None)
        return self._encode_decode(
            {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "inputs_embeds": inputs_embeds,
            },
            encoder_attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids,
            decoder_attention_mask=decoder_attention_mask,
            encoder_outputs=encoder_outputs,
            past_key_values=past_key_values,
            decoder_inputs_embeds=decoder_inputs_embeds,
            labels=labels,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            **kwargs,
        )

    #: With `labels` and no decoder mask, mask the padding of the shifted labels.
    _mask_shifted_labels: ClassVar[bool] = True

    def _encode_decode(
        self,
        encoder_inputs: dict[str, Any],
        *,
        encoder_attention_mask: torch.Tensor | None,
        decoder_input_ids: torch.LongTensor | None,
        decoder_attention_mask: torch.Tensor | None,
        encoder_outputs: Any,
        past_key_values: Any,
        decoder_inputs_embeds: torch.Tensor | None,
        labels: torch.LongTensor | None,
        use_cache: bool | None,
        output_attentions: bool | None,
        output_hidden_states: bool | None,
        return_dict: bool | None,
        **kwargs: Any,
    ) -> Any:
        """The one forward of every encoder-decoder: encode `encoder_inputs` (unless
        `encoder_outputs` are given), decode over the projected states, score with `_lm_loss`."""
        encoder_kwargs = {k: v for k, v in kwargs.items() if not k.startswith("decoder_")}
        decoder_kwargs = {k[8:]: v for k, v in kwargs.items() if k.startswith("decoder_")}
        if encoder_outputs is None:
            encoder_outputs = self.encoder(
                **encoder_inputs,
                output_attentions=output_attentions,
                output_hidden_states=output_hidden_states,
                return_dict=True,
                **encoder_kwargs,
            )
        elif isinstance(encoder_outputs, (tuple, list)):
            encoder_outputs = BaseModelOutput(*encoder_outputs)
        states = encoder_outputs.last_hidden_state
        projection = self.__dict__["_modules"].get("enc_to_dec_proj")
        if projection is not None:
            states = projection(states)
        if labels is not None and decoder_input_ids is None and decoder_inputs_embeds is None:
            decoder_input_ids = shift_tokens_right(
                labels, self.config.pad_token_id, self.config.decoder_start_token_id
            )
            if decoder_attention_mask is None and self._mask_shifted_labels:
                decoder_attention_mask = decoder_input_ids.ne(self.config.pad_token_id).long()
        decoder_outputs = self.decoder(
            input_ids=decoder_input_ids,
            attention_mask=decoder_attention_mask,
            encoder_hidden_states=states,
            encoder_attention_mask=encoder_attention_mask,
            inputs_embeds=decoder_inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            use_cache=use_cache,
            past_key_values=past_key_values,
            return_dict=True,
            **decoder_kwargs,
        )
        logits = decoder_outputs.logits
        outputs = Seq2SeqLMOutput(
            loss=self._lm_loss(logits, labels) if labels is not None else None,
            logits=logits,
            past_key_values=decoder_outputs.past_key_values,
            decoder_hidden_states=decoder_outputs.hidden_states,
            decoder_attentions=decoder_outputs.attentions,
            cross_attentions=getattr(decoder_outputs, "cross_attentions", None),
            encoder_last_hidden_state=encoder_outputs.last_hidden_state,
            encoder_hidden_states=getattr(encoder_outputs, "hidden_states", None),
            encoder_attentions=getattr(encoder_outputs, "attentions", None),
        )
        return self.model_outputs(outputs, return_dict)

    def _lm_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the logits at t against the labels at t (-100 ignored)."""
        return token_classification_loss(logits, labels.to(logits.device))

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_encoder_decoder_pretrained(
        cls,
        encoder_pretrained_model_name_or_path: str | os.PathLike | None = None,
        decoder_pretrained_model_name_or_path: str | os.PathLike | None = None,
        **kwargs: Any,
    ) -> EncoderDecoderModel:
        """An encoder and a decoder from two checkpoints (e.g. BERT2BERT from two BERTs).

        The decoder is loaded as a causal LM with `is_decoder` and `add_cross_attention` (its
        cross-attention starts random); `encoder_*` / `decoder_*` keyword arguments go to each
        side (`decoder_model=` / `encoder_model=` pass loaded models), the rest to the config.
        """
        from tfx_core.auto import AutoConfig, AutoModel, AutoModelForCausalLM

        sides: dict[str, dict[str, Any]] = {role: {} for role in _ROLES}
        for key in list(kwargs):
            for role in _ROLES:
                if key.startswith(f"{role}_"):
                    sides[role][key[len(role) + 1 :]] = kwargs.pop(key)
        parts: dict[str, Any] = {}
        sources = dict(
            zip(
                _ROLES,
                (encoder_pretrained_model_name_or_path, decoder_pretrained_model_name_or_path),
            )
        )
        for role, loader in (("encoder", AutoModel), ("decoder", AutoModelForCausalLM)):
            options = sides[role]
            model = options.pop("model", None)
            if model is None:
                if sources[role] is None:
                    raise ConfigError(
                        f"from_encoder_decoder_pretrained needs the {role}: pass "
                        f"{role}_pretrained_model_name_or_path or {role}_model=."
                    )
                config = options.pop("config", None)
                if config is None:
                    config = AutoConfig.from_pretrained(sources[role])
                config = copy.deepcopy(config)
                as_decoder = role == "decoder"
                if config.is_decoder != as_decoder or config.add_cross_attention != as_decoder:
                    logger.info(
                        "Loading %s as the %s: is_decoder and add_cross_attention set to %s.",
                        sources[role],
                        role,
                        as_decoder,
                    )
                    config.is_decoder = config.add_cross_attention = as_decoder
                model = loader.from_pretrained(sources[role], config=config, **options)
            parts[role] = model
        config = cls.config_class.from_encoder_decoder_configs(
            parts["encoder"].config, parts["decoder"].config, **kwargs
        )
        config.tie_word_embeddings = False
        return cls(config=config, encoder=parts["encoder"], decoder=parts["decoder"])


def _width(config: Any) -> int:
    return int(getattr(config, "hidden_size", None) or config.d_model)


def _prefixed(field: str, encoder: nn.Module, decoder: nn.Module) -> list[str]:
    """A part's key patterns, anchored ones (`^...`) moved under the part's prefix."""
    patterns = []
    for role, part in zip(_ROLES, (encoder, decoder)):
        for pattern in getattr(part, field, ()) or ():
            if pattern.startswith("^"):
                pattern = f"^{role}\\." + pattern[1:]
            patterns.append(pattern)
    return patterns


__all__ = ["EncoderDecoderModel"]
