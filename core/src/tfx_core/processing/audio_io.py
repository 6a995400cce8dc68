"""Reading and resampling audio: `soundfile` decodes files, `soxr` resamples."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from tfx_core.errors import ProcessorError


def resample(waveform: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """`waveform` (1-D float) resampled from `from_rate` Hz to `to_rate` Hz with soxr."""
    if from_rate == to_rate:
        return waveform
    try:
        import soxr
    except ImportError as exc:
        raise ProcessorError(
            f"Audio sampled at {from_rate} Hz must be resampled to {to_rate} Hz, which needs "
            "soxr: pip install soxr (or tfx-core[audio]). Or pass audio at the model's rate."
        ) from exc
    return soxr.resample(np.asarray(waveform, dtype=np.float32), from_rate, to_rate, "HQ")


def read_audio(path: str | os.PathLike, sampling_rate: int) -> np.ndarray:
    """A mono float32 waveform at `sampling_rate` from an audio file (wav, flac, ogg, ...)."""
    try:
        import soundfile
    except ImportError as exc:
        raise ProcessorError(
            "Reading audio files needs soundfile: pip install soundfile (or tfx-core[audio]). "
            "Or pass the waveform as a numpy array with its sampling rate."
        ) from exc
    path = os.fspath(path)
    if path.startswith(("http://", "https://")):
        raise ProcessorError(
            f"tfx does not download audio: {path!r} is a URL. Download it and pass the path."
        )
    if not os.path.isfile(path):
        raise ProcessorError(f"No audio file at {path!r}: pass an existing path or a waveform.")
    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError
        raise ProcessorError(f"Cannot read {path!r} as audio: {exc}.") from exc
    return resample(data.mean(axis=1), rate, sampling_rate)


def as_waveform(audio: Any, sampling_rate: int) -> np.ndarray:
    """One 1-D float32 waveform at `sampling_rate` from what the pipelines accept.

    A path; a 1-D array or list (taken at `sampling_rate`); or a dict with the waveform under
    "raw" or "array" and its rate under "sampling_rate" (resampled when it differs), the shape a
    `datasets` Audio column gives.
    """
    if isinstance(audio, (str, os.PathLike)):
        return read_audio(audio, sampling_rate)
    if isinstance(audio, (bytes, bytearray)):
        raise ProcessorError(
            "Encoded audio bytes are not decoded by tfx: save them to a file and pass its path, "
            "or pass the decoded waveform."
        )
    rate = sampling_rate
    if isinstance(audio, dict):
        key = "raw" if "raw" in audio else "array" if "array" in audio else None
        if key is None or "sampling_rate" not in audio:
            raise ProcessorError(
                'An audio dict needs the waveform under "raw" (or "array") and its rate under '
                f'"sampling_rate"; got keys {sorted(audio)}.'
            )
        audio, rate = audio[key], int(audio["sampling_rate"])
    if hasattr(audio, "detach"):
        audio = audio.detach().cpu().numpy()
    waveform = np.asarray(audio)
    if waveform.ndim != 1 or not np.issubdtype(waveform.dtype, np.number):
        raise ProcessorError(
            f"Audio must be a 1-D (mono) waveform of numbers; got shape {waveform.shape} of "
            f"{waveform.dtype}. Average the channels of stereo audio first."
        )
    return resample(waveform.astype(np.float32), rate, sampling_rate)
