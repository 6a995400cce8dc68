"""Audio feature extractors: equal to the reference's, files both ways, reading and resampling."""

import numpy as np
import pytest
import soundfile
import soxr
import transformers

from tfx_core.errors import ProcessorError
from tfx_core.processing import (
    AutoFeatureExtractor,
    WaveformFeatureExtractor,
    as_waveform,
    read_audio,
)
from tfx_core.processing.log_mel import LogMelFeatureExtractor


def _speech_like(lengths, rate=16000):
    """A voiced-sounding clip per length: harmonics with a moving pitch, plus a little noise."""
    rng = np.random.default_rng(0)
    clips = []
    for n in lengths:
        t = np.arange(n) / rate
        pitch = 140 + 40 * np.sin(2 * np.pi * 1.5 * t)
        phase = 2 * np.pi * np.cumsum(pitch) / rate
        voice = sum(np.sin(k * phase) / k for k in range(1, 6)) * (0.5 + 0.5 * np.sin(6 * t))
        clips.append((0.2 * voice + 0.01 * rng.standard_normal(n)).astype(np.float32))
    return clips


PADDINGS = [
    {},
    {"padding": True},
    {"padding": "max_length", "max_length": 3000},
    {"padding": True, "pad_to_multiple_of": 512},
    {"padding": True, "truncation": True, "max_length": 1000},
]


@pytest.mark.parametrize("return_attention_mask", [False, True])
@pytest.mark.parametrize("options", PADDINGS)
def test_waveform_features_equal_the_reference(return_attention_mask, options):
    clips = _speech_like([1600, 2300, 999])
    reference = transformers.Wav2Vec2FeatureExtractor(return_attention_mask=return_attention_mask)
    ours = WaveformFeatureExtractor(return_attention_mask=return_attention_mask)
    inputs = clips if options else clips[0]
    expected = reference(inputs, sampling_rate=16000, return_tensors="np", **options)
    got = ours(inputs, sampling_rate=16000, return_tensors="np", **options)
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert got[key].dtype == expected[key].dtype
        np.testing.assert_allclose(got[key], expected[key], atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "options",
    [{}, {"padding": True}, {"padding": "max_length", "max_length": 150, "truncation": True}],
)
def test_log_mel_features_equal_the_reference(options):
    clips = _speech_like([16000, 20800, 9000])
    reference = transformers.Speech2TextFeatureExtractor()
    ours = LogMelFeatureExtractor()
    inputs = clips if options else clips[0]
    expected = reference(inputs, sampling_rate=16000, return_tensors="pt", **options)
    got = ours(inputs, sampling_rate=16000, return_tensors="pt", **options)
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert got[key].dtype == expected[key].dtype and got[key].shape == expected[key].shape
        assert (got[key] - expected[key]).abs().max() <= 1e-6


def test_files_load_in_both_libraries(tmp_path):
    transformers.Wav2Vec2FeatureExtractor(return_attention_mask=True).save_pretrained(
        tmp_path / "w"
    )
    loaded = AutoFeatureExtractor.from_pretrained(tmp_path / "w")
    assert isinstance(loaded, WaveformFeatureExtractor) and loaded.return_attention_mask is True
    transformers.Speech2TextFeatureExtractor(num_mel_bins=40, feature_size=40).save_pretrained(
        tmp_path / "s"
    )
    log_mel = AutoFeatureExtractor.from_pretrained(tmp_path / "s")
    assert isinstance(log_mel, LogMelFeatureExtractor) and log_mel.num_mel_bins == 40
    WaveformFeatureExtractor(do_normalize=False).save_pretrained(tmp_path / "ours")
    theirs = transformers.Wav2Vec2FeatureExtractor.from_pretrained(tmp_path / "ours")
    assert theirs.do_normalize is False and theirs.sampling_rate == 16000


def test_audio_files_are_read_and_resampled(tmp_path):
    (clip,) = _speech_like([8000], rate=8000)
    soundfile.write(tmp_path / "a.wav", np.stack([clip, clip], axis=1), 8000, subtype="FLOAT")
    waveform = read_audio(tmp_path / "a.wav", 16000)
    expected = soxr.resample(clip, 8000, 16000, "HQ")
    assert waveform.dtype == np.float32 and waveform.shape == expected.shape
    np.testing.assert_allclose(waveform, expected, atol=1e-6)
    from_dict = as_waveform({"array": clip, "sampling_rate": 8000}, 16000)
    np.testing.assert_allclose(from_dict, expected, atol=1e-6)
    assert as_waveform(clip.tolist(), 8000).dtype == np.float32


def test_bad_audio_inputs_are_clear(tmp_path):
    extractor = WaveformFeatureExtractor()
    with pytest.raises(ProcessorError, match="expects audio at 16000 Hz"):
        extractor(np.zeros(100), sampling_rate=8000)
    with pytest.raises(ProcessorError, match="mono"):
        extractor(np.zeros((2, 3, 4)))
    with pytest.raises(ProcessorError, match="max_length"):
        extractor([np.zeros(10)], padding="max_length")
    with pytest.raises(ProcessorError, match="different shapes"):
        extractor([np.zeros(10), np.zeros(12)], return_tensors="pt")
    with pytest.raises(ProcessorError, match="No audio file"):
        read_audio(tmp_path / "missing.wav", 16000)
    (tmp_path / "bad.wav").write_bytes(b"RIFF....")
    with pytest.raises(ProcessorError, match="Cannot read"):
        read_audio(tmp_path / "bad.wav", 16000)
    with pytest.raises(ProcessorError, match="sampling_rate"):
        as_waveform({"array": [0.0]}, 16000)
    with pytest.raises(ProcessorError, match="1-D"):
        as_waveform(np.zeros((2, 100)), 16000)
    with pytest.raises(ProcessorError, match="sampling_rate"):
        WaveformFeatureExtractor(sampling_rate=0)
