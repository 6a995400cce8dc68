"""Parity helpers for encoder-decoder plugins: a tiny reference checkpoint, padded inputs, and
the comparisons (outputs, losses, saved folders both ways, generated ids).

    ref = reference_model("MBartForConditionalGeneration", "MBartConfig", TINY, folder)
    ours = MBartForConditionalGeneration.from_pretrained(folder)
    assert_same_outputs(ours, ref, padded_batch(ref.config))

A plugin's test module builds on `TINY_SEQ2SEQ` and calls the assertion helpers below
(`head_pair`, `assert_causal_lm_matches`, `assert_loss_and_saved_folders_both_ways`,
`assert_generate_matches` over `parametrize_generation()`), so every seq2seq plugin checks the
same cases with the same tolerances.

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


#: The tiny encoder-decoder the plugin tests start from (each adds its model's own fields).
TINY_SEQ2SEQ = dict(
    vocab_size=99,
    d_model=16,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=4,
    decoder_attention_heads=4,
    encoder_ffn_dim=32,
    decoder_ffn_dim=32,
    max_position_embeddings=64,
)

#: The `generate` settings compared with the reference, by test id.
GENERATION_CASES = {
    "greedy": dict(max_new_tokens=8),
    "beam": dict(max_new_tokens=8, num_beams=4, length_penalty=0.6, no_repeat_ngram_size=2),
    "beam-return-2": dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, min_length=4),
    "sample": dict(max_new_tokens=6, do_sample=True, top_k=8, top_p=0.9),
}


def parametrize_generation(cases: dict[str, dict] = GENERATION_CASES):
    """`pytest.mark.parametrize` of an `options` argument over `cases`, ids from their keys."""
    import pytest

    return pytest.mark.parametrize("options", list(cases.values()), ids=list(cases))


def head_pair(module: Any, name: str, config_name: str, config: dict, folder: Path):
    """(ours, reference) for the head `name`: the reference saved to `folder`, ours (the class
    of that name in the plugin's `module`) loaded from it with every weight matched."""
    ref = reference_model(name, config_name, config, folder)
    ours = getattr(module, name).from_pretrained(folder).eval()
    assert ours.load_report.is_clean, ours.load_report
    return ours, ref


def seq2seq_lm_pair(class_name: str, config_name: str, config: dict, folder: Path):
    """(ours, reference) for a conditional-generation head, ours via `AutoModelForSeq2SeqLM`."""
    from tfx_core import AutoModelForSeq2SeqLM

    ref = reference_model(class_name, config_name, config, folder)
    return AutoModelForSeq2SeqLM.from_pretrained(folder).eval(), ref


def assert_causal_lm_matches(model_class: type, config_name: str, config: dict, folder: Path):
    """The decoder-only head's logits and loss on the padded decoder rows."""
    ref = reference_model(model_class.__name__, config_name, config, folder)
    ours = model_class.from_pretrained(folder).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["decoder_input_ids"], "labels": batch["decoder_input_ids"]}
    inputs["attention_mask"] = batch["decoder_attention_mask"]
    assert_same_outputs(ours, ref, inputs, fields=("logits", "loss"))


def assert_same_loss(ours: Any, ref: Any, batch: dict, *, logits: bool = False) -> None:
    """The loss for labels = the batch's decoder rows (padding ignored), given the encoder
    inputs only (so both shift the labels into decoder inputs); with `logits`, those too."""
    import torch

    labels = batch["decoder_input_ids"].masked_fill(batch["decoder_attention_mask"] == 0, -100)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        a, b = ours(**inputs, labels=labels), ref(**inputs, labels=labels)
    assert max_difference(a.loss, b.loss) < TOLERANCE
    if logits:
        assert max_difference(a.logits, b.logits) < TOLERANCE


def assert_loads_back_in_reference(ours: Any, ref: Any, folder: Path, batch: dict) -> None:
    """`ours` saved to `folder` loads in the reference's class with the same logits."""
    import transformers

    ours.save_pretrained(folder)
    back = getattr(transformers, type(ref).__name__).from_pretrained(folder).eval()
    assert_same_outputs(ours, back, batch, fields=("logits",))


def assert_loss_and_saved_folders_both_ways(
    class_name: str, config_name: str, config: dict, folder: Path
) -> None:
    """The reference's folder loads in tfx with the same loss, and tfx's in the reference."""
    ours, ref = seq2seq_lm_pair(class_name, config_name, config, folder / "r")
    batch = padded_batch(ref.config)
    assert_same_loss(ours, ref, batch)
    assert_loads_back_in_reference(ours, ref, folder / "tfx", batch)


def assert_generate_matches(ours: Any, ref: Any, options: dict) -> None:
    """The same ids from `generate(**options)` on the padded encoder rows, equally seeded."""
    import torch

    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        torch.manual_seed(0)
        expected = ref.generate(**inputs, **options)
        torch.manual_seed(0)
        got = ours.generate(**inputs, **options)
    assert got.tolist() == expected.tolist()
