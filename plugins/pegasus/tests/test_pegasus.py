"""Pegasus against the reference: the tokenizer on a tiny SentencePiece model, and every head on
tiny random checkpoints the reference saved (padding in encoder and decoder), the loss, folders
saved both ways, and greedy / beam generation ids.
"""

from __future__ import annotations

import json
import warnings

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from tfx_plugin_pegasus import modeling_pegasus  # noqa: E402

from tfx_core import AutoTokenizer  # noqa: E402
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
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS, train_sentencepiece  # noqa: E402

TINY = dict(TINY_SEQ2SEQ, scale_embedding=True)
CONFIG = "PegasusConfig"
LM_HEAD = "PegasusForConditionalGeneration"


def test_tokenizer_matches_the_reference(tmp_path):
    model = train_sentencepiece(model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    (tmp_path / "spiece.model").write_bytes(model)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "pegasus"}))
    ours = AutoTokenizer.from_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    assert type(ref).__name__ == "PegasusTokenizerFast"
    texts = [*CORPUS, "<mask_1> masked <mask_2> words"]
    assert ours(texts, text_target=texts).data == ref(texts, text_target=texts).data
    assert ours.special_tokens_map == ref.special_tokens_map
    for ids in ref(texts)["input_ids"]:
        assert ours.decode(ids, skip_special_tokens=True) == ref.decode(
            ids, skip_special_tokens=True
        )
    ours.save_pretrained(tmp_path / "tfx")
    back = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert back(texts)["input_ids"] == ours(texts)["input_ids"]


@pytest.mark.parametrize("name", ["PegasusModel", LM_HEAD])
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ours, ref = head_pair(modeling_pegasus, name, CONFIG, TINY, tmp_path)
    assert_same_outputs(ours, ref, padded_batch(ref.config))


def test_causal_lm_matches_the_reference(tmp_path):
    assert_causal_lm_matches(modeling_pegasus.PegasusForCausalLM, CONFIG, TINY, tmp_path)


def test_loss_and_saved_folders_both_ways(tmp_path):
    assert_loss_and_saved_folders_both_ways(LM_HEAD, CONFIG, TINY, tmp_path)


@parametrize_generation()
def test_generate_matches_the_reference(options, tmp_path):
    assert_generate_matches(*seq2seq_lm_pair(LM_HEAD, CONFIG, TINY, tmp_path), options)
