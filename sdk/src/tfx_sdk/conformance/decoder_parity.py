"""Parity helpers for decoder-only plugins: the same random weights in tfx and in the reference,
a left-padded batch, and the comparisons (head outputs, generated ids, static cache, folders
saved both ways).

    ours, ref = decoder_pair(modeling_gptj, GPTJConfig, "GPTJForCausalLM", TINY)
    ids, mask = left_padded_batch()
    assert_generation_matches(ours, ref, ids, mask)

The reference is `transformers` (a test-only dependency).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

TOLERANCE = 1e-5

#: The `generate` settings compared with the reference (on top of `max_new_tokens=8`).
GENERATION_OPTIONS = (
    {},
    {"num_beams": 3},
    {"num_beams": 2, "num_return_sequences": 2, "length_penalty": 0.5},
    {"do_sample": True, "top_k": 20, "top_p": 0.9, "temperature": 0.8},
)


def decoder_pair(module: Any, config_class: type, head: str, fields: dict):
    """(ours, reference) for the class `head`: the reference built with a fixed seed, its
    weights loaded into the plugin `module`'s class of that name, with every key matched."""
    import torch
    import transformers

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference_config = getattr(transformers, config_class.__name__)(**fields)
        reference = getattr(transformers, head)(reference_config).eval()
    ours = getattr(module, head)(config_class(**fields)).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert not result.missing_keys and not result.unexpected_keys, result
    return ours, reference


def left_padded_batch(vocab_size: int = 99, pad: int = 0):
    """Three rows of nine ids: one full, one with three pads on the left, one with eight."""
    import torch

    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(3, vocab_size, (3, 9), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    mask[2, :8] = 0
    ids[mask == 0] = pad
    return ids, mask


def assert_same_outputs_where_real(got: Any, want: Any, mask: Any, *, same_keys: bool = False):
    """Every tensor output of the reference within `TOLERANCE` of ours, compared only at
    real (unpadded) positions where it is per token: padded positions attend to nothing."""
    import torch

    if same_keys:
        assert list(got.keys()) == list(want.keys())
    real = mask.bool()
    for key, expected in want.items():
        if not isinstance(expected, torch.Tensor):
            continue
        value = got[key]
        if expected.dim() >= 2 and expected.shape[:2] == mask.shape:
            value, expected = value[real], expected[real]
        assert (value - expected).abs().max() <= TOLERANCE, key


def assert_heads_match(
    ours: Any, reference: Any, ids: Any, mask: Any, *, same_keys: bool = False, **inputs: Any
) -> None:
    """A forward pass of both on the padded batch (plus `inputs`, e.g. token_type_ids); with
    `same_keys`, both return the same output fields in the same order."""
    import torch

    with torch.no_grad():
        got = ours(ids, attention_mask=mask, **inputs)
        want = reference(ids, attention_mask=mask, **inputs)
    assert_same_outputs_where_real(got, want, mask, same_keys=same_keys)


def assert_generation_matches(ours: Any, reference: Any, ids: Any, mask: Any) -> None:
    """The same ids for each of `GENERATION_OPTIONS`, equally seeded."""
    import torch

    for options in GENERATION_OPTIONS:
        kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0, **options)
        torch.manual_seed(7)
        want = reference.generate(ids, **kwargs)
        torch.manual_seed(7)
        got = ours.generate(ids, **kwargs)
        assert torch.equal(got, want), options


def assert_decode_plan_and_static_cache(ours: Any, reference: Any, ids: Any, mask: Any) -> None:
    """The model builds a fused decode plan, and greedy ids with a static cache match."""
    import torch

    with torch.no_grad():
        ours._prepare_for_decoding()
    assert ours.__dict__["_decode_plan"] is not None
    kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0)
    want = reference.generate(ids, **kwargs)
    assert torch.equal(ours.generate(ids, cache_implementation="static", **kwargs), want)


def assert_round_trips_both_ways(ours: Any, folder: Path, ids: Any) -> dict:
    """`ours` saved, loaded in the reference, saved again and loaded back through
    `AutoModelForCausalLM`: same class, clean load, same logits. Returns tfx's config.json."""
    import json

    import torch
    import transformers

    from tfx_core import AutoModelForCausalLM

    ours.save_pretrained(folder / "ours")
    saved = json.loads((folder / "ours" / "config.json").read_text())
    reference_class = getattr(transformers, type(ours).__name__)
    theirs = reference_class.from_pretrained(folder / "ours").eval()
    theirs.save_pretrained(folder / "theirs")
    back = AutoModelForCausalLM.from_pretrained(folder / "theirs")
    assert isinstance(back, type(ours)) and back.load_report.is_clean
    with torch.no_grad():
        want = theirs(ids).logits
        assert (ours(ids).logits - want).abs().max() <= TOLERANCE
        assert (back(ids).logits - want).abs().max() <= TOLERANCE
    return saved
