"""Kaldi-style log-mel filter-bank features (Speech2Text and similar speech encoders).

Frames of 25 ms every 10 ms at 16 kHz, DC offset removed, pre-emphasis 0.97, a Povey window,
a 512-point FFT, power spectrum, 80 triangular mel filters laid out on the Kaldi mel scale, then
the log; each utterance is then mean- and variance-normalised per feature (CMVN). numpy does the
signal processing; values agree with the reference's numpy path to float32 precision.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tfx_core.processing.base import require
from tfx_core.processing.feature_extractor import (
    SequenceFeatureExtractor,
    _as_float32,
    is_batched,
    padding_strategy,
)
from tfx_core.processing.features import BatchFeature

FRAME_LENGTH = 400
HOP_LENGTH = 160
FFT_LENGTH = 512
PREEMPHASIS = 0.97
MEL_FLOOR = 1.192092955078125e-07  # float32 epsilon


def kaldi_mel(hertz: Any) -> Any:
    return 1127.0 * np.log(1.0 + hertz / 700.0)


def kaldi_mel_filters(num_filters: int, sampling_rate: int, min_hertz: float = 20.0) -> np.ndarray:
    """[fft_bins, num_filters] triangles, linear in Kaldi mel between neighbouring centres."""
    edges = np.linspace(kaldi_mel(min_hertz), kaldi_mel(sampling_rate // 2), num_filters + 2)
    bins = FFT_LENGTH // 2 + 1
    bin_mels = kaldi_mel((sampling_rate / ((bins - 1) * 2)) * np.arange(bins))
    offsets = edges[None, :] - bin_mels[:, None]
    widths = np.diff(edges)
    rising = -offsets[:, :-2] / widths[:-1]
    falling = offsets[:, 2:] / widths[1:]
    return np.maximum(np.zeros(1), np.minimum(rising, falling))


def povey_window(length: int = FRAME_LENGTH) -> np.ndarray:
    return np.hanning(length) ** 0.85


def log_mel_spectrogram(
    waveform: np.ndarray, mel_filters: np.ndarray, window: np.ndarray, dither: float = 0.0
) -> np.ndarray:
    """[frames, mel] float32 log-mel energies of a waveform in 16-bit sample units."""
    samples = waveform.astype(np.float64)
    count = 1 + (samples.size - FRAME_LENGTH) // HOP_LENGTH
    if count < 1:
        return np.zeros((0, mel_filters.shape[1]), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(samples, FRAME_LENGTH)[::HOP_LENGTH][:count]
    frames = frames.copy()
    if dither:
        frames += dither * np.random.randn(*frames.shape)
    frames -= frames.mean(axis=1, keepdims=True)
    frames[:, 1:] -= PREEMPHASIS * frames[:, :-1].copy()
    frames[:, 0] *= 1 - PREEMPHASIS
    frames *= window.astype(np.float64)
    spectrum = np.fft.rfft(frames, n=FFT_LENGTH, axis=1).astype(np.complex64)
    power = np.abs(spectrum, dtype=np.float64) ** 2.0
    mel = np.maximum(MEL_FLOOR, np.dot(mel_filters.T, power.T))
    return np.ascontiguousarray(np.log(mel).astype(np.float32).T)


def utterance_cmvn(
    features: np.ndarray, length: int, means: bool, variances: bool, padding_value: float
) -> np.ndarray:
    """Per-feature mean and variance normalisation over the first `length` frames."""
    if means:
        features = features - features[:length].mean(axis=0)
    if variances:
        features = features / features[:length].std(axis=0)
    if length < features.shape[0]:
        features[length:] = padding_value
    return features.astype(np.float32)


class LogMelFeatureExtractor(SequenceFeatureExtractor):
    """Waveforms -> `input_features` [frames, num_mel_bins] with an attention mask."""

    model_input_names: ClassVar[list[str]] = ["input_features", "attention_mask"]
    defaults: ClassVar[dict[str, Any]] = {
        **SequenceFeatureExtractor.defaults,
        "feature_size": 80,
        "num_mel_bins": 80,
        "dither": 0.0,
        "do_ceptral_normalize": True,
        "normalize_means": True,
        "normalize_vars": True,
        "return_attention_mask": True,
    }

    def validate(self) -> None:
        super().validate()
        require(
            isinstance(self.num_mel_bins, int) and self.num_mel_bins > 0,
            f"num_mel_bins must be a positive int, got {self.num_mel_bins!r}.",
        )
        self._filters = kaldi_mel_filters(self.num_mel_bins, self.sampling_rate)
        self._window = povey_window()

    def __call__(
        self,
        raw_speech: Any,
        *,
        padding: Any = False,
        max_length: int | None = None,
        truncation: bool = False,
        pad_to_multiple_of: int | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: Any = None,
        sampling_rate: int | None = None,
    ) -> BatchFeature:
        self.check_sampling_rate(sampling_rate)
        clips = raw_speech if is_batched(raw_speech) else [raw_speech]
        features = [
            log_mel_spectrogram(
                _as_float32(clip) * (2**15), self._filters, self._window, self.dither
            )
            for clip in clips
        ]
        features, mask = self.pad(
            features,
            padding=padding,
            max_length=max_length,
            truncation=truncation,
            pad_to_multiple_of=pad_to_multiple_of,
            return_attention_mask=True if self.do_ceptral_normalize else return_attention_mask,
        )
        if self.do_ceptral_normalize:
            padded = padding_strategy(padding, max_length) is not None
            features = [
                utterance_cmvn(
                    feature,
                    int(m.sum()) if padded else feature.shape[0],
                    self.normalize_means,
                    self.normalize_vars,
                    self.padding_value,
                )
                for feature, m in zip(features, mask)  # type: ignore[arg-type]
            ]
            if return_attention_mask is False:
                mask = None
        data: dict[str, Any] = {"input_features": features}
        if mask is not None:
            data["attention_mask"] = mask
        return BatchFeature(data, tensor_type=return_tensors)
