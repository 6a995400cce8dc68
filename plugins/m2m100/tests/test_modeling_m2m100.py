"""M2M100 against the reference on tiny random checkpoints the reference saved.

Outputs (logits, encoder and decoder hidden states) with padding in the encoder and the decoder
(fairseq positions skip padding), the loss, folders saved both ways, and greedy / beam
generation ids with a forced target-language token.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_plugin_m2m100 import modeling_m2m100  # noqa: E402

from tfx_core import AutoModelForSeq2SeqLM  # noqa: E402
from tfx_sdk.conformance.seq2seq_parity import (  # noqa: E402
    assert_same_outputs,
    max_difference,
    padded_batch,
    reference_model,
)

TINY = dict(
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


@pytest.mark.parametrize("name", ["M2M100Model", "M2M100ForConditionalGeneration"])
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ref = reference_model(name, "M2M100Config", TINY, tmp_path)
    ours = getattr(modeling_m2m100, name).from_pretrained(tmp_path).eval()
    assert ours.load_report.is_clean, ours.load_report
    batch = padded_batch(ref.config)
    batch["input_ids"][0, 2] = ref.config.pad_token_id  # padding inside a row too
    assert_same_outputs(ours, ref, batch)


def test_loss_and_long_inputs(tmp_path):
    """Positions beyond `max_position_embeddings` grow the table as the reference does."""
    ref = reference_model("M2M100ForConditionalGeneration", "M2M100Config", TINY, tmp_path)
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config, source=80)
    labels = batch.pop("decoder_input_ids").masked_fill(
        batch.pop("decoder_attention_mask") == 0, -100
    )
    with torch.no_grad():
        a, b = ours(**batch, labels=labels), ref(**batch, labels=labels)
    assert max_difference(a.loss, b.loss) < 1e-5
    assert max_difference(a.logits, b.logits) < 1e-5


def test_saved_folders_load_both_ways(tmp_path):
    ref = reference_model("M2M100ForConditionalGeneration", "M2M100Config", TINY, tmp_path / "r")
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "r").eval()
    ours.save_pretrained(tmp_path / "tfx")
    back = transformers.M2M100ForConditionalGeneration.from_pretrained(tmp_path / "tfx").eval()
    assert_same_outputs(ours, back, padded_batch(ref.config), fields=("logits",))


@pytest.mark.parametrize(
    "options",
    [
        dict(max_new_tokens=8, forced_bos_token_id=7),
        dict(max_new_tokens=8, num_beams=4, length_penalty=0.6, no_repeat_ngram_size=2),
        dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, forced_bos_token_id=7),
        dict(max_new_tokens=6, do_sample=True, top_k=8, top_p=0.9),
    ],
    ids=["greedy", "beam", "beam-return-2", "sample"],
)
def test_generate_matches_the_reference(options, tmp_path):
    ref = reference_model("M2M100ForConditionalGeneration", "M2M100Config", TINY, tmp_path)
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        torch.manual_seed(0)
        expected = ref.generate(**inputs, **options)
        torch.manual_seed(0)
        got = ours.generate(**inputs, **options)
    assert got.tolist() == expected.tolist()
