"""Decoding loops for decoder-only models: greedy / multinomial sampling, and beam search.

The loops talk to the model through one method, `model._decode_forward(input_ids, *,
attention_mask, position_ids, cache) -> logits[batch, vocab]` (last position only), and keep
everything per step on the device in preallocated buffers:

- token ids live in one `[batch, max_length]` buffer (slices are views, no concatenation);
- with left padding, position ids and the additive attention mask are computed once for the
  whole run and sliced per step; without padding, neither is passed at all;
- the only host synchronisation is the "all sequences finished?" test (skipped when nothing can
  finish early, amortised over several steps on accelerators).

Beam search follows the reference library's vectorised algorithm step for step (top-k over
`beams x vocab`, finished-hypothesis bookkeeping, the `early_stopping` heuristics and
`length_penalty`) so it returns the same token ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from tfx_core.generation.config import GenerationConfig
from tfx_core.generation.processors import LogitsProcessorList
from tfx_core.generation.stopping import StoppingCriteriaList
from tfx_core.modeling.torch.cache import Cache

__all__ = ["DecodeInputs", "beam_search", "sample_search"]


@dataclass
class DecodeInputs:
    """What both loops need besides the model: prompt, masks, limits and special tokens."""

    input_ids: torch.LongTensor  # [batch, prompt] (already expanded for beams / samples)
    attention_mask: torch.LongTensor  # [batch, prompt], 1 = token, 0 = (left) padding
    has_padding: bool
    max_length: int
    eos_token_ids: list[int]
    pad_token_id: int | None
    cache: Cache


class _Steps:
    """Per-step model inputs from buffers built once: positions and the additive mask."""

    def __init__(self, model: Any, inputs: DecodeInputs) -> None:
        self.model = model
        self.cache = inputs.cache
        batch, prompt = inputs.input_ids.shape
        device = inputs.input_ids.device
        self.prompt_mask = inputs.attention_mask if inputs.has_padding else None
        self.static = inputs.cache.is_static
        self.positions: torch.Tensor | None = None
        self.additive: torch.Tensor | None = None
        if not inputs.has_padding and not self.static:
            return
        full = torch.ones(batch, inputs.max_length, dtype=torch.long, device=device)
        full[:, :prompt] = inputs.attention_mask
        positions = full.cumsum(-1) - 1
        self.positions = positions.masked_fill_(full == 0, 1)
        dtype = getattr(model, "dtype", torch.float32)
        if not dtype.is_floating_point:
            dtype = torch.float32
        length = inputs.cache.get_max_cache_shape() if self.static else inputs.max_length
        additive = torch.zeros(batch, 1, 1, length, dtype=dtype, device=device)
        additive[:, 0, 0, :prompt].masked_fill_(inputs.attention_mask == 0, torch.finfo(dtype).min)
        if self.static:
            additive[..., prompt:] = torch.finfo(dtype).min
        self.additive = additive

    def prefill(self, input_ids: torch.Tensor) -> torch.Tensor:
        prompt = input_ids.shape[1]
        positions = None if self.positions is None else self.positions[:, :prompt]
        return self.model._decode_forward(
            input_ids, attention_mask=self.prompt_mask, position_ids=positions, cache=self.cache
        )

    def step(self, tokens: torch.Tensor, position: int) -> torch.Tensor:
        """Logits after feeding `tokens` (`[batch, 1]`) at sequence index `position`."""
        if self.additive is None:
            return self.model._decode_forward(
                tokens, attention_mask=None, position_ids=None, cache=self.cache
            )
        if self.static:
            self.additive[..., position] = 0.0
            mask = self.additive
        else:
            mask = self.additive[..., : position + 1]
        return self.model._decode_forward(
            tokens,
            attention_mask=mask,
            position_ids=self.positions[:, position : position + 1],
            cache=self.cache,
        )


def finished_check_interval(device: torch.device) -> int:
    """Steps between "all finished?" host syncs: free on CPU; amortised on accelerators.

    Rows that finish between checks keep receiving padding, and the output is trimmed to the
    step where the last row finished, so the result does not depend on the interval.
    """
    return 1 if device.type == "cpu" else 8


def _scores_dtype(logits: torch.Tensor) -> torch.Tensor:
    return logits if logits.dtype == torch.float32 else logits.float()


def sample_search(
    model: Any,
    inputs: DecodeInputs,
    config: GenerationConfig,
    processors: LogitsProcessorList,
    criteria: StoppingCriteriaList,
    *,
    generator: torch.Generator | None = None,
    streamer: Any = None,
) -> dict[str, Any]:
    """Greedy decoding (`do_sample=False`) or multinomial sampling, one token per step."""
    prompt_ids = inputs.input_ids
    batch, prompt = prompt_ids.shape
    device = prompt_ids.device
    max_length = inputs.max_length
    fill = inputs.pad_token_id if inputs.pad_token_id is not None else 0
    ids = torch.full((batch, max_length), fill, dtype=torch.long, device=device)
    ids[:, :prompt] = prompt_ids
    eos = inputs.eos_token_ids
    eos_tensor = torch.tensor(eos, dtype=torch.long, device=device) if eos else None
    track = bool(eos) or len(criteria) > 0
    pad = torch.tensor(fill, dtype=torch.long, device=device)
    unfinished = torch.ones(batch, dtype=torch.bool, device=device)
    check_every = 1 if streamer is not None else finished_check_interval(device)
    finished_at = torch.full((batch,), max_length, dtype=torch.long, device=device)
    keep_scores = config.return_dict_in_generate and config.output_scores
    keep_logits = config.return_dict_in_generate and config.output_logits
    scores_out: list[torch.Tensor] = []
    logits_out: list[torch.Tensor] = []

    steps = _Steps(model, inputs)
    logits = steps.prefill(prompt_ids)
    length = prompt
    apply = processors if keep_logits else processors.apply_
    running = True  # no row finished yet (known on the host when checking every step)
    while True:
        scores = logits if logits.dtype == torch.float32 else logits.float()
        if processors:  # in place unless the raw logits are kept (they are this step's own)
            scores = apply(ids.narrow(1, 0, length), scores)
        if keep_logits:
            logits_out.append(logits.float().clone())
        if keep_scores:
            scores_out.append(scores)
        if config.do_sample:
            probs = F.softmax(scores, dim=-1)
            tokens = torch.multinomial(probs, num_samples=1, generator=generator).squeeze(1)
        else:
            tokens = torch.argmax(scores, dim=-1)
        if eos_tensor is not None and not running:  # finished rows get padding (the reference
            tokens = torch.where(unfinished, tokens, pad)  # pads only for EOS)
        ids.select(1, length).copy_(tokens)
        length += 1
        if streamer is not None:
            streamer.put(tokens.cpu())
        if track:
            if eos_tensor is None:
                done = criteria(ids.narrow(1, 0, length), scores)
            else:
                done = tokens == eos[0] if len(eos) == 1 else torch.isin(tokens, eos_tensor)
                if criteria:
                    done = done | criteria(ids.narrow(1, 0, length), scores)
            if check_every == 1:  # one host sync per step: skip the bookkeeping until a row ends
                if length >= max_length:
                    break
                if bool(done.any() if batch > 1 else done):
                    running = False
                    unfinished = unfinished & ~done
                    if not bool(unfinished.any()):
                        break
            else:
                finished_at = torch.where(done & unfinished, length, finished_at)
                unfinished = unfinished & ~done
                running = False
                if length >= max_length or (
                    (length - prompt) % check_every == 0 and not bool(unfinished.any())
                ):
                    break
        elif length >= max_length:
            break
        logits = steps.step(tokens.unsqueeze(1), length - 1)

    if track and check_every > 1 and not bool(unfinished.any()):
        length = min(length, int(finished_at.max()))
    if streamer is not None:
        streamer.end()
    return {
        "sequences": ids[:, :length],
        "scores": tuple(scores_out[: length - prompt]) if keep_scores else None,
        "logits": tuple(logits_out[: length - prompt]) if keep_logits else None,
        "past_key_values": inputs.cache,
    }


def _gather_beams(tensor: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Select along dim 1 (beams) with `indices` `[batch, k]`, broadcasting trailing dims."""
    while indices.dim() < tensor.dim():
        indices = indices.unsqueeze(-1)
    return torch.take_along_dim(tensor, indices, dim=1)


def beam_search(
    model: Any,
    inputs: DecodeInputs,
    config: GenerationConfig,
    processors: LogitsProcessorList,
    criteria: StoppingCriteriaList,
    *,
    num_beams: int,
    vocab_size: int,
    generator: torch.Generator | None = None,
) -> dict[str, Any]:
    """Beam search (or beam sampling), returning the best `num_return_sequences` per prompt."""
    prompt_ids = inputs.input_ids
    flat_batch, prompt = prompt_ids.shape
    batch = flat_batch // num_beams
    device = prompt_ids.device
    max_length = inputs.max_length
    eos = inputs.eos_token_ids
    pad = inputs.pad_token_id
    early_stopping = config.early_stopping
    length_penalty = config.length_penalty
    keep_scores = config.return_dict_in_generate and config.output_scores
    keep_logits = config.return_dict_in_generate and config.output_logits
    keep = max(2, 1 + len(eos)) * num_beams  # candidates per prompt, enough to survive EOS hits
    top_beams = torch.zeros(keep, dtype=torch.bool, device=device)
    top_beams[:num_beams] = True
    fill = (pad if pad else eos[0]) if eos else -1  # the reference's output fill value

    running = torch.full((batch, num_beams, max_length), fill, dtype=torch.long, device=device)
    running[:, :, :prompt] = prompt_ids.view(batch, num_beams, prompt)
    finished = running.clone()
    running_scores = torch.zeros(batch, num_beams, dtype=torch.float32, device=device)
    running_scores[:, 1:] = -1.0e9  # all beams start identical: expand only the first
    finished_scores = torch.full((batch, num_beams), -1.0e9, dtype=torch.float32, device=device)
    is_finished = torch.zeros(batch, num_beams, dtype=torch.bool, device=device)
    can_improve = torch.ones(batch, 1, dtype=torch.bool, device=device)
    running_origin = torch.full(
        (batch, num_beams, max_length - prompt), -1, dtype=torch.int32, device=device
    )
    finished_origin = running_origin.clone()
    batch_offset = torch.arange(batch, device=device).view(-1, 1) * num_beams
    scores_out: list[torch.Tensor] = []
    logits_out: list[torch.Tensor] = []

    steps = _Steps(model, inputs)
    logits = steps.prefill(prompt_ids)
    length = prompt
    buffer: torch.Tensor | None = None  # this loop's [rows, vocab] scores, reused every step
    while True:
        flat_running = running[:, :, :length].reshape(flat_batch, length)
        scores = _scores_dtype(logits)
        if buffer is None or buffer.shape != scores.shape:
            buffer = torch.empty_like(scores)
        log_probs = torch.log_softmax(scores, dim=-1, out=buffer)
        log_probs = processors.apply_(flat_running, log_probs) if processors else log_probs
        if keep_logits:
            logits_out.append(logits.float().clone())
        if keep_scores:
            scores_out.append(log_probs.clone())
        totals = log_probs.view(batch, num_beams, vocab_size)
        if log_probs is buffer:  # add the beams' scores in place (ours to change)
            totals = totals.add_(running_scores[:, :, None])
        else:
            totals = totals + running_scores[:, :, None]
        totals = totals.view(batch, num_beams * vocab_size)
        if config.do_sample:
            picked = torch.multinomial(F.softmax(totals, dim=-1), keep, generator=generator)
            top_scores = torch.gather(totals, 1, picked)
        else:
            top_scores, picked = torch.topk(totals, k=keep)
        source_beam = picked // vocab_size
        candidates = _gather_beams(running, source_beam)
        candidates[:, :, length] = picked % vocab_size
        candidate_origin = _gather_beams(running_origin, source_beam)
        candidate_origin[:, :, length - prompt] = (source_beam + batch_offset).to(torch.int32)

        hits = criteria(candidates[:, :, : length + 1].reshape(batch * keep, length + 1), None)
        hits = hits.view(batch, keep)

        # the best candidates that did not stop keep running
        alive_scores = top_scores + hits.to(torch.float32) * -1.0e9
        best = torch.topk(alive_scores, k=num_beams)[1]
        running = _gather_beams(candidates, best)
        running_scores = _gather_beams(alive_scores, best)
        running_origin = _gather_beams(candidate_origin, best)

        # candidates among the top `num_beams` that stopped may enter the finished set
        just_finished = hits & top_beams[None, :]
        normalised = top_scores / ((length + 1 - prompt) ** length_penalty)
        batch_full = torch.all(is_finished, dim=-1, keepdim=True) & (early_stopping is True)
        normalised = normalised + batch_full.to(torch.float32) * -1.0e9
        normalised = normalised + (~can_improve).to(torch.float32) * -1.0e9
        normalised = normalised + (~just_finished).to(torch.float32) * -1.0e9
        merged_scores = torch.cat((finished_scores, normalised), dim=1)
        chosen = torch.topk(merged_scores, k=num_beams)[1]
        finished = _gather_beams(torch.cat((finished, candidates), dim=1), chosen)
        finished_scores = _gather_beams(merged_scores, chosen)
        finished_origin = _gather_beams(
            torch.cat((finished_origin, candidate_origin), dim=1), chosen
        )
        is_finished = _gather_beams(torch.cat((is_finished, just_finished), dim=1), chosen)

        inputs.cache.reorder(running_origin[..., length - prompt].reshape(-1).long())
        length += 1

        # could a running beam still beat the worst finished one?
        if early_stopping == "never" and length_penalty > 0.0:
            best_length = max_length - prompt
        else:
            best_length = length - prompt
        best_running = running_scores[:, :1] / (best_length**length_penalty)
        worst_finished = torch.where(
            is_finished, torch.min(finished_scores, dim=1, keepdim=True)[0], -1.0e9
        )
        can_improve = can_improve & torch.any(best_running > worst_finished, dim=-1, keepdim=True)
        open_beams = ~(torch.all(is_finished) & (early_stopping is True))
        if not bool(torch.any(can_improve) & open_beams & ~torch.all(hits)):
            break
        logits = steps.step(running[:, :, length - 1].reshape(flat_batch, 1), length - 1)

    returned = config.num_return_sequences
    sequences = finished[:, :returned].reshape(batch * returned, max_length)
    sequence_scores = finished_scores[:, :returned].reshape(-1)
    origins = finished_origin[:, :returned].reshape(batch * returned, -1)
    generated = int((origins + 1).bool().sum(dim=1).max())
    return {
        "sequences": sequences[:, : prompt + generated],
        "sequences_scores": sequence_scores,
        "beam_indices": origins[:, :generated],
        "scores": tuple(scores_out) if keep_scores else None,
        "logits": tuple(logits_out) if keep_logits else None,
        "past_key_values": inputs.cache,
    }


def eos_list(eos_token_id: int | Sequence[int] | None) -> list[int]:
    if eos_token_id is None:
        return []
    return [eos_token_id] if isinstance(eos_token_id, int) else [int(i) for i in eos_token_id]
