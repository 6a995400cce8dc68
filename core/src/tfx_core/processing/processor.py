"""`Processor`: a tokenizer paired with an image processor or a feature extractor.

Like the reference's `CLIPProcessor` / `Wav2Vec2Processor`: one call prepares text, images and
audio together; decoding goes to the tokenizer. Saved as the tokenizer files plus
`preprocessor_config.json`, which records the pair's class under `processor_class`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tfx_core.errors import ProcessorError
from tfx_core.processing.features import BatchFeature


class Processor:
    """Text through `tokenizer`, images through `image_processor`, audio through
    `feature_extractor`; outputs merged into one `BatchFeature`."""

    def __init__(
        self, tokenizer: Any = None, image_processor: Any = None, feature_extractor: Any = None
    ) -> None:
        if tokenizer is None and image_processor is None and feature_extractor is None:
            raise ProcessorError("A Processor needs a tokenizer, an image processor or both.")
        self.tokenizer = tokenizer
        self.image_processor = image_processor
        self.feature_extractor = feature_extractor

    def __call__(
        self,
        text: Any = None,
        images: Any = None,
        audio: Any = None,
        *,
        return_tensors: Any = None,
        sampling_rate: int | None = None,
        **kwargs: Any,
    ) -> BatchFeature:
        """Encode what is given; with audio and text, the text ids become `labels`."""
        if text is None and images is None and audio is None:
            raise ProcessorError("Pass text=, images= or audio= (at least one).")
        out = BatchFeature()
        if images is not None:
            out.update(self._need("image_processor")(images, return_tensors=return_tensors))
        if audio is not None:
            extractor = self._need("feature_extractor")
            out.update(
                extractor(
                    audio, sampling_rate=sampling_rate, return_tensors=return_tensors, **kwargs
                )
            )
        if text is not None:
            tokenizer_kwargs = {} if audio is not None else kwargs
            encoding = self._need("tokenizer")(
                text, return_tensors=return_tensors, **tokenizer_kwargs
            )
            if audio is not None:
                out["labels"] = encoding["input_ids"]
            else:
                out.update(encoding)
        return out

    def _need(self, part: str) -> Any:
        value = getattr(self, part)
        if value is None:
            raise ProcessorError(f"This processor has no {part.replace('_', ' ')}.")
        return value

    def decode(self, *args: Any, **kwargs: Any) -> str:
        return self._need("tokenizer").decode(*args, **kwargs)

    def batch_decode(self, *args: Any, **kwargs: Any) -> list[str]:
        return self._need("tokenizer").batch_decode(*args, **kwargs)

    @property
    def model_input_names(self) -> list[str]:
        names: list[str] = []
        for part in (self.tokenizer, self.image_processor, self.feature_extractor):
            for name in getattr(part, "model_input_names", None) or []:
                if name not in names:
                    names.append(name)
        return names

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, **kwargs: Any) -> Processor:
        from tfx_core.processing.auto import load_parts

        return cls(**load_parts(path_or_id, **kwargs))

    def save_pretrained(self, save_directory: str | os.PathLike) -> Path:
        """Write the tokenizer files and `preprocessor_config.json` (with `processor_class`)."""
        import json

        from tfx_core.config import write_text_atomic

        folder = Path(save_directory)
        if self.tokenizer is not None:
            self.tokenizer.save_pretrained(folder)
        for part in (self.image_processor, self.feature_extractor):
            if part is not None:
                target = part.save_pretrained(folder)
                data = json.loads(target.read_text(encoding="utf-8"))
                data["processor_class"] = type(self).__name__
                write_text_atomic(target, json.dumps(data, indent=2, sort_keys=True) + "\n")
        return folder

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{name}={type(getattr(self, name)).__name__}"
            for name in ("tokenizer", "image_processor", "feature_extractor")
            if getattr(self, name) is not None
        )
        return f"{type(self).__name__}({parts})"
