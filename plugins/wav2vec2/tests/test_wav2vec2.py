"""Wav2Vec2 against transformers: every head and both layer layouts, weights both ways, losses."""

import numpy as np
import pytest
import torch
import transformers
from tfx_plugin_wav2vec2.modeling_wav2vec2 import (
    Wav2Vec2ForAudioFrameClassification,
    Wav2Vec2ForCTC,
    Wav2Vec2ForSequenceClassification,
    Wav2Vec2ForXVector,
    Wav2Vec2Model,
)

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
VARIANTS = {
    "base": {},
    "stable-layer-norm": {
        "do_stable_layer_norm": True,
        "feat_extract_norm": "layer",
        "conv_bias": True,
    },
}


def _audio(padded=True):
    generator = torch.Generator().manual_seed(3)
    values = torch.randn(2, 1600, generator=generator)
    mask = torch.ones(2, 1600, dtype=torch.long)
    if padded:
        mask[1, 1100:] = 0
        values[1, 1100:] = 0.0
    return {"input_values": values, "attention_mask": mask}


BASE_OUTPUTS = ("last_hidden_state", "extract_features", "hidden_states", "attentions")


@pytest.mark.parametrize(
    "ours, theirs, outputs, variant",
    [
        (Wav2Vec2Model, transformers.Wav2Vec2Model, BASE_OUTPUTS, "base"),
        (Wav2Vec2Model, transformers.Wav2Vec2Model, BASE_OUTPUTS, "stable-layer-norm"),
        (
            Wav2Vec2ForCTC,
            transformers.Wav2Vec2ForCTC,
            ("logits", "hidden_states"),
            "stable-layer-norm",
        ),
        (
            Wav2Vec2ForSequenceClassification,
            transformers.Wav2Vec2ForSequenceClassification,
            ("logits",),
            "base",
        ),
        (
            Wav2Vec2ForAudioFrameClassification,
            transformers.Wav2Vec2ForAudioFrameClassification,
            ("logits",),
            "base",
        ),
    ],
)
def test_heads_match_the_reference(check_parity, ours, theirs, outputs, variant):
    config = transformers.Wav2Vec2Config(**TINY, **VARIANTS[variant])
    check_parity(ours, theirs, config, _audio(), outputs)


def test_unpadded_weighted_layer_sum_and_losses(check_parity):
    config = transformers.Wav2Vec2Config(**TINY, use_weighted_layer_sum=True)
    check_parity(
        Wav2Vec2ForSequenceClassification,
        transformers.Wav2Vec2ForSequenceClassification,
        config,
        {**_audio(padded=False), "labels": torch.tensor([0, 2])},
        ("logits", "loss"),
    )
    labels = torch.tensor([[3, 4, 5, -100], [6, 7, 8, 9]])
    check_parity(
        Wav2Vec2ForCTC,
        transformers.Wav2Vec2ForCTC,
        transformers.Wav2Vec2Config(**TINY),
        {**_audio(), "labels": labels},
        ("logits", "loss"),
        atol=1e-4,
    )


def test_masked_frames_use_the_learned_embedding(check_parity):
    mask = torch.zeros(2, 78, dtype=torch.bool)
    mask[:, 10:20] = True
    check_parity(
        Wav2Vec2Model,
        transformers.Wav2Vec2Model,
        transformers.Wav2Vec2Config(**TINY),
        {**_audio(), "mask_time_indices": mask},
        ("last_hidden_state",),
    )


def test_old_weight_norm_keys_load(tmp_path):
    """Hub checkpoints store the positional convolution as weight_g / weight_v."""
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    reference = transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**TINY)).eval()
    reference.save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    renamed = {
        key.replace("parametrizations.weight.original0", "weight_g").replace(
            "parametrizations.weight.original1", "weight_v"
        ): value
        for key, value in tensors.items()
    }
    assert any(key.endswith("weight_g") for key in renamed)
    save_file(renamed, tmp_path / "model.safetensors", metadata={"format": "pt"})
    ours = Wav2Vec2Model.from_pretrained(tmp_path, strict=True)
    inputs = _audio()
    with torch.no_grad():
        diff = (
            (ours(**inputs).last_hidden_state - reference(**inputs).last_hidden_state).abs().max()
        )
    assert diff <= 1e-5


@pytest.mark.parametrize("padded", [True, False])
def test_xvector_head_and_its_loss(check_parity, padded):
    config = transformers.Wav2Vec2Config(
        **TINY,
        tdnn_dim=(8, 8, 10),
        tdnn_kernel=(3, 3, 1),
        tdnn_dilation=(1, 2, 1),
        xvector_output_dim=6,
    )
    inputs = {**_audio(padded=padded), "labels": torch.tensor([0, 2])}
    check_parity(
        Wav2Vec2ForXVector,
        transformers.Wav2Vec2ForXVector,
        config,
        inputs,
        ("logits", "embeddings", "loss"),
        atol=1e-4,
    )


def test_pretraining_head_and_contrastive_loss(check_parity):
    from tfx_plugin_wav2vec2.pretraining_wav2vec2 import Wav2Vec2ForPreTraining
    from transformers.models.wav2vec2.modeling_wav2vec2 import (
        _compute_mask_indices,
        _sample_negative_indices,
    )

    config = transformers.Wav2Vec2Config(
        **TINY,
        num_codevectors_per_group=12,
        codevector_dim=8,
        proj_codevector_dim=6,
        num_negatives=5,
    )
    np.random.seed(0)
    mask = _compute_mask_indices((2, 78), mask_prob=0.3, mask_length=4, min_masks=2)
    negatives = _sample_negative_indices((2, 78), 5, mask_time_indices=mask)
    inputs = {
        **_audio(padded=False),
        "mask_time_indices": torch.from_numpy(mask),
        "sampled_negative_indices": torch.from_numpy(negatives),
    }
    outputs = ("projected_states", "projected_quantized_states", "codevector_perplexity", "loss")
    check_parity(
        Wav2Vec2ForPreTraining,
        transformers.Wav2Vec2ForPreTraining,
        config,
        inputs,
        outputs,
        atol=1e-4,
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize(("samples", "padded_from"), [(141, None), (241, None), (1603, 1100)])
def test_positional_convolution_as_spectra_matches_the_reference(
    check_parity, monkeypatch, variant, samples, padded_from
):
    """A kernel of 32 taps: from 8 frames on, the positional convolution runs through FFTs."""
    from tfx_core.modeling.torch.blocks import fft_conv

    calls = []
    spectral = fft_conv.spectral_conv
    monkeypatch.setattr(fft_conv, "spectral_conv", lambda *a: calls.append(1) or spectral(*a))
    config = transformers.Wav2Vec2Config(
        **{**TINY, "hidden_size": 64, "num_conv_pos_embeddings": 32}, **VARIANTS[variant]
    )
    values = torch.randn(2, samples, generator=torch.Generator().manual_seed(5))
    inputs = {"input_values": values}
    if padded_from is not None:
        values[1, padded_from:] = 0.0
        inputs["attention_mask"] = torch.arange(samples) < torch.tensor([[samples], [padded_from]])
        inputs["attention_mask"] = inputs["attention_mask"].long()
    check_parity(
        Wav2Vec2ForCTC, transformers.Wav2Vec2ForCTC, config, inputs, ("logits", "hidden_states")
    )
    frames = ((samples - 10) // 5 + 1 - 8) // 4 + 1  # 5, 10, 78
    assert bool(calls) == (frames >= 8)


def test_spectra_keep_padded_frames_exact(tmp_path):
    """Freshly initialised (zero biases): padded frames see a LayerNorm of an all-zero position
    vector, which would amplify FFT rounding noise a thousandfold; the FFT path must give the
    convolution's exact zeros there."""
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(**{**TINY, "num_conv_pos_embeddings": 32})
    reference = transformers.Wav2Vec2Model(config).eval()
    reference.save_pretrained(tmp_path)
    ours = Wav2Vec2Model.from_pretrained(tmp_path)
    inputs = _audio()
    with torch.no_grad():
        got, expected = ours(**inputs), reference(**inputs)
        assert ours.encoder.pos_conv_embed._spectral(got.last_hidden_state)
    diff = (got.last_hidden_state - expected.last_hidden_state).abs().max()
    assert diff <= 1e-5
