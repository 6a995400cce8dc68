"""Blenderbot against the reference: the byte-level BPE tokenizer from legacy files, and every
head on tiny random checkpoints the reference saved (padding in encoder and decoder), the loss,
folders saved both ways, and greedy / beam generation ids.
"""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_plugin_blenderbot import modeling_blenderbot  # noqa: E402

from tfx_core import AutoModelForSeq2SeqLM, AutoTokenizer  # noqa: E402
from tfx_sdk.conformance import write_byte_level_bpe  # noqa: E402
from tfx_sdk.conformance.seq2seq_parity import (  # noqa: E402
    assert_same_outputs,
    max_difference,
    padded_batch,
    reference_model,
)
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS  # noqa: E402

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
    encoder_no_repeat_ngram_size=0,  # the generation cases below set it themselves
)


@pytest.mark.parametrize("add_prefix_space", [False, True])
def test_tokenizer_matches_the_reference(add_prefix_space, tmp_path):
    write_byte_level_bpe(
        tmp_path, style="roberta", legacy=True, tokenizer_class="BlenderbotTokenizer"
    )
    ours = AutoTokenizer.from_pretrained(tmp_path, add_prefix_space=add_prefix_space)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = transformers.BlenderbotTokenizerFast.from_pretrained(
            str(tmp_path), add_prefix_space=add_prefix_space
        )
    texts = [*CORPUS, "a <mask> b </s> c"]
    options = dict(return_offsets_mapping=True, return_special_tokens_mask=True)
    assert ours(texts, **options).data == ref(texts, **options).data
    assert ours(texts[:5], texts[5:10]).data == ref(texts[:5], texts[5:10]).data
    assert ours.special_tokens_map == ref.special_tokens_map
    for ids in ref(texts)["input_ids"]:
        assert ours.decode(ids) == ref.decode(ids)
    ours.save_pretrained(tmp_path / "tfx")
    back = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert back(texts)["input_ids"] == ours(texts)["input_ids"]


@pytest.mark.parametrize("name", ["BlenderbotModel", "BlenderbotForConditionalGeneration"])
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ref = reference_model(name, "BlenderbotConfig", TINY, tmp_path)
    ours = getattr(modeling_blenderbot, name).from_pretrained(tmp_path).eval()
    assert ours.load_report.is_clean, ours.load_report
    assert_same_outputs(ours, ref, padded_batch(ref.config))


def test_causal_lm_matches_the_reference(tmp_path):
    ref = reference_model("BlenderbotForCausalLM", "BlenderbotConfig", TINY, tmp_path)
    ours = modeling_blenderbot.BlenderbotForCausalLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["decoder_input_ids"], "labels": batch["decoder_input_ids"]}
    inputs["attention_mask"] = batch["decoder_attention_mask"]
    assert_same_outputs(ours, ref, inputs, fields=("logits", "loss"))


def test_loss_and_saved_folders_both_ways(tmp_path):
    ref = reference_model(
        "BlenderbotForConditionalGeneration", "BlenderbotConfig", TINY, tmp_path / "r"
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
    back = transformers.BlenderbotForConditionalGeneration.from_pretrained(tmp_path / "tfx").eval()
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
    ref = reference_model("BlenderbotForConditionalGeneration", "BlenderbotConfig", TINY, tmp_path)
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        torch.manual_seed(0)
        expected = ref.generate(**inputs, **options)
        torch.manual_seed(0)
        got = ours.generate(**inputs, **options)
    assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("size,beams", [(1, 1), (2, 1), (2, 4), (3, 4)])
def test_encoder_no_repeat_ngram_matches_the_reference(size, beams, tmp_path):
    """Real Blenderbot configs set encoder_no_repeat_ngram_size=3: the source is built from the
    model's own unconstrained output, so the ban must change what is generated."""
    ref = reference_model("BlenderbotForConditionalGeneration", "BlenderbotConfig", TINY, tmp_path)
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    batch = padded_batch(ref.config)
    options = dict(max_new_tokens=8, num_beams=beams)
    with torch.no_grad():
        free = ours.generate(batch["input_ids"], attention_mask=batch["attention_mask"], **options)
        source = torch.cat([free[:, 1:], batch["input_ids"]], dim=1)
        mask = torch.cat([torch.ones_like(free[:, 1:]), batch["attention_mask"]], dim=1)
        options["encoder_no_repeat_ngram_size"] = size
        expected = ref.generate(source, attention_mask=mask, **options)
        got = ours.generate(source, attention_mask=mask, **options)
        unconstrained = ours.generate(
            source, attention_mask=mask, num_beams=beams, max_new_tokens=8
        )
    assert got.tolist() == expected.tolist()
    if size == 1:
        assert got.tolist() != unconstrained.tolist()
