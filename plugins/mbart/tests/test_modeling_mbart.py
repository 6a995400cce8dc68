"""mBART against the reference on tiny random checkpoints the reference saved.

Every head's outputs (logits, encoder and decoder hidden states) with padding in the encoder and
the decoder, the loss with mBART's language-code shift, folders saved both ways, and greedy /
beam generation ids.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_plugin_mbart import modeling_mbart  # noqa: E402

from tfx_core import AutoModel, AutoModelForSeq2SeqLM  # noqa: E402
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
    num_labels=3,
)
HEADS = [
    "MBartModel",
    "MBartForConditionalGeneration",
    "MBartForSequenceClassification",
    "MBartForQuestionAnswering",
]


@pytest.mark.parametrize("name", HEADS)
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ref = reference_model(name, "MBartConfig", TINY, tmp_path)
    ours = getattr(modeling_mbart, name).from_pretrained(tmp_path).eval()
    assert ours.load_report.is_clean, ours.load_report
    batch = padded_batch(ref.config)
    batch["decoder_input_ids"][:, 0] = 5  # mBART starts with a language code
    derived = {k: v for k, v in batch.items() if not k.startswith("decoder")}
    if name.endswith(("Classification", "Answering")):  # decoder reads the shifted inputs
        assert_same_outputs(ours, ref, derived)
    else:
        assert_same_outputs(ours, ref, batch)
    if name == "MBartModel":
        assert_same_outputs(ours, ref, derived, fields=("last_hidden_state",))


def test_causal_lm_matches_the_reference(tmp_path):
    ref = reference_model("MBartForCausalLM", "MBartConfig", TINY, tmp_path)
    ours = modeling_mbart.MBartForCausalLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["decoder_input_ids"], "labels": batch["decoder_input_ids"]}
    inputs["attention_mask"] = batch["decoder_attention_mask"]
    assert_same_outputs(ours, ref, inputs, fields=("logits", "loss"))


def test_loss_uses_the_language_code_shift(tmp_path):
    ref = reference_model("MBartForConditionalGeneration", "MBartConfig", TINY, tmp_path)
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    labels = batch.pop("decoder_input_ids").masked_fill(
        batch.pop("decoder_attention_mask") == 0, -100
    )
    labels[:, -3] = 7  # a language-code-like last token before padding in row 1
    with torch.no_grad():
        a, b = ours(**batch, labels=labels), ref(**batch, labels=labels)
    assert max_difference(a.loss, b.loss) < 1e-5
    assert max_difference(a.logits, b.logits) < 1e-5


def test_saved_folders_load_both_ways(tmp_path):
    ref = reference_model("MBartForConditionalGeneration", "MBartConfig", TINY, tmp_path / "ref")
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "ref").eval()
    ours.save_pretrained(tmp_path / "tfx")
    back = transformers.MBartForConditionalGeneration.from_pretrained(tmp_path / "tfx").eval()
    batch = padded_batch(ref.config)
    assert_same_outputs(ours, back, batch, fields=("logits",))
    assert type(AutoModel.from_pretrained(tmp_path / "tfx")).__name__ == "MBartModel"


@pytest.mark.parametrize(
    "options",
    [
        dict(max_new_tokens=8, do_sample=False),
        dict(max_new_tokens=8, num_beams=4, length_penalty=0.6, no_repeat_ngram_size=2),
        dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, forced_bos_token_id=9),
        dict(max_new_tokens=6, do_sample=True, top_k=8, top_p=0.9),
    ],
    ids=["greedy", "beam", "beam-forced-bos", "sample"],
)
def test_generate_matches_the_reference(options, tmp_path):
    ref = reference_model("MBartForConditionalGeneration", "MBartConfig", TINY, tmp_path)
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    options = dict(options, decoder_start_token_id=5, min_length=0)
    with torch.no_grad():
        torch.manual_seed(0)
        expected = ref.generate(**inputs, **options)
        torch.manual_seed(0)
        got = ours.generate(**inputs, **options)
    assert got.tolist() == expected.tolist()
