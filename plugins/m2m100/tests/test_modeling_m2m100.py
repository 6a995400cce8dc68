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

from tfx_sdk.conformance.seq2seq_parity import (  # noqa: E402
    GENERATION_CASES,
    TINY_SEQ2SEQ,
    assert_generate_matches,
    assert_loads_back_in_reference,
    assert_same_loss,
    assert_same_outputs,
    head_pair,
    padded_batch,
    parametrize_generation,
    seq2seq_lm_pair,
)

TINY = TINY_SEQ2SEQ
LM_HEAD = "M2M100ForConditionalGeneration"
FORCED_LANGUAGE = dict(forced_bos_token_id=7)
CASES = {
    "greedy": dict(GENERATION_CASES["greedy"], **FORCED_LANGUAGE),
    "beam": GENERATION_CASES["beam"],
    "beam-return-2": dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, **FORCED_LANGUAGE),
    "sample": GENERATION_CASES["sample"],
}


@pytest.mark.parametrize("name", ["M2M100Model", LM_HEAD])
def test_heads_match_the_reference_with_padding(name, tmp_path):
    ours, ref = head_pair(modeling_m2m100, name, "M2M100Config", TINY, tmp_path)
    batch = padded_batch(ref.config)
    batch["input_ids"][0, 2] = ref.config.pad_token_id  # padding inside a row too
    assert_same_outputs(ours, ref, batch)


def test_loss_and_long_inputs(tmp_path):
    """Positions beyond `max_position_embeddings` grow the table as the reference does."""
    ours, ref = seq2seq_lm_pair(LM_HEAD, "M2M100Config", TINY, tmp_path)
    assert_same_loss(ours, ref, padded_batch(ref.config, source=80), logits=True)


def test_saved_folders_load_both_ways(tmp_path):
    ours, ref = seq2seq_lm_pair(LM_HEAD, "M2M100Config", TINY, tmp_path / "r")
    assert_loads_back_in_reference(ours, ref, tmp_path / "tfx", padded_batch(ref.config))


@parametrize_generation(CASES)
def test_generate_matches_the_reference(options, tmp_path):
    assert_generate_matches(*seq2seq_lm_pair(LM_HEAD, "M2M100Config", TINY, tmp_path), options)
