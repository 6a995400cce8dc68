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
    GENERATION_CASES,
    TINY_SEQ2SEQ,
    assert_causal_lm_matches,
    assert_generate_matches,
    assert_loads_back_in_reference,
    assert_same_loss,
    assert_same_outputs,
    head_pair,
    padded_batch,
    parametrize_generation,
    reference_model,
    seq2seq_lm_pair,
)

TINY = dict(
    TINY_SEQ2SEQ,
    scale_embedding=True,
    pad_token_id=98,
    eos_token_id=0,
    decoder_start_token_id=98,
    forced_eos_token_id=0,
)
UNSHARED = dict(TINY, share_encoder_decoder_embeddings=False)
BEAM_RETURN_2 = dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, early_stopping=True)


@pytest.mark.parametrize("config", [TINY, UNSHARED], ids=["shared", "unshared"])
@pytest.mark.parametrize("name", ["MarianModel", "MarianMTModel"])
def test_heads_match_the_reference_with_padding(name, config, tmp_path):
    ours, ref = head_pair(modeling_marian, name, "MarianConfig", config, tmp_path)
    assert_same_outputs(ours, ref, padded_batch(ref.config))


def test_causal_lm_matches_the_reference(tmp_path):
    assert_causal_lm_matches(modeling_marian.MarianForCausalLM, "MarianConfig", TINY, tmp_path)


def test_hub_layout_without_positions_and_the_loss(tmp_path):
    """opus-mt files have no `embed_positions.weight`: the table is rebuilt, not reported."""
    ref = reference_model("MarianMTModel", "MarianConfig", TINY, tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    weights = {k: v for k, v in weights.items() if "embed_positions" not in k}
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    ours = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    assert not ours.load_report.missing and not ours.load_report.unexpected
    assert_same_loss(ours, ref, padded_batch(ref.config), logits=True)


@pytest.mark.parametrize("config", [TINY, UNSHARED], ids=["shared", "unshared"])
def test_saved_folders_load_both_ways(config, tmp_path):
    ours, ref = seq2seq_lm_pair("MarianMTModel", "MarianConfig", config, tmp_path / "ref")
    assert_loads_back_in_reference(ours, ref, tmp_path / "tfx", padded_batch(ref.config))


@parametrize_generation({**GENERATION_CASES, "beam-return-2": BEAM_RETURN_2})
def test_generate_matches_the_reference(options, tmp_path):
    assert_generate_matches(
        *seq2seq_lm_pair("MarianMTModel", "MarianConfig", TINY, tmp_path), options
    )
