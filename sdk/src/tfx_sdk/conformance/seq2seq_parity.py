"""Parity helpers for encoder-decoder plugins: a tiny reference checkpoint, padded inputs, and
the comparisons (outputs, losses, saved folders both ways, generated ids).

    ref = reference_model("MBartForConditionalGeneration", "MBartConfig", TINY, folder)
    ours = MBartForConditionalGeneration.from_pretrained(folder)
    assert_same_outputs(ours, ref, padded_batch(ref.config))

The reference is `transformers` (a test-only dependency); its models are built with a fixed seed
so every run compares the same weights.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

TOLERANCE = 1e-5


def reference_model(class_name: str, config_name: str, config: dict, folder: Path | None = None):
    """The reference's `class_name` with a `config_name(**config)`, seeded, in eval mode, and
    saved to `folder` when given."""
    import torch
    import transformers

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = getattr(transformers, class_name)(getattr(transformers, config_name)(**config))
        if hasattr(model, "final_logits_bias"):  # zeros after init: make the parity see it
            model.final_logits_bias.normal_(0, 0.5)
        model.eval()
        if folder is not None:
            model.save_pretrained(folder)
    return model


def padded_batch(config: Any, *, source: int = 9, target: int = 7, seed: int = 1) -> dict:
    """Two rows of encoder and decoder ids, the second padded on both sides' right."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    pad, eos = config.pad_token_id, config.eos_token_id
    specials = torch.tensor([t for t in (pad, eos, config.bos_token_id) if t is not None])
    vocab = getattr(config, "decoder_vocab_size", None) or config.vocab_size
    ids = torch.randint(3, config.vocab_size, (2, source), generator=generator)
    decoder = torch.randint(3, vocab, (2, target), generator=generator)
    for tensor in (ids, decoder):  # no special token inside the texts
        tensor[torch.isin(tensor, specials)] = 3 if 3 not in specials else 4
    ids[:, -1] = eos
    ids[1, source - 3 :] = pad
    ids[1, source - 4] = eos
    decoder[:, 0] = (
        config.decoder_start_token_id if config.decoder_start_token_id is not None else eos
    )
    decoder[1, target - 2 :] = pad
    return {
        "input_ids": ids,
        "attention_mask": (ids != pad).long(),
        "decoder_input_ids": decoder,
        "decoder_attention_mask": (decoder != pad).long(),
    }


def max_difference(a: Any, b: Any) -> float:
    return float((a.float() - b.float()).abs().max())


def assert_same_outputs(ours: Any, ref: Any, batch: dict, *, fields: tuple[str, ...] = ()) -> dict:
    """Every tensor output `ours` and `ref` both return (or `fields`) within `TOLERANCE`;
    returns the differences by field."""
    import torch

    with torch.no_grad():
        a = ours(**batch, output_hidden_states=True)
        b = ref(**batch, output_hidden_states=True)
    names = fields or tuple(k for k, v in b.items() if isinstance(v, torch.Tensor))
    diffs = {}
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        assert x is not None, f"{type(ours).__name__} returned no {name}"
        assert x.shape == y.shape, f"{name}: shape {tuple(x.shape)} != {tuple(y.shape)}"
        diffs[name] = max_difference(x, y)
    for name in ("encoder_hidden_states", "decoder_hidden_states", "hidden_states"):
        if name in b and b[name] is not None and (not fields or name in fields):
            for index, (x, y) in enumerate(zip(a[name], b[name], strict=True)):
                diffs[f"{name}[{index}]"] = max_difference(x, y)
    worst = {name: diff for name, diff in diffs.items() if diff > TOLERANCE}
    assert not worst, f"{type(ours).__name__} differs from the reference: {worst}"
    return diffs
