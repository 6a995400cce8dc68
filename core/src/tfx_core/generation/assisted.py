"""Assisted decoding: a cheap source proposes tokens, the main model checks them in one forward.

Each round (batch of one sequence, decoder-only, dynamic cache):

1. the candidate source (`tfx_core.generation.candidates`) proposes `k` tokens (an assistant
   at most `max_length - length - 1`; prompt lookup, as the reference's, may propose more, and
   accepted tokens past `max_length` are dropped: the output never exceeds `max_new_tokens`);
2. the main model runs ONE forward over the positions not yet in its cache (the prompt in the
   first round, then the last accepted token) plus the `k` candidates, returning `k + 1` logits;
   the processors are applied to each position with the ids before it, as the reference does;
3. greedy: the main model's token at each position; the candidates are accepted up to the first
   disagreement, plus the main model's own token after them (so a round always adds a token,
   and the ids are those of plain greedy decoding). Sampling with prompt lookup samples the
   main model's token at each position and accepts while equal; with an assistant (which has
   scores) it is speculative sampling (accept with probability `min(1, p / q)`, resample the
   first rejected position from `max(p - q, 0)`), the reference's algorithm;
4. the main cache is cropped to the accepted length (minus the last token, fed next round);
   when the last candidate would end the sequence (EOS, a stopping criterion) and all were
   accepted, the main model's extra token is dropped, as in the reference.

Stopping criteria are checked once per round on the whole sequence, as the reference checks
them; an EOS among the accepted tokens ends the sequence there. Streamers receive each round's
accepted tokens; `output_scores` / `output_logits` give one entry per accepted token.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.candidates import AssistantCandidates, PromptLookupCandidates
from tfx_core.generation.config import GenerationConfig
from tfx_core.generation.search import DecodeInputs
from tfx_core.generation.stopping import StoppingCriteriaList

logger = logging.getLogger("tfx_core.generation")

__all__ = ["assisted_search", "build_candidate_source", "forward_positions"]


def build_candidate_source(
    model: Any,
    config: GenerationConfig,
    assistant_model: Any,
    *,
    input_ids: torch.LongTensor,
    attention_mask: torch.LongTensor,
    max_length: int,
    eos_token_ids: list[int],
    processors: Any,
    generator: torch.Generator | None,
    guidance: Any = None,
) -> PromptLookupCandidates | AssistantCandidates | None:
    """The candidate source a request asks for (None: plain decoding), after checking that
    assisted decoding can run it; unsupported requests raise `GenerationError`."""
    lookup = config.prompt_lookup_num_tokens
    if lookup is None and assistant_model is None:
        return None  # (max_matching_ngram_size alone is inert, as in the reference)
    what = "prompt_lookup_num_tokens" if lookup is not None else "assistant_model"
    if getattr(model.config, "is_encoder_decoder", False):
        raise GenerationError(
            f"{what}: tfx's assisted decoding runs decoder-only models; this model is an "
            "encoder-decoder. Drop it to decode normally."
        )
    if config.num_beams != 1 or config.num_return_sequences != 1:
        raise GenerationError(
            f"{what}: assisted decoding is greedy decoding or sampling; set num_beams=1 and "
            "num_return_sequences=1 (or drop it to use beam search)."
        )
    if input_ids.shape[0] != 1:
        raise GenerationError(
            f"{what}: assisted decoding runs one prompt at a time (batch size 1, as the "
            f"reference), got a batch of {input_ids.shape[0]}. Call generate per prompt."
        )
    if config.cache_implementation == "static":
        raise GenerationError(
            f"{what}: assisted decoding rolls the key/value cache back, which a static cache "
            "cannot do: leave cache_implementation unset (dynamic)."
        )
    if not config.use_cache:
        raise GenerationError(f"{what}: assisted decoding needs use_cache=True.")
    if guidance is not None:
        raise GenerationError(
            f"{what}: classifier-free guidance (guidance_scale) keeps a per-step state that "
            "assisted decoding's multi-token checks would break; use one or the other."
        )
    mask = attention_mask[0]
    padding = int((mask == 0).sum())
    if padding and bool((mask[:padding] != 0).any() or (mask[padding:] == 0).any()):
        raise GenerationError(
            f"{what}: the attention mask must be ones after an optional left padding."
        )
    models = [model] if assistant_model is None else [model, assistant_model]
    reach = max_length + (lookup if isinstance(lookup, int) else 0)  # (lookup may overshoot)
    for checked in models:
        if not _croppable(checked, reach):
            logger.info(
                "%s: the cache of %s cannot be rolled back over %d positions (sliding-window "
                "layers shorter than that, or a cache without crop); decoding without "
                "assistance (same greedy ids).",
                what,
                type(checked).__name__,
                reach,
            )
            return None
    if lookup is not None:
        return PromptLookupCandidates(
            lookup,
            config.max_matching_ngram_size,
            eos_token_ids,
            processors,
            model._vocab_size(),
        )
    if getattr(assistant_model.config, "is_encoder_decoder", False):
        raise GenerationError("assistant_model must be a decoder-only model like the main one.")
    if assistant_model._vocab_size() != model._vocab_size():
        raise GenerationError(
            f"assistant_model's vocabulary ({assistant_model._vocab_size()}) differs from the "
            f"main model's ({model._vocab_size()}): the assistant must share the tokenizer."
        )
    return AssistantCandidates(
        assistant_model,
        processors=processors,
        eos_token_ids=eos_token_ids,
        do_sample=config.do_sample,
        generator=generator,
        max_length=max_length,
        padding=padding,
    )


def _croppable(model: Any, max_length: int) -> bool:
    """Whether the model's generation cache can be cropped anywhere below `max_length`."""
    from tfx_core.modeling.torch.cache import DynamicCache, sliding_windows

    probe = model._make_generation_cache(GenerationConfig(), 1, 0)
    if not isinstance(probe, DynamicCache) or not callable(getattr(probe, "crop", None)):
        return False
    windows = [w for w in (sliding_windows(model.config) or ()) if w is not None]
    return not windows or max_length < min(windows)


def forward_positions(
    model: Any, input_ids: torch.LongTensor, *, cache: Any, num_logits: int
) -> torch.Tensor:
    """Assisted decoding's check: logits `[1, num_logits, vocab]` of the last positions of
    `input_ids` (one unpadded sequence continuing `cache`, updated in place). A model class
    may provide its own as `_decode_forward_positions` (same arguments)."""
    own = getattr(model, "_decode_forward_positions", None)
    if own is not None:
        return own(input_ids, cache=cache, num_logits=num_logits)
    position_ids = None
    embeddings = getattr(getattr(model, "base_model", None), "embeddings", None)
    if getattr(embeddings, "padding_offset_positions", False):  # count from 0, as generate
        past = cache.get_seq_length()
        position_ids = torch.arange(past, past + input_ids.shape[1], device=input_ids.device)
        position_ids = position_ids[None]
    outputs = model(
        input_ids=input_ids,
        position_ids=position_ids,
        past_key_values=cache,
        use_cache=True,
        logits_to_keep=num_logits,
        return_dict=True,
    )
    return outputs.logits[:, -num_logits:, :]


def _first_true(flags: torch.Tensor) -> int:
    """Index of the first True of a 1-D bool tensor, or its length."""
    hits = flags.nonzero()
    return int(hits[0, 0]) if hits.numel() else flags.shape[0]


def assisted_search(
    model: Any,
    inputs: DecodeInputs,
    config: GenerationConfig,
    processors: Any,
    criteria: StoppingCriteriaList,
    source: PromptLookupCandidates | AssistantCandidates,
    *,
    generator: torch.Generator | None = None,
    streamer: Any = None,
) -> dict[str, Any]:
    """Decode one sequence with candidates from `source` (module doc); `sample_search`'s
    result dict."""
    prompt_ids = inputs.input_ids
    prompt = prompt_ids.shape[1]
    device = prompt_ids.device
    max_length = inputs.max_length
    cache = inputs.cache
    # (prompt lookup may propose past max_length, as the reference; the excess is dropped)
    ids = torch.zeros((1, max_length + source.overshoot), dtype=torch.long, device=device)
    ids[:, :prompt] = prompt_ids
    eos = inputs.eos_token_ids
    eos_tensor = torch.tensor(eos, dtype=torch.long, device=device)
    keep_scores = config.return_dict_in_generate and config.output_scores
    keep_logits = config.return_dict_in_generate and config.output_logits
    scores_out: list[torch.Tensor] = []
    logits_out: list[torch.Tensor] = []
    # a left-padded single prompt: its padding is never attended to, so it is not fed at all
    skipped = int((inputs.attention_mask[0] == 0).sum()) if inputs.has_padding else 0
    fed = skipped  # ids before this index are in the cache (at index - skipped)
    length = prompt
    context = model._context_length() or ids.shape[1]
    while True:
        drafted, draft_scores = source.propose(ids[:, :length], max_length - length - 1)
        drafted = drafted[: context - length - 1]  # positions past the context do not exist
        count = drafted.shape[0]
        end = length + count
        ids[0, length:end] = drafted.to(device)
        candidate = ids[:, :end]
        ends_sequence = count > 0 and (
            end >= max_length
            or bool(torch.isin(candidate[0, -1], eos_tensor))
            or bool(criteria(candidate, None).any() if criteria else False)
        )
        raw = forward_positions(model, ids[:, fed:end], cache=cache, num_logits=count + 1)
        raw = raw.float()
        scores = raw.clone()
        if processors:
            for index in range(count + 1):
                scores[:, index] = processors(ids[:, : length + index], raw[:, index].clone())
        if config.do_sample and draft_scores is not None:
            accepted, matches = _speculative(
                drafted.to(device), draft_scores.to(device), scores, ends_sequence, generator
            )
        else:
            if config.do_sample:
                probs = torch.softmax(scores[0], dim=-1)
                selected = torch.multinomial(probs, 1, generator=generator).view(-1)
            else:
                selected = scores[0].argmax(dim=-1)
            matches = _first_true(drafted.to(device) != selected[:count])
            if ends_sequence and matches == count:
                matches -= 1
            accepted = selected[: matches + 1]
        stop_at = _first_true(torch.isin(accepted, eos_tensor))
        if stop_at < accepted.shape[0]:  # an EOS among the accepted tokens ends the sequence
            accepted = accepted[: stop_at + 1]
        accepted = accepted[: max_length - length]
        added = accepted.shape[0]
        ids[0, length : length + added] = accepted
        length += added
        cache.crop(length - 1 - skipped)
        fed = length - 1
        source.update(count, matches)
        if streamer is not None:
            streamer.put(accepted.unsqueeze(0).cpu())
        if keep_scores:
            scores_out.extend(scores[:, index] for index in range(added))
        if keep_logits:
            logits_out.extend(raw[:, index] for index in range(added))
        if length >= max_length or stop_at < added:
            break
        if criteria and bool(criteria(ids[:, :length], tuple(scores_out) or None).any()):
            break
    source.finish()
    if streamer is not None:
        streamer.end()
    return {
        "sequences": ids[:, :length],
        "scores": tuple(scores_out) if keep_scores else None,
        "logits": tuple(logits_out) if keep_logits else None,
        "past_key_values": cache,
    }


def _speculative(
    drafted: torch.Tensor,
    draft_scores: torch.Tensor,
    scores: torch.Tensor,
    ends_sequence: bool,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, int]:
    """Speculative sampling (Leviathan et al. 2023, algorithm 1) for one sequence: the
    accepted tokens and how many drafted ones they keep."""
    count = drafted.shape[0]
    positions = torch.arange(count, device=drafted.device)
    draft_probs = draft_scores[0].softmax(dim=-1)  # q
    probs = scores[0].softmax(dim=-1)  # p
    ratio = probs[positions, drafted] / draft_probs[positions, drafted]
    draws = torch.rand(ratio.shape, generator=generator, device=ratio.device)
    matches = _first_true(~(draws <= ratio))
    if ends_sequence and matches == count:
        return drafted, count - 1
    target = probs[matches]
    if matches < count:  # resample the rejected position from what the draft under-covers
        target = torch.clamp(target - draft_probs[matches], min=0)
        target = target / target.sum()
    token = torch.multinomial(target, 1, generator=generator)
    return torch.cat((drafted[:matches], token)), matches
