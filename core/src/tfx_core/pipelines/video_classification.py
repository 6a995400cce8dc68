"""`video-classification`: the model's labels for a video clip, best first.

Inputs: a local video file path (or a binary file object), or a list of them; `videos=` is
accepted too. The first `num_frames * frame_sampling_rate` frames are decoded with PyAV (`av`)
and `num_frames` of them, evenly spaced, go through the image processor, like the reference.
Output per video: `[{"score", "label"}, ...]`, `top_k` long (default 5, at most the number of
labels), scores through softmax (or `function_to_apply="sigmoid"` / `"none"`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.media import MediaPipeline

_FUNCTIONS = ("softmax", "sigmoid", "none")


def read_frames(source: Any, num_frames: int, sampling_rate: int) -> list[np.ndarray]:
    """`num_frames` RGB frames evenly spaced over the first `num_frames * sampling_rate`."""
    try:
        import av
    except ImportError as exc:
        raise PipelineError(
            "Reading videos needs PyAV: pip install av (or tfx-core[video])."
        ) from exc
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path.startswith(("http://", "https://")):
            raise PipelineError(
                f"tfx does not download videos: {path!r} is a URL. Download it and pass the "
                "local path."
            )
        if not os.path.isfile(path):
            raise PipelineError(f"No video file at {path!r}.")
    wanted = np.linspace(0, num_frames * sampling_rate - 1, num=num_frames, dtype=np.int64)
    last = int(wanted[-1])
    frames = []
    try:
        with av.open(source) as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index > last:
                    break
                if index in wanted:
                    frames.append(frame.to_ndarray(format="rgb24"))
    except av.error.FFmpegError as exc:
        raise PipelineError(f"Could not decode the video {source!r}: {exc}") from exc
    if len(frames) < num_frames:
        raise PipelineError(
            f"The video has too few frames: {num_frames} frames at a sampling rate of "
            f"{sampling_rate} need {last + 1}, it gave {len(frames)}. Pass a smaller "
            "frame_sampling_rate or a longer video."
        )
    return frames


class VideoClassificationPipeline(MediaPipeline):
    """Classify video clips with a video-classification head (VideoMAE)."""

    task = "video-classification"

    def __call__(self, inputs: Any = None, **options: Any) -> Any:
        videos = options.pop("videos", None)
        if videos is not None:
            inputs = videos
        if inputs is None:
            raise PipelineError(
                "The video-classification pipeline needs videos: pipe(path_or_paths)."
            )
        return super().__call__(inputs, **options)

    def _is_single(self, inputs: Any) -> bool:
        return not isinstance(inputs, (list, tuple))

    def _sanitize_parameters(
        self,
        top_k: int | None = None,
        num_frames: int | None = None,
        frame_sampling_rate: int | None = None,
        function_to_apply: str | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre: dict[str, Any] = {}
        for name, value in (
            ("num_frames", num_frames),
            ("frame_sampling_rate", frame_sampling_rate),
        ):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise PipelineError(f"{name} must be a positive int, got {value!r}.")
                pre[name] = value
        post: dict[str, Any] = {}
        if top_k is not None:
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
                raise PipelineError(f"top_k must be a positive int, got {top_k!r}.")
            post["top_k"] = top_k
        if function_to_apply is not None:
            if function_to_apply not in _FUNCTIONS:
                raise PipelineError(
                    f"function_to_apply must be one of {', '.join(_FUNCTIONS)}, got "
                    f"{function_to_apply!r}."
                )
            post["function_to_apply"] = function_to_apply
        return pre, {}, post

    def preprocess(
        self, item: Any, num_frames: int | None = None, frame_sampling_rate: int = 1
    ) -> dict:
        num_frames = num_frames or self.config.num_frames
        frames = read_frames(item, num_frames, frame_sampling_rate)
        (pixels,) = self.image_processor(frames)["pixel_values"]
        return {"pixel_values": pixels}

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs)["logits"]}

    def postprocess(
        self, chunks: list[dict], top_k: int = 5, function_to_apply: str = "softmax"
    ) -> list[dict]:
        logits = chunks[0]["logits"]
        scores = {"softmax": logits.softmax(-1), "sigmoid": logits.sigmoid()}.get(
            function_to_apply, logits
        )
        values, ids = scores.topk(min(top_k, self.config.num_labels))
        id2label = self.config.id2label
        return [
            {"score": score, "label": id2label[index]}
            for score, index in zip(values.tolist(), ids.tolist())
        ]


__all__ = ["VideoClassificationPipeline", "read_frames"]
