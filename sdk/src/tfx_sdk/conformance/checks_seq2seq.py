"""Generation checks for encoder-decoder heads (`config.is_encoder_decoder`).

`check_greedy_generation` hands such models here. Each check compares two ways of getting the
same tokens, so a broken cache, mask or encoder reuse shows up as a difference:

- determinism: two greedy runs (and two beam runs) give the same ids;
- the output starts with `decoder_start_token_id` (the reference returns decoder ids);
- cache on == cache off: each greedy step's logits equal those of a forward without a cache
  over the same decoder ids (forced tokens off, so a plain argmax is the rule);
- `encoder_outputs` reuse: generating from the caller's encoder outputs gives the same ids as
  generating from the source ids;
- padding: a padded row scores each step as it does alone, unpadded.
"""

from __future__ import annotations

from typing import Any

from tfx_sdk.conformance.failures import fail
from tfx_sdk.conformance.inputs import generation_source
from tfx_sdk.conformance.layers import scaled_tolerance
from tfx_sdk.conformance.subject import Subject

#: logits of the same step computed two ways agree this closely (float32), times the logits'
#: largest magnitude beyond 1 (`scaled_tolerance`: rounding grows with them)
TOLERANCE = 1e-4
#: what a plain argmax over the decoder's logits picks (no forced or delayed tokens)
_PLAIN = {"forced_bos_token_id": None, "forced_eos_token_id": None, "min_length": 0}


def _eos_set(config: Any) -> set[int]:
    eos = config.eos_token_id
    return set(eos if isinstance(eos, list) else [eos]) - {None}


def check_seq2seq_generation(subject: Subject, head: str, model: Any) -> None:
    """The checks on a plugin head, with the kit's padded inputs for it."""
    inputs = subject.inputs(head, subject.config(head), padded=True)
    source = generation_source(inputs)
    mask = source.pop("attention_mask")
    check_seq2seq_model(model, source, mask, subject.tester.max_new_tokens)


def check_seq2seq_model(model: Any, source: Any, mask: Any, steps: int) -> None:
    """The checks on any encoder-decoder model (a plugin's head, an `EncoderDecoderModel`):
    `source` ids `[batch, length]` (or a dict of the encoder's inputs, such as
    `{"input_features": ...}`) with at least one right-padded row in `mask`.

    The padded-row check runs for token ids only: a convolutional front end (Speech2Text's
    subsampler) mixes the padded frames into the last real ones, in the reference too."""
    import torch

    config = model.config
    name = type(model).__name__
    if not isinstance(source, dict):
        source = {"input_ids": source}

    def run(**kwargs: Any) -> torch.Tensor:
        if "encoder_outputs" not in kwargs:
            kwargs.update(source)
        return model.generate(
            attention_mask=mask, max_new_tokens=steps, do_sample=False, **_PLAIN, **kwargs
        )

    first, second = run(), run()
    if not torch.equal(first, second):
        raise fail(
            f"{name}.generate(do_sample=False) gave different tokens on two runs",
            "make decoding deterministic: no dropout in eval mode, no state kept between calls",
        )
    start = getattr(model.generation_config, "decoder_start_token_id", None)
    if start is None:
        start = config.decoder_start_token_id
    if start is not None and not bool((first[:, 0] == start).all()):
        raise fail(
            f"{name}.generate returned sequences that do not start with decoder_start_token_id "
            f"({start}): first column {first[:, 0].tolist()}",
            "return the decoder ids, starting with the start token, like the reference",
        )
    if not torch.equal(run(num_beams=2), run(num_beams=2)):
        raise fail(
            f"{name}.generate(num_beams=2) gave different tokens on two runs",
            "beam search must be deterministic; check the cache reordering (reorder_cache)",
        )

    traced = run(return_dict_in_generate=True, output_logits=True)
    sequences, step_logits = traced.sequences, traced.logits
    with torch.no_grad():
        for step, logits in enumerate(step_logits):
            recomputed = model(
                **source,
                attention_mask=mask,
                decoder_input_ids=sequences[:, : step + 1],
                use_cache=False,
            ).logits[:, -1]
            difference = float((recomputed.float() - logits.float()).abs().max())
            if difference > scaled_tolerance(TOLERANCE, logits.float()):
                raise fail(
                    f"{name}.generate (with its encoder-decoder cache) scored decoder step {step} "
                    f"{difference:.2e} away from a forward without a cache over the same ids",
                    "check the cache: self-attention keys/values appended per layer, positions "
                    "offset by the cached length, cross-attention keys/values computed once from "
                    "the encoder states and the encoder padding mask applied at every step",
                )

    with torch.no_grad():
        encoded = model.get_encoder()(**source, attention_mask=mask, return_dict=True)
    reused = run(encoder_outputs=encoded)
    if not torch.equal(reused, first):
        raise fail(
            f"{name}.generate(encoder_outputs=...) gave other tokens than generate from the "
            f"source ({', '.join(source)})",
            "when encoder_outputs are given, skip the encoder and decode from them unchanged",
        )

    ids = source.get("input_ids")
    padded_row = int(mask.sum(-1).argmin())
    length = int(mask[padded_row].sum())
    if ids is not None and len(source) == 1 and length < ids.shape[1]:
        alone = model.generate(
            ids[padded_row : padded_row + 1, :length],
            max_new_tokens=steps,
            do_sample=False,
            return_dict_in_generate=True,
            output_logits=True,
            **_PLAIN,
        )
        for step, (logits, batched) in enumerate(zip(alone.logits, step_logits)):
            difference = float((logits[0] - batched[padded_row]).abs().max())
            if difference > scaled_tolerance(TOLERANCE, batched[padded_row].float()):
                raise fail(
                    f"{name}.generate scored row {padded_row} (right-padded source) "
                    f"{difference:.2e} away from the same source alone without padding "
                    f"(decoder step {step})",
                    "mask the encoder's padding in the encoder and in every cross-attention step",
                )
