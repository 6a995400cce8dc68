"""Image and audio pipelines: option checks and clear errors (model parity lives in the plugins)."""

import itertools

import numpy as np
import pytest
import torch
import transformers

from tfx_core import pipeline
from tfx_core.errors import PipelineError, ProcessorError
from tfx_core.pipelines.automatic_speech_recognition import chunk_windows, scaled_stride
from tfx_core.processing import ImageProcessor, WaveformFeatureExtractor

VIT = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20)


@pytest.fixture(scope="module")
def classifier():
    torch.manual_seed(0)
    config = transformers.ViTConfig(**VIT, image_size=16, patch_size=8, num_labels=3)
    model = transformers.ViTForImageClassification(config).eval()
    return pipeline("image-classification", model=model, image_processor=ImageProcessor(size=16))


def test_image_options_are_checked(classifier, tmp_path):
    image = np.zeros((20, 20, 3), dtype=np.uint8)
    assert len(classifier(image, top_k=10)) == 3  # at most the number of labels
    assert [len(r) for r in classifier([image, image], top_k=2)] == [2, 2]
    raw = classifier(image, function_to_apply="none")
    assert abs(sum(r["score"] for r in classifier(image)) - 1) < 1e-5
    assert abs(sum(r["score"] for r in raw) - 1) > 1e-3  # logits, not probabilities
    with pytest.raises(PipelineError, match="top_k"):
        classifier(image, top_k=0)
    with pytest.raises(PipelineError, match="function_to_apply"):
        classifier(image, function_to_apply="relu")
    with pytest.raises(PipelineError, match="Unknown option"):
        classifier(image, candidate_labels=["a"])
    with pytest.raises(ProcessorError, match="No image file"):
        classifier(str(tmp_path / "missing.jpg"))


def test_a_loaded_model_needs_its_processor():
    model = transformers.ViTForImageClassification(
        transformers.ViTConfig(**VIT, image_size=16, patch_size=8)
    )
    with pytest.raises(PipelineError, match="image_processor"):
        pipeline("image-classification", model=model)


def test_speech_recognition_errors():
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(
        vocab_size=8,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=20,
        conv_dim=(8, 8),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2,
    )
    model = transformers.Wav2Vec2ForCTC(config).eval()
    with pytest.raises(PipelineError, match="tokenizer"):
        pipeline(
            "automatic-speech-recognition",
            model=model,
            feature_extractor=WaveformFeatureExtractor(),
        )
    from tokenizers import Tokenizer, models

    from tfx_core.tokenization import Tokenizer as TfxTokenizer

    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "A": 5, "B": 6, "C": 7}
    tokenizer = TfxTokenizer(
        Tokenizer(models.WordLevel(vocab, unk_token="<unk>")), pad_token="<pad>"
    )
    asr = pipeline(
        "automatic-speech-recognition",
        model=model,
        tokenizer=tokenizer,
        feature_extractor=WaveformFeatureExtractor(),
    )
    clip = np.zeros(4000, dtype=np.float32)
    assert isinstance(asr(clip)["text"], str)
    with pytest.raises(PipelineError, match="longer than the two strides"):
        asr(clip, chunk_length_s=0.1, stride_length_s=0.1)
    with pytest.raises(PipelineError, match="return_timestamps"):
        asr(clip, return_timestamps=True)
    with pytest.raises(ProcessorError, match="sampling_rate"):
        asr({"array": clip})


def test_chunk_windows_cover_the_audio_with_strides():
    windows = chunk_windows(10_000, chunk=4000, left=500, right=500)
    assert windows[0] == (0, 4000, 0, 500)
    assert windows[-1][1] == 10_000 and windows[-1][3] == 0
    assert all(b[0] - a[0] == 3000 for a, b in itertools.pairwise(windows))
    assert scaled_stride((4000, 500, 500), 1 / 320) == (12, 2, 2)
