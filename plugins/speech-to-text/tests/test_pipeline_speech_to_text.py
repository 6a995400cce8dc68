"""The automatic-speech-recognition pipeline with a tiny random Speech2Text checkpoint against
the reference's pipeline on the same folder: synthesized waveforms (a sine, noise, a chirp of
another length) must give the same `{"text": ...}`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_sdk.conformance import sibling_module  # noqa: E402
from tfx_sdk.conformance.seq2seq_parity import reference_model  # noqa: E402

_FILES = sibling_module(__file__, "test_tokenization_speech_to_text.py")


def _clips() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    time = np.arange(12000) / 16000
    return [
        (0.5 * np.sin(2 * np.pi * 440 * time)).astype(np.float32),
        (0.1 * rng.standard_normal(9000)).astype(np.float32),
        (0.3 * np.sin(2 * np.pi * (200 + 900 * time[:7000]) * time[:7000])).astype(np.float32),
    ]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2t-asr")
    _FILES.write_processor(folder, do_upper_case=True)
    vocab_size = len(__import__("json").loads((folder / "vocab.json").read_text()))
    config = dict(
        vocab_size=vocab_size,
        d_model=16,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_source_positions=256,
        max_target_positions=300,
        conv_channels=12,
        input_feat_per_channel=80,
        init_std=0.3,
    )
    reference_model("Speech2TextForConditionalGeneration", "Speech2TextConfig", config, folder)
    # a checkpoint-chosen max_length beats the pipeline's max_new_tokens=256 (and keeps the
    # reference's beam search short)
    generation = transformers.GenerationConfig.from_pretrained(folder)
    generation.max_length = 24
    generation.save_pretrained(folder)
    return folder


def test_transcripts_match_the_reference(checkpoint):
    ours = pipeline("automatic-speech-recognition", model=str(checkpoint))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = transformers.pipeline(
            "automatic-speech-recognition", model=str(checkpoint), framework="pt"
        )
    for clip in _clips():
        expected = ref(clip.copy())
        got = ours(clip.copy())
        assert got == expected
        assert len(got["text"]) > 5  # text was generated: the comparison means something
    options = dict(generate_kwargs={"num_beams": 1}, max_new_tokens=7)
    assert ours(_clips()[1], **options) == ref(_clips()[1], **options)


def test_ctc_only_options_are_refused(checkpoint):
    ours = pipeline("automatic-speech-recognition", model=str(checkpoint))
    with pytest.raises(PipelineError, match="chunk_length_s"):
        ours(_clips()[0], chunk_length_s=1.0)
    with pytest.raises(PipelineError, match="return_timestamps"):
        ours(_clips()[0], return_timestamps="word")
