"""Blenderbot-Small against the reference on tiny random checkpoints the reference saved: every
head (padding in encoder and decoder), the loss, folders saved both ways, and greedy / beam
generation ids.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_plugin_blenderbot_small import modeling_blenderbot_small  # noqa: E402

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

TINY = dict(TINY_SEQ2SEQ, scale_embedding=True)
CONFIG = "BlenderbotSmallConfig"
LM_HEAD = "BlenderbotSmallForConditionalGeneration"


@pytest.mark.parametrize("name", ["BlenderbotSmallModel", LM_HEAD])
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ours, ref = head_pair(modeling_blenderbot_small, name, CONFIG, TINY, tmp_path)
    assert_same_outputs(ours, ref, padded_batch(ref.config))


def test_causal_lm_matches_the_reference(tmp_path):
    causal_lm = modeling_blenderbot_small.BlenderbotSmallForCausalLM
    assert_causal_lm_matches(causal_lm, CONFIG, TINY, tmp_path)


def test_loss_and_saved_folders_both_ways(tmp_path):
    assert_loss_and_saved_folders_both_ways(LM_HEAD, CONFIG, TINY, tmp_path)


@parametrize_generation()
def test_generate_matches_the_reference(options, tmp_path):
    assert_generate_matches(*seq2seq_lm_pair(LM_HEAD, CONFIG, TINY, tmp_path), options)
