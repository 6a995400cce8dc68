"""MarianMT against the reference on tiny random checkpoints the reference saved.

Every head's outputs (logits, encoder and decoder hidden states) with padding in the encoder and
the decoder, shared and separate (untied) encoder/decoder embeddings, the loss, folders saved
both ways (Hub Marian checkpoints carry no position table), and greedy / beam generation ids.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from safetensors.torch import load_file, save_file  # noqa: E402
from tfx_plugin_marian import modeling_marian  # noqa: E402

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
    pad_token_id=98,
    eos_token_id=0,
    decoder_start_token_id=98,
    forced_eos_token_id=0,
)
UNSHARED = dict(TINY, share_encoder_decoder_embeddings=False)


@pytest.mark.parametrize("config", [TINY, UNSHARED], ids=["shared", "unshared"])
@pytest.mark.parametrize("name", ["MarianModel", "MarianMTModel"])
def test_heads_match_the_reference_with_padding(name, config, tmp_path):
    ref = reference_model(name, "MarianConfig", config, tmp_path)
    ours = getattr(modeling_marian, name).from_pretrained(tmp_path).eval()
    assert ours.load_report.is_clean, ours.load_report
    assert_same_outputs(ours, ref, padded_batch(ref.config))


def test_causal_lm_matches_the_reference(tmp_path):
    ref = reference_model("MarianForCausalLM", "MarianConfig", TINY, tmp_path)
    ours = modeling_marian.MarianForCausalLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["decoder_input_ids"], "labels": batch["decoder_input_ids"]}
    inputs["attention_mask"] = batch["decoder_attention_mask"]
    assert_same_outputs(ours, ref, inputs, fields=("logits", "loss"))


def test_hub_layout_without_positions_and_the_loss(tmp_path):
    """opus-mt files have no `embed_positions.weight`: the table is rebuilt, not reported."""
    ref = reference_model("MarianMTModel", "MarianConfig", TINY, tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    weights = {k: v for k, v in weights.items() if "embed_positions" not in k}
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    assert not ours.load_report.missing and not ours.load_report.unexpected
    batch = padded_batch(ref.config)
    labels = batch.pop("decoder_input_ids").masked_fill(
        batch.pop("decoder_attention_mask") == 0, -100
    )
    with torch.no_grad():
        a, b = ours(**batch, labels=labels), ref(**batch, labels=labels)
    assert max_difference(a.loss, b.loss) < 1e-5
    assert max_difference(a.logits, b.logits) < 1e-5


@pytest.mark.parametrize("config", [TINY, UNSHARED], ids=["shared", "unshared"])
def test_saved_folders_load_both_ways(config, tmp_path):
    ref = reference_model("MarianMTModel", "MarianConfig", config, tmp_path / "ref")
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "ref").eval()
    ours.save_pretrained(tmp_path / "tfx")
    back = transformers.MarianMTModel.from_pretrained(tmp_path / "tfx").eval()
    assert_same_outputs(ours, back, padded_batch(ref.config), fields=("logits",))


@pytest.mark.parametrize(
    "options",
    [
        dict(max_new_tokens=8),
        dict(max_new_tokens=8, num_beams=4, length_penalty=0.6, no_repeat_ngram_size=2),
        dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, early_stopping=True),
        dict(max_new_tokens=6, do_sample=True, top_k=8, top_p=0.9),
    ],
    ids=["greedy", "beam", "beam-return-2", "sample"],
)
def test_generate_matches_the_reference(options, tmp_path):
    ref = reference_model("MarianMTModel", "MarianConfig", TINY, tmp_path)
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        torch.manual_seed(0)
        expected = ref.generate(**inputs, **options)
        torch.manual_seed(0)
        got = ours.generate(**inputs, **options)
    assert got.tolist() == expected.tolist()
