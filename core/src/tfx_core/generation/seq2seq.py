"""Encoder-decoder generation: run the encoder once, then decode from the start token.

`GenerationMixin.generate` calls `prepare_encoder_decoder` when `config.is_encoder_decoder`:
it validates the source ids, runs `model.get_encoder()` once (or takes the caller's
`encoder_outputs`), and builds the decoder prompt (`decoder_input_ids`, or one
`decoder_start_token_id` per row). The decoding loops of `search.py` are shared with
decoder-only models: they talk to a `Seq2SeqStepper`, whose `_decode_forward` feeds the
decoder one step with the (expanded) encoder states and mask, through the model's
`_seq2seq_decode_forward` hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.config import GenerationConfig
from tfx_core.modeling.outputs import BaseModelOutput
from tfx_core.modeling.torch.cache import Cache

__all__ = ["Seq2SeqPrompt", "Seq2SeqStepper", "prepare_encoder_decoder"]


@dataclass
class Seq2SeqPrompt:
    """The encoder's outputs and mask (None: no padding) and the decoder's first ids."""

    encoder_outputs: BaseModelOutput
    encoder_attention_mask: torch.Tensor | None
    decoder_input_ids: torch.LongTensor
    group: int = 1  # consecutive rows sharing one source (after `expand`)

    def expand(self, times: int) -> None:
        """Repeat every row `times` times (beams, samples), once for the whole generation."""
        if times <= 1:
            return
        self.group *= times
        outputs = self.encoder_outputs
        self.encoder_outputs = BaseModelOutput(
            last_hidden_state=outputs.last_hidden_state.repeat_interleave(times, dim=0),
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        if self.encoder_attention_mask is not None:
            self.encoder_attention_mask = self.encoder_attention_mask.repeat_interleave(
                times, dim=0
            )
        self.decoder_input_ids = self.decoder_input_ids.repeat_interleave(times, dim=0)


class Seq2SeqStepper:
    """What the decoding loops see as "the model": one decoder step over fixed encoder states."""

    def __init__(self, model: Any, prompt: Seq2SeqPrompt) -> None:
        self.model = model
        self.encoder_hidden_states = prompt.encoder_outputs.last_hidden_state
        self.encoder_attention_mask = prompt.encoder_attention_mask
        self.dtype = model.dtype

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        return self.model._seq2seq_decode_forward(
            input_ids,
            encoder_hidden_states=self.encoder_hidden_states,
            encoder_attention_mask=self.encoder_attention_mask,
            decoder_attention_mask=attention_mask,
            cache=cache,
        )


def decoder_start_id(model: Any, config: GenerationConfig) -> int:
    """The generation config's `decoder_start_token_id`, else the model's, else `bos_token_id`."""
    for value in (
        config.decoder_start_token_id,
        getattr(model.config, "decoder_start_token_id", None),
        config.bos_token_id,
    ):
        if value is not None:
            if isinstance(value, list):
                raise GenerationError(
                    "decoder_start_token_id must be one int for the whole batch; pass "
                    "decoder_input_ids to start rows differently."
                )
            return int(value)
    raise GenerationError(
        "An encoder-decoder model needs decoder_start_token_id (or bos_token_id) to start "
        "decoding: set it in the generation config or pass decoder_input_ids."
    )


def _as_long_ids(value: Any, name: str, device: torch.device) -> torch.LongTensor:
    if not isinstance(value, torch.Tensor):
        try:
            value = torch.as_tensor(value, dtype=torch.long)
        except (TypeError, ValueError) as exc:
            raise GenerationError(f"{name} must be a LongTensor [batch, length]: {exc}") from exc
    if value.dim() == 1:
        value = value.unsqueeze(0)
    if value.dim() != 2 or value.dtype not in (torch.long, torch.int32, torch.int64):
        raise GenerationError(
            f"{name} must be an integer tensor [batch, length], got {value.dtype} of shape "
            f"{tuple(value.shape)}."
        )
    if value.shape[0] == 0 or value.shape[1] == 0:
        raise GenerationError(f"{name} is empty: give at least one token.")
    return value.to(device=device, dtype=torch.long)


def _encoder_outputs(value: Any) -> BaseModelOutput:
    if isinstance(value, BaseModelOutput):
        return value
    if isinstance(value, torch.Tensor):
        return BaseModelOutput(last_hidden_state=value)
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return BaseModelOutput(last_hidden_state=value[0])
    hidden = getattr(value, "last_hidden_state", None)
    if isinstance(hidden, torch.Tensor):
        return BaseModelOutput(
            last_hidden_state=hidden,
            hidden_states=getattr(value, "hidden_states", None),
            attentions=getattr(value, "attentions", None),
        )
    raise GenerationError(
        "encoder_outputs must be the encoder's output (with last_hidden_state) or a tuple "
        f"whose first item is it; got {type(value).__name__}."
    )


def prepare_encoder_decoder(
    model: Any,
    input_ids: Any,
    attention_mask: Any,
    encoder_outputs: Any,
    decoder_input_ids: Any,
    config: GenerationConfig,
    pad: int | None,
    eos: list[int],
) -> Seq2SeqPrompt:
    """Encode the source (unless `encoder_outputs` are given) and build the decoder prompt."""
    device = model.device
    mask = None
    if encoder_outputs is None:
        if input_ids is None:
            raise GenerationError(
                "generate() on an encoder-decoder model needs input_ids (the source text's ids) "
                "or encoder_outputs."
            )
        input_ids = _as_long_ids(input_ids, "input_ids", device)
        embeddings = model.get_input_embeddings()
        vocab = getattr(getattr(embeddings, "weight", None), "shape", (None,))[0]
        if vocab is not None and (bool((input_ids < 0).any()) or bool((input_ids >= vocab).any())):
            raise GenerationError(
                f"input_ids contain ids outside the vocabulary [0, {vocab}). Check the tokenizer "
                "matches the model."
            )
        limit = getattr(model.config, "max_position_embeddings", None)
        if limit is not None and input_ids.shape[1] > limit:
            raise GenerationError(
                f"The input has {input_ids.shape[1]} tokens but the encoder takes at most {limit}: "
                "truncate it (tokenizer truncation=True, max_length=...)."
            )
        mask = model._prompt_mask(input_ids, attention_mask, pad, eos)
        encoder_outputs = model.get_encoder()(
            input_ids=input_ids,
            attention_mask=mask,
            output_attentions=bool(config.output_attentions),
            output_hidden_states=bool(config.output_hidden_states),
            return_dict=True,
        )
        batch = input_ids.shape[0]
    else:
        encoder_outputs = _encoder_outputs(encoder_outputs)
        batch = encoder_outputs.last_hidden_state.shape[0]
        if attention_mask is not None:
            mask = torch.as_tensor(attention_mask, device=device).to(torch.long)
            if mask.dim() != 2 or tuple(mask.shape) != tuple(
                encoder_outputs.last_hidden_state.shape[:2]
            ):
                raise GenerationError(
                    "attention_mask must be [batch, source length], like encoder_outputs' "
                    f"last_hidden_state; got {tuple(mask.shape)}."
                )
    if mask is not None and bool(mask.all()):
        mask = None  # no padding: the cross-attention needs no mask
    start = decoder_start_id(model, config)
    if decoder_input_ids is None:
        decoder_ids = torch.full((batch, 1), start, dtype=torch.long, device=device)
    else:
        decoder_ids = _as_long_ids(decoder_input_ids, "decoder_input_ids", device)
        if decoder_ids.shape[0] != batch:
            raise GenerationError(
                f"decoder_input_ids has {decoder_ids.shape[0]} rows but the input has {batch}."
            )
        if bool((decoder_ids[:, 0] != start).all()):
            first = torch.full((batch, 1), start, dtype=torch.long, device=device)
            decoder_ids = torch.cat([first, decoder_ids], dim=-1)
    return Seq2SeqPrompt(encoder_outputs, mask, decoder_ids)
