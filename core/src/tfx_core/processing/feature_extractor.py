"""Audio feature extractors: raw waveforms (Wav2Vec2, HuBERT) padded and normalised per clip.

`SequenceFeatureExtractor` holds what every audio extractor shares (batch detection, truncation,
padding with an attention mask, the sampling-rate check); `WaveformFeatureExtractor` is the
reference's raw-waveform recipe: zero mean and unit variance per clip, over its unpadded part
when an attention mask is returned.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tfx_core.errors import ProcessorError
from tfx_core.processing.base import Preprocessor, require
from tfx_core.processing.features import BatchFeature

_PADDING = {False: None, "do_not_pad": None, True: "longest", "longest": "longest"}


def padding_strategy(padding: Any, max_length: int | None) -> str | None:
    """None (no padding), "longest" or "max_length", from the reference's `padding` values."""
    value = getattr(padding, "value", padding)
    if value == "max_length":
        if max_length is None:
            raise ProcessorError("padding='max_length' needs max_length=...")
        return "max_length"
    if value not in _PADDING:
        raise ProcessorError(
            f"padding must be True/'longest', 'max_length' or False, got {padding!r}."
        )
    return _PADDING[value]


def is_batched(raw: Any) -> bool:
    """Whether `raw` holds several clips (a 2-D array, or a list of sequences)."""
    if isinstance(raw, np.ndarray):
        if raw.ndim > 2:
            raise ProcessorError(
                f"Audio must be mono: got an array of shape {raw.shape}; pass one clip per row."
            )
        return raw.ndim == 2
    if isinstance(raw, (list, tuple)):
        if not raw:
            raise ProcessorError("Got an empty list of audio clips.")
        return isinstance(raw[0], (np.ndarray, list, tuple)) or hasattr(raw[0], "detach")
    return False


class SequenceFeatureExtractor(Preprocessor):
    """Shared batching, truncation and padding of per-clip feature arrays."""

    type_key = "feature_extractor_type"
    model_input_names: ClassVar[list[str]] = ["input_values", "attention_mask"]
    defaults: ClassVar[dict[str, Any]] = {
        "feature_size": 1,
        "sampling_rate": 16000,
        "padding_value": 0.0,
        "padding_side": "right",
        "return_attention_mask": False,
    }

    def validate(self) -> None:
        require(
            isinstance(self.sampling_rate, int) and self.sampling_rate > 0,
            f"sampling_rate must be a positive int, got {self.sampling_rate!r}.",
        )
        require(
            self.padding_side in ("right", "left"),
            f"padding_side must be 'right' or 'left', got {self.padding_side!r}.",
        )

    def check_sampling_rate(self, sampling_rate: int | None) -> None:
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise ProcessorError(
                f"This feature extractor expects audio at {self.sampling_rate} Hz but got "
                f"{sampling_rate} Hz: resample it first (tfx_core.processing.resample)."
            )

    def pad(
        self,
        clips: list[np.ndarray],
        *,
        padding: Any = False,
        max_length: int | None = None,
        truncation: bool = False,
        pad_to_multiple_of: int | None = None,
        return_attention_mask: bool | None = None,
    ) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Truncate and pad clips (arrays of frames along axis 0); returns (clips, mask)."""
        strategy = padding_strategy(padding, max_length)
        if return_attention_mask is None:
            return_attention_mask = self.return_attention_mask
        if truncation:
            if max_length is None:
                raise ProcessorError("truncation=True needs max_length=...")
            limit = _round_up(max_length, pad_to_multiple_of)
            clips = [clip[:limit] for clip in clips]
        target = None
        if strategy == "longest":
            target = max(len(clip) for clip in clips)
        elif strategy == "max_length":
            target = max_length
        if target is not None:
            target = _round_up(target, pad_to_multiple_of)
        padded, masks = [], []
        for clip in clips:
            missing = max(0, target - len(clip)) if target is not None else 0
            mask = np.ones(len(clip), dtype=np.int32)
            if missing:
                widths = [(0, missing)] + [(0, 0)] * (clip.ndim - 1)
                mask_widths = (0, missing)
                if self.padding_side == "left":
                    widths[0] = (missing, 0)
                    mask_widths = (missing, 0)
                clip = np.pad(clip, widths, constant_values=self.padding_value)
                mask = np.pad(mask, mask_widths)
            padded.append(clip)
            masks.append(mask)
        return padded, (masks if return_attention_mask else None)


def _round_up(length: int, multiple: int | None) -> int:
    if multiple and length % multiple:
        return (length // multiple + 1) * multiple
    return length


class WaveformFeatureExtractor(SequenceFeatureExtractor):
    """Raw 16 kHz waveforms -> `input_values` (Wav2Vec2, HuBERT, ...)."""

    defaults: ClassVar[dict[str, Any]] = {
        **SequenceFeatureExtractor.defaults,
        "do_normalize": True,
    }

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
        clips = [_as_float32(clip) for clip in clips]
        clips, mask = self.pad(
            clips,
            padding=padding,
            max_length=max_length,
            truncation=truncation,
            pad_to_multiple_of=pad_to_multiple_of,
            return_attention_mask=return_attention_mask,
        )
        if self.do_normalize:
            lengths = None
            if mask is not None and padding_strategy(padding, max_length) is not None:
                lengths = [int(m.sum()) for m in mask]
            clips = normalize_clips(clips, lengths, self.padding_value)
        data: dict[str, Any] = {"input_values": clips}
        if mask is not None:
            data["attention_mask"] = mask
        return BatchFeature(data, tensor_type=return_tensors)


def normalize_clips(
    clips: list[np.ndarray], lengths: list[int] | None, padding_value: float
) -> list[np.ndarray]:
    """Zero mean, unit variance per clip (over its first `length` samples when given)."""
    out = []
    for index, clip in enumerate(clips):
        length = len(clip) if lengths is None else lengths[index]
        valid = clip[:length]
        normed = (clip - valid.mean()) / np.sqrt(valid.var() + 1e-7)
        if length < len(normed):
            normed[length:] = padding_value
        out.append(normed)
    return out


def _as_float32(clip: Any) -> np.ndarray:
    if hasattr(clip, "detach"):
        clip = clip.detach().cpu().numpy()
    array = np.asarray(clip)
    if array.ndim != 1:
        raise ProcessorError(f"Each audio clip must be a 1-D waveform, got shape {array.shape}.")
    return array.astype(np.float32)
