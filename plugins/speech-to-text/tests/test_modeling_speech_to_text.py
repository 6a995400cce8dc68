"""Speech2Text against the reference on tiny random checkpoints the reference saved.

Outputs (logits, encoder and decoder hidden states) with and without padded log-mel frames
(the frame mask is subsampled with the convolutions), the loss from labels alone, folders saved
both ways, and greedy / beam / sampled generation ids from `input_features`.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_plugin_speech_to_text import modeling_speech_to_text  # noqa: E402

from tfx_core import AutoModelForSpeechSeq2Seq  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402
from tfx_sdk.conformance.seq2seq_parity import (  # noqa: E402
    GENERATION_CASES,
    TINY_SEQ2SEQ,
    assert_loads_back_in_reference,
    assert_same_outputs,
    head_pair,
    max_difference,
    parametrize_generation,
    reference_model,
)

TINY = {
    **{k: v for k, v in TINY_SEQ2SEQ.items() if k != "max_position_embeddings"},
    "max_source_positions": 64,
    "max_target_positions": 32,
    "num_conv_layers": 2,
    "conv_kernel_sizes": [5, 3],
    "conv_channels": 12,
    "input_feat_per_channel": 8,
    "init_std": 0.3,  # larger random weights: rows decode differently, padding shows
}
LM_HEAD = "Speech2TextForConditionalGeneration"
CONFIG = "Speech2TextConfig"
CASES = {
    **GENERATION_CASES,
    "greedy-10": dict(max_new_tokens=10, min_new_tokens=10),
    "beam-10": dict(max_new_tokens=10, min_new_tokens=10, num_beams=3),
}


def speech_batch(config, *, padded: bool = True, frames: int = 37, target: int = 7) -> dict:
    """Two rows of random log-mel frames (the second padded after 23 frames when `padded`) and
    decoder ids starting with the decoder start token, the second row padded."""
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(2, frames, config.input_feat_per_channel, generator=generator)
    mask = torch.ones(2, frames, dtype=torch.long)
    if padded:
        mask[1, 23:] = 0
        features[1, 23:] = 0.0
    decoder = torch.randint(3, config.vocab_size, (2, target), generator=generator)
    decoder[:, 0] = config.decoder_start_token_id
    decoder[1, target - 2 :] = config.pad_token_id
    return {
        "input_features": features,
        "attention_mask": mask,
        "decoder_input_ids": decoder,
        "decoder_attention_mask": (decoder != config.pad_token_id).long(),
    }


@pytest.fixture(scope="module")
def lm_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2t")
    ref = reference_model(LM_HEAD, CONFIG, TINY, folder)
    ours = AutoModelForSpeechSeq2Seq.from_pretrained(folder).eval()
    assert type(ours).__name__ == LM_HEAD and ours.load_report.is_clean, ours.load_report
    return ours, ref


@pytest.mark.parametrize("padded", [False, True], ids=["unpadded", "padded"])
@pytest.mark.parametrize("name", ["Speech2TextModel", LM_HEAD])
def test_heads_match_the_reference(name, padded, tmp_path):
    ours, ref = head_pair(modeling_speech_to_text, name, CONFIG, TINY, tmp_path)
    batch = speech_batch(ref.config, padded=padded)
    if not padded:
        batch.pop("attention_mask")
    diffs = assert_same_outputs(ours, ref, batch)
    assert "encoder_last_hidden_state" in diffs  # the speech side is compared too


def test_loss_from_labels_alone(lm_pair):
    ours, ref = lm_pair
    batch = speech_batch(ref.config)
    labels = batch["decoder_input_ids"].masked_fill(batch["decoder_attention_mask"] == 0, -100)
    inputs = {"input_features": batch["input_features"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        a, b = ours(**inputs, labels=labels), ref(**inputs, labels=labels)
    assert max_difference(a.loss, b.loss) < 1e-6
    assert max_difference(a.logits, b.logits) < 1e-5


def test_saved_folders_load_both_ways(lm_pair, tmp_path):
    ours, ref = lm_pair
    assert_loads_back_in_reference(ours, ref, tmp_path / "tfx", speech_batch(ref.config))
    back = AutoModelForSpeechSeq2Seq.from_pretrained(tmp_path / "tfx").eval()
    assert back.load_report.is_clean
    assert back.lm_head.weight is back.model.decoder.embed_tokens.weight  # tied


@parametrize_generation(CASES)
def test_generate_matches_the_reference(lm_pair, options):
    ours, ref = lm_pair
    batch = speech_batch(ref.config)
    inputs = {"input_features": batch["input_features"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        torch.manual_seed(0)
        expected = ref.generate(**inputs, **options)
        torch.manual_seed(0)
        got = ours.generate(**inputs, **options)
    assert got.tolist() == expected.tolist()


def test_generate_without_mask_matches(lm_pair):
    ours, ref = lm_pair
    features = speech_batch(ref.config, padded=False)["input_features"]
    with torch.no_grad():
        expected = ref.generate(features, max_new_tokens=8, num_beams=3)
        got = ours.generate(features, max_new_tokens=8, num_beams=3)
    assert got.tolist() == expected.tolist()


def test_bad_inputs_get_clear_errors(lm_pair):
    ours, _ = lm_pair
    with pytest.raises(ConfigError, match="features per frame"):
        ours(input_features=torch.zeros(1, 20, 5), decoder_input_ids=torch.tensor([[2]]))
    with pytest.raises(ConfigError, match=r"\[batch, frames, features\]"):
        ours(input_features=torch.zeros(20, 8), decoder_input_ids=torch.tensor([[2]]))
    with pytest.raises(ConfigError, match="input_features"):
        ours.generate(max_new_tokens=2)
    config_class = modeling_speech_to_text.Speech2TextConfig
    with pytest.raises(ConfigError, match="conv_kernel_sizes"):
        config_class(num_conv_layers=3).validate()
