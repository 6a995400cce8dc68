"""`GenerationMixin`: `model.generate(...)` for causal and encoder-decoder language models.

A model class inherits it (before its `PreTrainedModel` base, so the save/load extensions below
run) and provides `_decode_forward`, the one call the decoding loops make per step; the default
goes through the model's `forward` and works for any causal LM of the library.

`generate` resolves the request like the reference library (keyword arguments override the
`generation_config` argument, whose default values fall back to the model's own
`generation_config`, itself read from `generation_config.json` or derived from `config.json`),
validates it with typed errors, prepares the prompt (attention mask inference, expansion for
beams and samples, lengths) and runs `search.sample_search` or `search.beam_search`.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.assisted import assisted_search, build_candidate_source
from tfx_core.generation.config import DEFAULTS, GenerationConfig
from tfx_core.generation.outputs import (
    GenerateBeamDecoderOnlyOutput,
    GenerateBeamEncoderDecoderOutput,
    GenerateDecoderOnlyOutput,
    GenerateEncoderDecoderOutput,
)
from tfx_core.generation.processors import LogitsProcessor, build_logits_processors
from tfx_core.generation.request import GenerateExtras
from tfx_core.generation.search import DecodeInputs, beam_search, eos_list, sample_search
from tfx_core.generation.seq2seq import Seq2SeqPrompt, Seq2SeqStepper, prepare_encoder_decoder
from tfx_core.generation.stopping import (
    EosTokenCriteria,
    MaxLengthCriteria,
    StoppingCriteria,
    StoppingCriteriaList,
    StopStringCriteria,
)
from tfx_core.modeling.framework_common import GenerationConfigMixin
from tfx_core.modeling.torch.cache import (
    Cache,
    DynamicCache,
    EncoderDecoderCache,
    StaticCache,
    sliding_windows,
)
from tfx_core.modeling.torch.lean import _REGISTRATIONS

logger = logging.getLogger("tfx_core.generation")

__all__ = ["GenerationMixin"]

#: Below this many bytes of parameters, CPU decoding runs single-threaded.
SMALL_MODEL_BYTES = 4 << 20


class GenerationMixin(GenerationConfigMixin):
    """Adds `generate` (and `generation_config` persistence, shared with the Keras and Flax
    models) to a causal-LM `PreTrainedModel`."""

    # ------------------------------------------------------------------ model hooks
    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """Logits `[batch, vocab]` of the last position; the cache is updated in place.

        `attention_mask` is None (no padding), a 2D 0/1 mask over all positions, or a 4D
        additive float mask `[batch, 1, new, cached + new]`.
        """
        outputs = self(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
            return_dict=True,
        )
        return outputs.logits[:, -1, :]

    def _seq2seq_decode_forward(
        self,
        decoder_input_ids: torch.LongTensor,
        *,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None,
        decoder_attention_mask: torch.Tensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """Encoder-decoder models: logits `[batch, vocab]` of the decoder's last position.

        `encoder_hidden_states` are the (expanded) encoder outputs, computed once per
        `generate`; `cache` is an `EncoderDecoderCache`, updated in place.
        """
        outputs = self(
            attention_mask=encoder_attention_mask,
            decoder_input_ids=decoder_input_ids,
            decoder_attention_mask=decoder_attention_mask,
            encoder_outputs=(encoder_hidden_states,),
            past_key_values=cache,
            use_cache=True,
            return_dict=True,
        )
        return outputs.logits[:, -1, :]

    def _prepare_for_decoding(self) -> None:
        """Called once per `generate`; models may switch to faster inference layouts here."""

    def _make_generation_cache(
        self, config: GenerationConfig, batch_size: int, max_length: int
    ) -> Cache:
        if config.cache_implementation == "static":
            model_config = self.config
            heads = model_config.num_attention_heads
            kv_heads = getattr(model_config, "num_key_value_heads", None) or heads
            head_dim = getattr(model_config, "head_dim", None) or model_config.hidden_size // heads
            return StaticCache(
                num_layers=model_config.num_hidden_layers,
                max_batch_size=batch_size,
                max_cache_len=max_length,
                num_heads=kv_heads,  # grouped-query models cache only their key/value heads
                head_dim=head_dim,
                dtype=self.dtype,
                device=self.device,
                windows=sliding_windows(model_config),
            )
        return DynamicCache(capacity=max_length, windows=sliding_windows(self.config))

    def _decode_num_threads(self) -> int | None:
        """Threads for decoding, or None to keep the current setting.

        A small model's per-step ops are too short to amortise a parallel region (and a busy
        core stalls every one of them), so models under `SMALL_MODEL_BYTES` decode on one CPU
        thread; larger ones keep all threads for bandwidth.
        """
        if self.device.type != "cpu":
            return None
        return 1 if self._parameter_bytes() < SMALL_MODEL_BYTES else None

    def _parameter_bytes(self) -> int:
        """Bytes of the model's parameters, summed once and kept while no module or parameter
        was registered anywhere (a swapped weight registers one) and the dtype is unchanged."""
        _REGISTRATIONS.install()
        key = (_REGISTRATIONS.count, self.dtype)
        cached = self.__dict__.get("_parameter_bytes_cache")
        if cached is None or cached[0] != key:
            size = sum(p.numel() * p.element_size() for p in self.parameters())
            cached = self.__dict__["_parameter_bytes_cache"] = (key, size)
        return cached[1]

    def _context_length(self) -> int | None:
        return getattr(self.config, "max_position_embeddings", None)

    # ------------------------------------------------------------------ generate
    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.LongTensor | None = None,
        generation_config: GenerationConfig | None = None,
        streamer: Any = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        *,
        logits_processor: list[LogitsProcessor] | None = None,
        stopping_criteria: list[StoppingCriteria] | None = None,
        tokenizer: Any = None,
        inputs: torch.LongTensor | None = None,
        prefix_allowed_tokens_fn: Any = None,
        synced_gpus: bool | None = None,
        assistant_model: Any = None,
        negative_prompt_ids: torch.LongTensor | None = None,
        negative_prompt_attention_mask: torch.LongTensor | None = None,
        use_model_defaults: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Generate token ids for a batch of (left-padded) prompts.

        Returns `[batch * num_return_sequences, length]` token ids (prompt included), or with
        `return_dict_in_generate=True` an output with `sequences` (and `scores` / `logits` /
        `sequences_scores` / `beam_indices` when asked). Keyword arguments are
        `GenerationConfig` fields (`max_new_tokens`, `do_sample`, `num_beams`, ...). `seed` or
        `generator` make sampling reproducible without touching the global RNG. The reference's
        other arguments (`prefix_allowed_tokens_fn`, `negative_prompt_ids`, ...) are described
        in `tfx_core.generation.request`.
        """
        if input_ids is None:
            input_ids = inputs
        config, model_kwargs = self._resolve_generation_config(
            generation_config, kwargs, use_model_defaults=use_model_defaults
        )
        if attention_mask is None:
            attention_mask = model_kwargs.pop("attention_mask", None)
        seq2seq = bool(getattr(self.config, "is_encoder_decoder", False))
        if seq2seq:
            encoder_outputs = model_kwargs.pop("encoder_outputs", None)
            decoder_input_ids = model_kwargs.pop("decoder_input_ids", None)
        if model_kwargs:
            raise GenerationError(
                f"generate() got unexpected arguments: {', '.join(sorted(model_kwargs))}. They are "
                "neither GenerationConfig fields nor inputs this model takes (check the spelling)."
            )
        config.validate_for_generation()
        if seed is not None and generator is not None:
            raise GenerationError("Pass either seed or generator to generate(), not both.")
        _check_call_arguments(seed, generator, streamer, logits_processor, stopping_criteria)
        extras = GenerateExtras.build(
            self,
            config,
            prefix_allowed_tokens_fn=prefix_allowed_tokens_fn,
            synced_gpus=synced_gpus,
            assistant_model=assistant_model,
            negative_prompt_ids=negative_prompt_ids,
            negative_prompt_attention_mask=negative_prompt_attention_mask,
        )

        device = self.device
        eos = eos_list(config.eos_token_id)
        pad = config.pad_token_id
        if pad is None and eos:
            pad = eos[0]  # open-ended generation: finished rows are filled with EOS
        prompt = None
        source_ids = None  # the encoder's input ids (encoder_no_repeat_ngram_size reads them)
        if seq2seq:  # the loops decode from the decoder prompt; the encoder runs once here
            source_ids = input_ids if isinstance(input_ids, torch.Tensor) else None
            prompt = prepare_encoder_decoder(
                self,
                input_ids,
                attention_mask,
                encoder_outputs,
                decoder_input_ids,
                config,
                pad,
                eos,
            )
            input_ids = prompt.decoder_input_ids
            attention_mask = torch.ones_like(input_ids)
        else:
            input_ids = self._prompt_ids(input_ids, config, device)
            attention_mask = self._prompt_mask(input_ids, attention_mask, pad, eos)
        batch, prompt_length = input_ids.shape
        has_padding = bool((attention_mask == 0).any())
        if batch > 1 and config.do_sample and pad is None:
            raise GenerationError(
                "Sampling a batch of prompts needs a pad token to fill finished rows: set "
                "pad_token_id (or eos_token_id) in the generation config or pass it to generate()."
            )
        if has_padding and bool((attention_mask[:, -1] == 0).any()):
            logger.warning(
                "A prompt ends with padding: decoder-only models need left padding "
                "(tokenizer padding_side='left') for correct results."
            )

        max_length = self._resolve_lengths(config, kwargs, prompt_length)
        num_beams = config.num_beams
        expand = max(num_beams, config.num_return_sequences)
        if expand > 1:
            input_ids = input_ids.repeat_interleave(expand, dim=0)
            attention_mask = attention_mask.repeat_interleave(expand, dim=0)
        if prompt is not None:
            prompt.expand(expand)

        processors = build_logits_processors(
            config,
            prompt_length=prompt_length,
            eos_token_ids=eos,
            extra=logits_processor or (),
            encoder_input_ids=source_ids,
            prefix_allowed_tokens_fn=prefix_allowed_tokens_fn,
            guidance=extras.guidance,
        )
        criteria = StoppingCriteriaList(stopping_criteria or ())
        criteria.extend(extras.criteria)
        if config.stop_strings is not None:
            criteria.append(StopStringCriteria(tokenizer, config.stop_strings))

        if generator is None and seed is not None:
            generator = torch.Generator(device=device).manual_seed(int(seed))
        candidates = build_candidate_source(
            self,
            config,
            assistant_model,
            input_ids=input_ids,
            attention_mask=attention_mask,
            max_length=max_length,
            eos_token_ids=eos,
            processors=processors,
            generator=generator,
            guidance=extras.guidance,
        )
        threads = self._decode_num_threads()
        previous_threads = torch.get_num_threads()
        if threads is not None and threads != previous_threads:
            torch.set_num_threads(threads)
        try:
            return self._run_decoding(
                config,
                input_ids,
                attention_mask,
                has_padding,
                max_length,
                eos,
                pad,
                processors,
                criteria,
                generator,
                streamer,
                prompt,
                candidates,
            )
        finally:
            if threads is not None and threads != previous_threads:
                torch.set_num_threads(previous_threads)

    def _run_decoding(
        self,
        config: GenerationConfig,
        input_ids: torch.LongTensor,
        attention_mask: torch.LongTensor,
        has_padding: bool,
        max_length: int,
        eos: list[int],
        pad: int | None,
        processors: Any,
        criteria: StoppingCriteriaList,
        generator: torch.Generator | None,
        streamer: Any,
        prompt: Seq2SeqPrompt | None = None,
        candidates: Any = None,
    ) -> Any:
        num_beams = config.num_beams
        self._prepare_for_decoding()
        cache = self._make_generation_cache(config, input_ids.shape[0], max_length)
        model: Any = self
        if prompt is not None:  # the loops feed the decoder; the encoder states stay fixed
            if cache.is_static:
                raise GenerationError(
                    "cache_implementation='static' is not available for encoder-decoder models "
                    "yet: leave it unset (the dynamic cache is pre-sized to max_length)."
                )
            cache = EncoderDecoderCache(cache, static_cross=True, group=prompt.group)
            model = Seq2SeqStepper(self, prompt)
        inputs = DecodeInputs(
            input_ids=input_ids,
            attention_mask=attention_mask,
            has_padding=has_padding,
            max_length=max_length,
            eos_token_ids=eos,
            pad_token_id=pad,
            cache=cache,
        )
        if streamer is not None:
            if num_beams > 1 or input_ids.shape[0] > 1:
                raise GenerationError(
                    "Streaming generates one sequence: use a single prompt, num_beams=1 and "
                    "num_return_sequences=1."
                )
            streamer.put(input_ids.cpu())

        if candidates is not None:  # prompt lookup / assistant model (`generation.assisted`)
            result = assisted_search(
                self,
                inputs,
                config,
                processors,
                criteria,
                candidates,
                generator=generator,
                streamer=streamer,
            )
            output_class = GenerateDecoderOnlyOutput
        elif num_beams == 1:
            result = sample_search(
                model, inputs, config, processors, criteria, generator=generator, streamer=streamer
            )
            output_class = GenerateDecoderOnlyOutput
        else:
            beam_criteria = StoppingCriteriaList([MaxLengthCriteria(max_length)])
            if eos:
                beam_criteria.append(EosTokenCriteria(eos))
            beam_criteria.extend(criteria)
            result = beam_search(
                model,
                inputs,
                config,
                processors,
                beam_criteria,
                num_beams=num_beams,
                vocab_size=self._vocab_size(),
                generator=generator,
            )
            if not (config.return_dict_in_generate and config.output_scores):
                result["sequences_scores"] = None
            output_class = GenerateBeamDecoderOnlyOutput
        if not config.return_dict_in_generate:
            return result["sequences"]
        if prompt is not None:
            output_class = (
                GenerateEncoderDecoderOutput if num_beams == 1 else GenerateBeamEncoderDecoderOutput
            )
            encoded = prompt.encoder_outputs
            result["encoder_hidden_states"] = encoded.hidden_states
            result["encoder_attentions"] = encoded.attentions
        return output_class(**result)

    # ------------------------------------------------------------------ request preparation
    def _resolve_generation_config(
        self,
        generation_config: GenerationConfig | None,
        kwargs: dict[str, Any],
        *,
        use_model_defaults: bool | None = None,
    ) -> tuple[GenerationConfig, dict[str, Any]]:
        """kwargs > explicit config (non-default values) > model's config > global defaults.

        `use_model_defaults=False` drops the model's config from that chain when a config is
        given (its unset values keep the global defaults).
        """
        model_config = self.generation_config
        if generation_config is None:
            config = copy.deepcopy(model_config)
        else:
            if not isinstance(generation_config, GenerationConfig):
                raise GenerationError(
                    "generation_config must be a GenerationConfig, got "
                    f"{type(generation_config).__name__}."
                )
            config = copy.deepcopy(generation_config)
            inherited = {} if use_model_defaults is False else model_config.__dict__
            for key, value in inherited.items():
                if key.startswith("_") or key == "transformers_version":
                    continue
                default = DEFAULTS.get(key)
                if getattr(config, key, None) == default and value != default:
                    setattr(config, key, copy.deepcopy(value))
        fields = {key: value for key, value in kwargs.items() if key in DEFAULTS}
        rest = {key: value for key, value in kwargs.items() if key not in DEFAULTS}
        for key, value in fields.items():
            setattr(config, key, value)
        config.validate()
        return config, rest

    def _prompt_ids(
        self, input_ids: Any, config: GenerationConfig, device: torch.device
    ) -> torch.LongTensor:
        if input_ids is None:
            if config.bos_token_id is None:
                raise GenerationError(
                    "generate() needs input_ids, or a bos_token_id to start from an empty prompt."
                )
            return torch.full((1, 1), config.bos_token_id, dtype=torch.long, device=device)
        if not isinstance(input_ids, torch.Tensor):
            try:
                input_ids = torch.as_tensor(input_ids, dtype=torch.long)
            except (TypeError, ValueError) as exc:
                raise GenerationError(
                    f"input_ids must be a LongTensor [batch, length] of token ids: {exc}"
                ) from exc
        if input_ids.dim() == 1:
            input_ids = input_ids.unsqueeze(0)
        if input_ids.dim() != 2 or input_ids.dtype not in (torch.long, torch.int32, torch.int64):
            raise GenerationError(
                f"input_ids must be an integer tensor [batch, length], got {input_ids.dtype} "
                f"of shape {tuple(input_ids.shape)}."
            )
        if input_ids.shape[1] == 0 or input_ids.shape[0] == 0:
            raise GenerationError("input_ids is empty: give at least one prompt token.")
        vocab = self._vocab_size()
        if vocab is not None and (bool((input_ids < 0).any()) or bool((input_ids >= vocab).any())):
            raise GenerationError(
                f"input_ids contain ids outside the vocabulary [0, {vocab}). Check the tokenizer "
                "matches the model."
            )
        return input_ids.to(device=device, dtype=torch.long)

    @staticmethod
    def _prompt_mask(
        input_ids: torch.LongTensor,
        attention_mask: Any,
        pad: int | None,
        eos: list[int],
    ) -> torch.LongTensor:
        if attention_mask is not None:
            try:
                mask = torch.as_tensor(attention_mask, device=input_ids.device)
            except (TypeError, ValueError, RuntimeError) as exc:
                raise GenerationError(
                    f"attention_mask must be a 0/1 tensor shaped like input_ids: {exc}"
                ) from exc
            if mask.is_floating_point() or mask.is_complex():
                raise GenerationError(
                    f"attention_mask must hold 0/1 integers or booleans, got {mask.dtype}."
                )
            if mask.dim() == 1:
                mask = mask.unsqueeze(0)
            if mask.shape != input_ids.shape:
                raise GenerationError(
                    f"attention_mask must be 2D and shaped like input_ids {tuple(input_ids.shape)}, "
                    f"got {tuple(mask.shape)}."
                )
            return mask.to(torch.long)
        # infer padding from the pad token, unless it doubles as EOS (then it is ambiguous)
        if pad is not None and pad not in eos and bool((input_ids == pad).any()):
            return input_ids.ne(pad).long()
        return torch.ones_like(input_ids)

    def _resolve_lengths(
        self, config: GenerationConfig, kwargs: dict[str, Any], prompt_length: int
    ) -> int:
        """Turn max/min_new_tokens into absolute lengths and check them against the context."""
        context = self._context_length()
        if prompt_length > (context or prompt_length):
            raise GenerationError(
                f"The prompt has {prompt_length} tokens but the model's context is {context}: "
                "shorten (or truncate) the prompt."
            )
        if config.max_new_tokens is not None:
            config.max_length = prompt_length + config.max_new_tokens
        elif kwargs.get("max_length") is None and config.max_length == DEFAULTS["max_length"]:
            config.max_length = prompt_length + DEFAULTS["max_length"]
            if context is not None:
                config.max_length = min(config.max_length, context)
        if config.min_new_tokens is not None:
            config.min_length = prompt_length + config.min_new_tokens
        if prompt_length >= config.max_length:
            raise GenerationError(
                f"The prompt has {prompt_length} tokens but max_length is {config.max_length}, so "
                "nothing can be generated: set max_new_tokens (or a larger max_length)."
            )
        if context is not None and config.max_length > context:
            raise GenerationError(
                f"The prompt ({prompt_length} tokens) plus the tokens to generate "
                f"({config.max_length - prompt_length}) exceed the model's context of {context} "
                "positions: lower max_new_tokens / max_length or shorten the prompt."
            )
        return config.max_length

    def _vocab_size(self) -> int | None:
        embeddings = (
            self.get_output_embeddings() if hasattr(self, "get_output_embeddings") else None
        )
        weight = getattr(embeddings, "weight", None)
        if weight is not None:
            return int(weight.shape[0])
        return getattr(self.config, "vocab_size", None)


def _check_call_arguments(
    seed: Any, generator: Any, streamer: Any, logits_processor: Any, stopping_criteria: Any
) -> None:
    """The non-config arguments of `generate` have the types the decoding loop relies on."""
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64
    ):
        raise GenerationError(f"seed must be an int from 0 to 2**64 - 1, got {seed!r}.")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise GenerationError(f"generator must be a torch.Generator, got {generator!r}.")
    if streamer is not None and not all(
        callable(getattr(streamer, name, None)) for name in ("put", "end")
    ):
        raise GenerationError(
            f"streamer must have put() and end() methods (e.g. tfx_core.TextStreamer), got "
            f"{streamer!r}."
        )
    for name, value in (
        ("logits_processor", logits_processor),
        ("stopping_criteria", stopping_criteria),
    ):
        if value is None:
            continue
        if not isinstance(value, (list, tuple)) or not all(callable(item) for item in value):
            raise GenerationError(
                f"{name} must be a list of callables (input_ids, scores) -> ..., got {value!r}."
            )
