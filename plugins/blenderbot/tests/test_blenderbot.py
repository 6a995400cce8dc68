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

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_sdk.conformance import write_byte_level_bpe  # noqa: E402
from tfx_sdk.conformance.seq2seq_parity import (  # noqa: E402
    TINY_SEQ2SEQ,
    assert_causal_lm_matches,
    assert_generate_matches,
    assert_loss_and_saved_folders_both_ways,
    assert_same_outputs,
    head_pair,
    padded_batch,
    parametrize_generation,
    seq2seq_lm_pair,
)
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS  # noqa: E402

TINY = dict(
    TINY_SEQ2SEQ,
    scale_embedding=True,
    encoder_no_repeat_ngram_size=0,  # the generation cases below set it themselves
)
CONFIG = "BlenderbotConfig"
LM_HEAD = "BlenderbotForConditionalGeneration"


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


@pytest.mark.parametrize("name", ["BlenderbotModel", LM_HEAD])
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ours, ref = head_pair(modeling_blenderbot, name, CONFIG, TINY, tmp_path)
    assert_same_outputs(ours, ref, padded_batch(ref.config))


def test_causal_lm_matches_the_reference(tmp_path):
    assert_causal_lm_matches(modeling_blenderbot.BlenderbotForCausalLM, CONFIG, TINY, tmp_path)


def test_loss_and_saved_folders_both_ways(tmp_path):
    assert_loss_and_saved_folders_both_ways(LM_HEAD, CONFIG, TINY, tmp_path)


@parametrize_generation()
def test_generate_matches_the_reference(options, tmp_path):
    assert_generate_matches(*seq2seq_lm_pair(LM_HEAD, CONFIG, TINY, tmp_path), options)


@pytest.mark.parametrize("size,beams", [(1, 1), (2, 1), (2, 4), (3, 4)])
def test_encoder_no_repeat_ngram_matches_the_reference(size, beams, tmp_path):
    """Real Blenderbot configs set encoder_no_repeat_ngram_size=3: the source is built from the
    model's own unconstrained output, so the ban must change what is generated."""
    ours, ref = seq2seq_lm_pair(LM_HEAD, CONFIG, TINY, tmp_path)
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
