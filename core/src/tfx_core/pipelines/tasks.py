"""The tasks tfx ships, declared as `TaskSpec`s and served through the core's own plugin.

Default checkpoints are the reference library's own (same repositories, same pinned commits), so
a Hub cache filled by either library serves both. `heads` lists, in order of preference, the
model heads that can serve a task; `pipeline()` picks the first one the checkpoint provides.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tfx_core.plugins.specs import TaskSpec

_MODULE = "tfx_core.pipelines"

#: Model head key -> the task a bare `pipeline(model=...)` runs for it.
TASK_FOR_HEAD = {
    "sequence-classification": "text-classification",
    "token-classification": "token-classification",
    "question-answering": "question-answering",
    "masked-lm": "fill-mask",
    "causal-lm": "text-generation",
    "seq2seq-lm": "text2text-generation",
    "base": "feature-extraction",
    "image-classification": "image-classification",
    "zero-shot-image-classification": "zero-shot-image-classification",
    "ctc": "automatic-speech-recognition",
    "speech-seq2seq": "automatic-speech-recognition",
    "audio-classification": "audio-classification",
    "vision2seq": "image-to-text",
    "object-detection": "object-detection",
    "semantic-segmentation": "image-segmentation",
    "depth-estimation": "depth-estimation",
    "video-classification": "video-classification",
    "visual-question-answering": "visual-question-answering",
}


def builtin_tasks() -> list[TaskSpec]:
    """Every task of the core, with its aliases, heads and pinned default checkpoint."""
    return [
        TaskSpec(
            name="text-classification",
            pipeline_class=f"{_MODULE}.text_classification:TextClassificationPipeline",
            heads=("sequence-classification",),
            aliases=("sentiment-analysis",),
            default_model="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
            default_revision="714eb0f",
            description="label a text (or a text pair) with the model's classes",
        ),
        TaskSpec(
            name="token-classification",
            pipeline_class=f"{_MODULE}.token_classification:TokenClassificationPipeline",
            heads=("token-classification",),
            aliases=("ner",),
            default_model="dbmdz/bert-large-cased-finetuned-conll03-english",
            default_revision="4c53496",
            description="label each token or word (named entities, part of speech)",
        ),
        TaskSpec(
            name="question-answering",
            pipeline_class=f"{_MODULE}.question_answering:QuestionAnsweringPipeline",
            heads=("question-answering",),
            default_model="distilbert/distilbert-base-cased-distilled-squad",
            default_revision="564e9b5",
            description="extract the answer to a question from a context",
        ),
        TaskSpec(
            name="fill-mask",
            pipeline_class=f"{_MODULE}.fill_mask:FillMaskPipeline",
            heads=("masked-lm",),
            default_model="distilbert/distilroberta-base",
            default_revision="fb53ab8",
            description="predict the tokens hidden behind mask tokens",
        ),
        TaskSpec(
            name="feature-extraction",
            pipeline_class=f"{_MODULE}.feature_extraction:FeatureExtractionPipeline",
            heads=("base",),
            default_model="distilbert/distilbert-base-cased",
            default_revision="6ea8117",
            description="the model's last hidden states, one vector per token",
        ),
        TaskSpec(
            name="sentence-embedding",
            pipeline_class=f"{_MODULE}.sentence_embedding:SentenceEmbeddingPipeline",
            heads=("base",),
            default_model="sentence-transformers/all-MiniLM-L6-v2",
            default_revision="c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
            description="one pooled, normalised vector per text (sentence-transformers layout)",
        ),
        TaskSpec(
            name="text-generation",
            pipeline_class=f"{_MODULE}.text_generation:TextGenerationPipeline",
            heads=("causal-lm",),
            default_model="openai-community/gpt2",
            default_revision="607a30d",
            description="continue a prompt or a chat",
        ),
        TaskSpec(
            name="text2text-generation",
            pipeline_class=f"{_MODULE}.text2text_generation:Text2TextGenerationPipeline",
            heads=("seq2seq-lm",),
            default_model="google-t5/t5-base",
            default_revision="a9723ea",
            description="generate a text from a text with an encoder-decoder model",
        ),
        TaskSpec(
            name="summarization",
            pipeline_class=f"{_MODULE}.text2text_generation:SummarizationPipeline",
            heads=("seq2seq-lm",),
            default_model="sshleifer/distilbart-cnn-12-6",
            default_revision="a4f8f3e",
            description="summarize documents with an encoder-decoder model",
        ),
        TaskSpec(
            name="translation",
            pipeline_class=f"{_MODULE}.text2text_generation:TranslationPipeline",
            heads=("seq2seq-lm",),
            description="translate (name the pair: translation_en_to_fr, or src_lang/tgt_lang)",
        ),
        TaskSpec(
            name="zero-shot-classification",
            pipeline_class=f"{_MODULE}.zero_shot_classification:ZeroShotClassificationPipeline",
            heads=("sequence-classification",),
            default_model="facebook/bart-large-mnli",
            default_revision="d7645e1",
            description="classify into labels chosen at call time, through an NLI model",
        ),
        TaskSpec(
            name="image-classification",
            pipeline_class=f"{_MODULE}.image_classification:ImageClassificationPipeline",
            heads=("image-classification", "image-classification-with-teacher"),
            default_model="google/vit-base-patch16-224",
            default_revision="3f49326",
            description="label an image with the model's classes",
        ),
        TaskSpec(
            name="zero-shot-image-classification",
            pipeline_class=(
                f"{_MODULE}.zero_shot_image_classification:ZeroShotImageClassificationPipeline"
            ),
            heads=("zero-shot-image-classification",),
            default_model="openai/clip-vit-base-patch32",
            default_revision="3d74acf",
            description="rank labels chosen at call time for an image (CLIP-style models)",
        ),
        TaskSpec(
            name="image-feature-extraction",
            pipeline_class=f"{_MODULE}.image_feature_extraction:ImageFeatureExtractionPipeline",
            heads=("base",),
            default_model="google/vit-base-patch16-224",
            default_revision="3f49326",
            description="an image's hidden states (or pooled vector)",
        ),
        TaskSpec(
            name="automatic-speech-recognition",
            pipeline_class=(
                f"{_MODULE}.automatic_speech_recognition:AutomaticSpeechRecognitionPipeline"
            ),
            heads=("ctc", "speech-seq2seq"),
            default_model="facebook/wav2vec2-base-960h",
            default_revision="22aad52",
            description="transcribe speech (CTC models, long audio in strided chunks; "
            "speech encoder-decoders such as Speech2Text)",
        ),
        TaskSpec(
            name="audio-classification",
            pipeline_class=f"{_MODULE}.audio_classification:AudioClassificationPipeline",
            heads=("audio-classification",),
            default_model="superb/wav2vec2-base-superb-ks",
            default_revision="372e048",
            description="label an audio clip with the model's classes",
        ),
        TaskSpec(
            name="image-to-text",
            pipeline_class=f"{_MODULE}.image_to_text:ImageToTextPipeline",
            heads=("vision2seq",),
            default_model="ydshieh/vit-gpt2-coco-en",
            default_revision="5bebf1e",
            description="caption an image (vision encoder-decoder models)",
        ),
        TaskSpec(
            name="document-question-answering",
            pipeline_class=(
                f"{_MODULE}.document_question_answering:DocumentQuestionAnsweringPipeline"
            ),
            heads=("question-answering",),
            default_model="impira/layoutlm-document-qa",
            default_revision="beed3c4",
            description="answer a question from a document's words and boxes (LayoutLM)",
        ),
        TaskSpec(
            name="object-detection",
            pipeline_class=f"{_MODULE}.object_detection:ObjectDetectionPipeline",
            heads=("object-detection",),  # no default: the reference's (DETR) is not ported
            description="labelled boxes around the objects in an image (YOLOS)",
        ),
        TaskSpec(
            name="image-segmentation",
            pipeline_class=f"{_MODULE}.image_segmentation:ImageSegmentationPipeline",
            heads=("semantic-segmentation",),  # no default: the reference's (DETR) is not ported
            description="a mask per class found in an image (SegFormer)",
        ),
        TaskSpec(
            name="depth-estimation",
            pipeline_class=f"{_MODULE}.depth_estimation:DepthEstimationPipeline",
            heads=("depth-estimation",),  # no default: the reference's (DPT) is not ported
            description="the depth of every pixel of an image (GLPN)",
        ),
        TaskSpec(
            name="video-classification",
            pipeline_class=f"{_MODULE}.video_classification:VideoClassificationPipeline",
            heads=("video-classification",),
            default_model="MCG-NJU/videomae-base-finetuned-kinetics",
            default_revision="488eb9a",
            description="label a video clip with the model's classes (VideoMAE; needs av)",
        ),
        TaskSpec(
            name="visual-question-answering",
            pipeline_class=(f"{_MODULE}.visual_question_answering:VisualQuestionAnsweringPipeline"),
            heads=("visual-question-answering",),
            aliases=("vqa",),
            default_model="dandelin/vilt-b32-finetuned-vqa",
            default_revision="d0a1f6a",
            description="answer a question about an image (ViLT)",
        ),
    ]


#: Language pairs whose `translation_xx_to_yy` task has a default checkpoint (the reference's).
TRANSLATION_DEFAULTS = {
    ("en", "fr"): ("google-t5/t5-base", "a9723ea"),
    ("en", "de"): ("google-t5/t5-base", "a9723ea"),
    ("en", "ro"): ("google-t5/t5-base", "a9723ea"),
}


def resolve_task(registry: Any, name: str) -> TaskSpec:
    """The spec of task `name`; `translation_xx_to_yy` is the translation task under that name
    (the pipeline reads the languages from it), with the reference's default for the pair."""
    parts = name.split("_") if isinstance(name, str) else ()
    if len(parts) != 4 or parts[0] != "translation" or parts[2] != "to":
        return registry.task(name)
    model, revision = TRANSLATION_DEFAULTS.get((parts[1], parts[3]), (None, None))
    spec = registry.task("translation")
    return replace(spec, name=name, aliases=(), default_model=model, default_revision=revision)
