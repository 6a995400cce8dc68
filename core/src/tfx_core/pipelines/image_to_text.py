"""`image-to-text`: caption images with a vision encoder-decoder model's `generate`.

Inputs: a local path, a PIL image or an array (or a list of them; `images=` is accepted too).
Each image gives `[{"generated_text": ...}]`, one record per returned sequence, decoded without
special tokens. As in the reference, generation uses `max_new_tokens=256` unless the checkpoint's
generation config says otherwise; `max_new_tokens=` and `generate_kwargs={...}` override it.
"""

from __future__ import annotations

import copy
from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.image_classification import read_image
from tfx_core.pipelines.media import MediaPipeline

#: The reference's pipeline default, used where the checkpoint's generation config is silent.
DEFAULT_GENERATION = {"max_new_tokens": 256}
_GLOBAL_MAX_LENGTH = 20


class ImageToTextPipeline(MediaPipeline):
    """Generate a caption for each image (`captioner("photo.png")`)."""

    task = "image-to-text"
    needs_tokenizer = True
    model_input_pads = {"pixel_values": None}

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        config = kwargs.get("config") or getattr(model, "config", None)
        if not getattr(config, "is_encoder_decoder", False) or not hasattr(model, "generate"):
            raise PipelineError(
                f"The image-to-text pipeline needs an image-to-text model that generates "
                f"(VisionEncoderDecoderModel, AutoModelForVision2Seq); got "
                f"{type(model).__name__}."
            )
        self.generation_config = pipeline_generation_config(model, DEFAULT_GENERATION)
        super().__init__(model, tokenizer, **kwargs)
        pad = getattr(tokenizer, "pad_token_id", None)
        if self.generation_config.pad_token_id is None and pad is not None:
            self.generation_config.pad_token_id = pad

    def __call__(self, inputs: Any = None, **options: Any) -> Any:
        images = options.pop("images", None)
        if images is not None:
            inputs = images
        if inputs is None:
            raise PipelineError("The image-to-text pipeline needs images: pipe(image_or_images).")
        return super().__call__(inputs, **options)

    def _sanitize_parameters(
        self,
        max_new_tokens: int | None = None,
        generate_kwargs: dict | None = None,
        prompt: str | None = None,
        timeout: float | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        if prompt is not None:
            raise PipelineError(
                f"A {self.config.model_type} model captions images without a text prompt; for "
                "prompted generation use the image-text-to-text task with a model that takes one."
            )
        forward: dict[str, Any] = {}
        if max_new_tokens is not None:
            forward["max_new_tokens"] = max_new_tokens
        if generate_kwargs is not None:
            if max_new_tokens is not None and "max_new_tokens" in generate_kwargs:
                raise PipelineError(
                    "max_new_tokens is given both as an argument and in generate_kwargs: pass it "
                    "once."
                )
            forward.update(generate_kwargs)
        return {}, forward, {}

    def preprocess(self, item: Any) -> dict:
        (pixels,) = self.image_processor(read_image(item))["pixel_values"]
        return {"pixel_values": pixels}

    def _forward(self, model_inputs: dict[str, Any], **generate_kwargs: Any) -> dict[str, Any]:
        generate_kwargs.setdefault("generation_config", self.generation_config)
        pixels = model_inputs["pixel_values"]
        output = self.model.generate(pixels, **generate_kwargs)
        sequences = getattr(output, "sequences", output)
        return {"output_ids": sequences.reshape(pixels.shape[0], -1, sequences.shape[-1])}

    def postprocess(self, chunks: list[dict]) -> list[dict]:
        return [
            {"generated_text": self.encoder.decode(ids.tolist(), skip_special_tokens=True)}
            for ids in chunks[0]["output_ids"]
        ]


def pipeline_generation_config(model: Any, defaults: dict[str, Any]) -> Any:
    """The generation config a generating pipeline uses: the pipeline's `defaults` where the
    checkpoint's own generation config keeps the global default, and a checkpoint-chosen
    `max_length` beating the pipeline's `max_new_tokens` (the reference's order)."""
    from tfx_core.generation import GenerationConfig

    generation = GenerationConfig(**defaults)
    blank = GenerationConfig()
    own = getattr(model, "generation_config", None)
    for key, value in getattr(own, "__dict__", {}).items():
        if key.startswith("_") or key == "transformers_version":
            continue
        default = getattr(blank, key, None)
        if getattr(generation, key, None) == default and value != default:
            setattr(generation, key, copy.deepcopy(value))
    if (
        "max_new_tokens" in defaults
        and generation.max_new_tokens == defaults["max_new_tokens"]
        and generation.max_length not in (None, _GLOBAL_MAX_LENGTH)
    ):
        generation.max_new_tokens = None
    return generation


__all__ = ["ImageToTextPipeline", "pipeline_generation_config"]
