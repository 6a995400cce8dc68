"""Blenderbot-Small against the reference on tiny random checkpoints the reference saved: every
head (padding in encoder and decoder), the loss, folders saved both ways, and greedy / beam
generation ids.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_plugin_blenderbot_small import modeling_blenderbot_small  # noqa: E402

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
    scale_embedding=True,
)


@pytest.mark.parametrize(
    "name", ["BlenderbotSmallModel", "BlenderbotSmallForConditionalGeneration"]
)
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ref = reference_model(name, "BlenderbotSmallConfig", TINY, tmp_path)
    ours = getattr(modeling_blenderbot_small, name).from_pretrained(tmp_path).eval()
    assert ours.load_report.is_clean, ours.load_report
    assert_same_outputs(ours, ref, padded_batch(ref.config))


def test_causal_lm_matches_the_reference(tmp_path):
    ref = reference_model("BlenderbotSmallForCausalLM", "BlenderbotSmallConfig", TINY, tmp_path)
    ours = modeling_blenderbot_small.BlenderbotSmallForCausalLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["decoder_input_ids"], "labels": batch["decoder_input_ids"]}
    inputs["attention_mask"] = batch["decoder_attention_mask"]
    assert_same_outputs(ours, ref, inputs, fields=("logits", "loss"))


def test_loss_and_saved_folders_both_ways(tmp_path):
    ref = reference_model(
        "BlenderbotSmallForConditionalGeneration", "BlenderbotSmallConfig", TINY, tmp_path / "r"
    )
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "r").eval()
    batch = padded_batch(ref.config)
    labels = batch["decoder_input_ids"].masked_fill(batch["decoder_attention_mask"] == 0, -100)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        assert (
            max_difference(ours(**inputs, labels=labels).loss, ref(**inputs, labels=labels).loss)
            < 1e-5
        )
    ours.save_pretrained(tmp_path / "tfx")
    back = transformers.BlenderbotSmallForConditionalGeneration.from_pretrained(
        tmp_path / "tfx"
    ).eval()
    assert_same_outputs(ours, back, batch, fields=("logits",))


@pytest.mark.parametrize(
    "options",
    [
        dict(max_new_tokens=8),
        dict(max_new_tokens=8, num_beams=4, length_penalty=0.6, no_repeat_ngram_size=2),
        dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, min_length=4),
        dict(max_new_tokens=6, do_sample=True, top_k=8, top_p=0.9),
    ],
    ids=["greedy", "beam", "beam-return-2", "sample"],
)
def test_generate_matches_the_reference(options, tmp_path):
    ref = reference_model(
        "BlenderbotSmallForConditionalGeneration", "BlenderbotSmallConfig", TINY, tmp_path
    )
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        torch.manual_seed(0)
        expected = ref.generate(**inputs, **options)
        torch.manual_seed(0)
        got = ours.generate(**inputs, **options)
    assert got.tolist() == expected.tolist()
