"""Speech pipelines and the CTC tokenizer on a tiny Wav2Vec2 checkpoint saved by transformers."""

import json

import numpy as np
import pytest
import soundfile
import torch
import transformers
from tfx_plugin_wav2vec2.processing_wav2vec2 import Wav2Vec2FeatureExtractor, Wav2Vec2Processor

from tfx_core import AutoFeatureExtractor, AutoProcessor, AutoTokenizer, pipeline
from tfx_core.pipelines.automatic_speech_recognition import ctc_decode

VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ABCDEFGHIJ'"]
TINY = dict(
    vocab_size=len(VOCAB),
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    conv_dim=(16, 16),
    conv_stride=(5, 4),
    conv_kernel=(10, 8),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=4,
    num_labels=4,
)


def _speech(seconds, rate=16000):
    t = np.arange(int(seconds * rate)) / rate
    voice = np.sin(2 * np.pi * (150 + 30 * np.sin(3 * t)) * t) * (0.5 + 0.5 * np.sin(5 * t))
    noise = np.random.default_rng(0).standard_normal(t.size)
    return (0.3 * voice + 0.02 * noise).astype(np.float32)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v")
    (folder / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(VOCAB)}))
    tokenizer = transformers.Wav2Vec2CTCTokenizer(str(folder / "vocab.json"))
    processor = transformers.Wav2Vec2Processor(transformers.Wav2Vec2FeatureExtractor(), tokenizer)
    processor.save_pretrained(folder)
    torch.manual_seed(0)
    model = transformers.Wav2Vec2ForCTC(transformers.Wav2Vec2Config(**TINY)).eval()
    with torch.no_grad():  # a sharper output distribution, so the transcript is not all blanks
        model.lm_head.weight.mul_(20)
    model.save_pretrained(folder)
    return folder, model, processor


def test_processor_and_tokenizer_match_the_reference(checkpoint):
    folder, _, reference = checkpoint
    processor = AutoProcessor.from_pretrained(folder)
    assert isinstance(processor, Wav2Vec2Processor)
    assert isinstance(AutoFeatureExtractor.from_pretrained(folder), Wav2Vec2FeatureExtractor)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    for text in ["ABC DEF", "J'AI", "A  B", "XYZ"]:
        assert tokenizer(text)["input_ids"] == reference.tokenizer(text)["input_ids"], text
    rng = np.random.default_rng(0)
    for _ in range(20):
        ids = rng.integers(0, len(VOCAB), 30).tolist()
        assert ctc_decode(tokenizer, ids) == reference.tokenizer.decode(ids), ids
    clip = _speech(0.5)
    ours = processor(audio=clip, text="ABC", sampling_rate=16000, return_tensors="pt")
    theirs = reference(audio=clip, text="ABC", sampling_rate=16000, return_tensors="pt")
    assert torch.equal(ours["input_values"], theirs["input_values"])
    assert ours["labels"].tolist() == theirs["labels"].tolist()


def test_speech_recognition_matches_the_reference(checkpoint, tmp_path):
    folder, model, reference = checkpoint
    ours = pipeline("automatic-speech-recognition", model=str(folder))
    theirs = transformers.pipeline(
        "automatic-speech-recognition",
        model=model,
        tokenizer=reference.tokenizer,
        feature_extractor=reference.feature_extractor,
    )
    clip = _speech(1.2)
    expected = theirs(clip.copy())
    assert expected["text"]  # the check below would be weak on an empty transcript
    assert ours(clip) == expected
    for options in (
        {"chunk_length_s": 0.5},
        {"chunk_length_s": 0.6, "stride_length_s": (0.1, 0.05)},
    ):
        assert ours(clip, **options) == theirs(clip.copy(), **options), options
    for unit in ("char", "word"):
        timed = theirs(clip.copy(), return_timestamps=unit)
        assert len(timed["chunks"]) > 1
        assert ours(clip, return_timestamps=unit) == timed, unit
    soundfile.write(tmp_path / "clip.wav", clip, 16000, subtype="FLOAT")
    assert ours(str(tmp_path / "clip.wav")) == expected
    assert ours({"array": clip, "sampling_rate": 16000}) == expected
    assert ours([clip, clip[:8000]], batch_size=1) == [expected, theirs(clip[:8000].copy())]


def test_audio_classification_matches_the_reference(tmp_path):
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(**TINY, id2label={i: f"word_{i}" for i in range(4)})
    model = transformers.Wav2Vec2ForSequenceClassification(config).eval()
    model.save_pretrained(tmp_path)
    transformers.Wav2Vec2FeatureExtractor().save_pretrained(tmp_path)
    ours = pipeline("audio-classification", model=str(tmp_path))
    theirs = transformers.pipeline(
        "audio-classification",
        model=model,
        feature_extractor=transformers.Wav2Vec2FeatureExtractor(),
    )
    clip = _speech(1.0)
    got, expected = ours(clip, top_k=3), theirs(clip.copy(), top_k=3)
    assert [r["label"] for r in got] == [r["label"] for r in expected]
    assert np.allclose([r["score"] for r in got], [r["score"] for r in expected], atol=1e-6)
