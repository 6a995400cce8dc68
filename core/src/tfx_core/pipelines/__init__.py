"""Pipelines: `pipeline(task, model=...)` and the `Pipeline` base, one module per task.

Names resolve lazily, so the plugin registry can read `tasks` without importing the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "pipeline": "tfx_core.pipelines.factory",
    "Pipeline": "tfx_core.pipelines.base",
    "TextClassificationPipeline": "tfx_core.pipelines.text_classification",
    "TokenClassificationPipeline": "tfx_core.pipelines.token_classification",
    "NerPipeline": "tfx_core.pipelines.token_classification",
    "QuestionAnsweringPipeline": "tfx_core.pipelines.question_answering",
    "FillMaskPipeline": "tfx_core.pipelines.fill_mask",
    "FeatureExtractionPipeline": "tfx_core.pipelines.feature_extraction",
    "SentenceEmbeddingPipeline": "tfx_core.pipelines.sentence_embedding",
    "TextGenerationPipeline": "tfx_core.pipelines.text_generation",
    "ZeroShotClassificationPipeline": "tfx_core.pipelines.zero_shot_classification",
    "ImageClassificationPipeline": "tfx_core.pipelines.image_classification",
    "ZeroShotImageClassificationPipeline": "tfx_core.pipelines.zero_shot_image_classification",
    "ImageFeatureExtractionPipeline": "tfx_core.pipelines.image_feature_extraction",
    "AutomaticSpeechRecognitionPipeline": "tfx_core.pipelines.automatic_speech_recognition",
    "AudioClassificationPipeline": "tfx_core.pipelines.audio_classification",
    "ImageToTextPipeline": "tfx_core.pipelines.image_to_text",
    "DocumentQuestionAnsweringPipeline": "tfx_core.pipelines.document_question_answering",
    "ObjectDetectionPipeline": "tfx_core.pipelines.object_detection",
    "ImageSegmentationPipeline": "tfx_core.pipelines.image_segmentation",
    "DepthEstimationPipeline": "tfx_core.pipelines.depth_estimation",
    "VideoClassificationPipeline": "tfx_core.pipelines.video_classification",
    "VisualQuestionAnsweringPipeline": "tfx_core.pipelines.visual_question_answering",
    "Text2TextGenerationPipeline": "tfx_core.pipelines.text2text_generation",
    "SummarizationPipeline": "tfx_core.pipelines.text2text_generation",
    "TranslationPipeline": "tfx_core.pipelines.text2text_generation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tfx_core.pipelines' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from tfx_core.pipelines.base import Pipeline as Pipeline
    from tfx_core.pipelines.factory import pipeline as pipeline
