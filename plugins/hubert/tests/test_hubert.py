"""HuBERT against transformers: every head, both layer layouts, weights both ways, ASR pipeline."""

import json

import numpy as np
import pytest
import torch
import transformers
from tfx_plugin_hubert.modeling_hubert import (
    HubertForCTC,
    HubertForSequenceClassification,
    HubertModel,
)

from tfx_core import AutoFeatureExtractor, pipeline
from tfx_core.processing import WaveformFeatureExtractor

TINY = dict(
    vocab_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    conv_dim=(16, 16),
    conv_stride=(5, 4),
    conv_kernel=(10, 8),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=4,
    classifier_proj_size=12,
    num_labels=3,
)
STABLE = {"do_stable_layer_norm": True, "feat_extract_norm": "layer", "feat_proj_layer_norm": False}


def _audio():
    values = torch.randn(2, 1600, generator=torch.Generator().manual_seed(3))
    mask = torch.ones(2, 1600, dtype=torch.long)
    mask[1, 1200:] = 0
    return {"input_values": values, "attention_mask": mask}


@pytest.mark.parametrize(
    "ours, theirs, outputs, extra",
    [
        (
            HubertModel,
            transformers.HubertModel,
            ("last_hidden_state", "hidden_states", "attentions"),
            {},
        ),
        (HubertModel, transformers.HubertModel, ("last_hidden_state", "hidden_states"), STABLE),
        (HubertForCTC, transformers.HubertForCTC, ("logits",), STABLE),
        (
            HubertForSequenceClassification,
            transformers.HubertForSequenceClassification,
            ("logits",),
            {},
        ),
    ],
)
def test_heads_match_the_reference(check_parity, ours, theirs, outputs, extra):
    check_parity(ours, theirs, transformers.HubertConfig(**TINY, **extra), _audio(), outputs)


def test_speech_recognition_pipeline(tmp_path):
    vocab = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ABCDEFGHIJK"]
    (tmp_path / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(vocab)}))
    tokenizer = transformers.Wav2Vec2CTCTokenizer(str(tmp_path / "vocab.json"))
    extractor = transformers.Wav2Vec2FeatureExtractor()
    transformers.Wav2Vec2Processor(extractor, tokenizer).save_pretrained(tmp_path)
    torch.manual_seed(0)
    model = transformers.HubertForCTC(transformers.HubertConfig(**TINY)).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(20)
    model.save_pretrained(tmp_path)
    assert isinstance(AutoFeatureExtractor.from_pretrained(tmp_path), WaveformFeatureExtractor)
    clip = (np.sin(np.arange(16000) / 16000 * 2 * np.pi * 180) * 0.3).astype(np.float32)
    clip += 0.02 * np.random.default_rng(0).standard_normal(clip.size).astype(np.float32)
    got = pipeline("automatic-speech-recognition", model=str(tmp_path))(clip, chunk_length_s=0.5)
    expected = transformers.pipeline(
        "automatic-speech-recognition",
        model=model,
        tokenizer=tokenizer,
        feature_extractor=extractor,
    )(clip.copy(), chunk_length_s=0.5)
    assert got == expected and expected["text"]


@pytest.mark.parametrize("extra", [{}, STABLE])
def test_positional_convolution_as_spectra_matches_the_reference(check_parity, extra):
    """A kernel of 32 taps over 78 frames: the positional convolution runs through FFTs."""
    config = transformers.HubertConfig(**{**TINY, "num_conv_pos_embeddings": 32}, **extra)
    ours, _ = check_parity(
        HubertForCTC, transformers.HubertForCTC, config, _audio(), ("logits", "hidden_states")
    )
    with torch.no_grad():
        assert ours.hubert.encoder.pos_conv_embed._spectral(torch.zeros(2, 78, 32))
