"""The kit's inputs per modality, and its checks catching what a vision or speech head gets
wrong: the reference's output class, the generation checks on log-mel features, sub-configs
compared field by field."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from tfx_sdk.conformance import checks_model
from tfx_sdk.conformance.checks_reference import _differs
from tfx_sdk.conformance.checks_seq2seq import check_seq2seq_model
from tfx_sdk.conformance.failures import ConformanceFailure
from tfx_sdk.conformance.heads import Shapes, shape_matches
from tfx_sdk.conformance.inputs import generation_source, in_dtype, model_inputs
from tfx_sdk.conformance.parity import perturb
from tfx_sdk.conformance.subject import Subject
from tfx_sdk.conformance.tester import MODALITIES, PluginTester

SHAPES = Shapes(batch=2, length=7, choices=3)


def _config(**fields):
    base = dict(vocab_size=50, pad_token_id=0, bos_token_id=None, eos_token_id=2)
    return SimpleNamespace(**{**base, **fields})


@pytest.mark.parametrize(
    "modality, config, expected",
    [
        ("text", _config(), {"input_ids": (2, 7), "attention_mask": (2, 7)}),
        ("image", _config(image_size=12, num_channels=1), {"pixel_values": (2, 1, 12, 12)}),
        (
            "video",
            _config(image_size=(8, 10), num_frames=3),
            {"pixel_values": (2, 3, 3, 8, 10)},
        ),
        ("audio", _config(), {"input_values": (2, 400), "attention_mask": (2, 400)}),
        (
            "speech-features",
            _config(input_feat_per_channel=6, input_channels=2),
            {"input_features": (2, 20, 12), "attention_mask": (2, 20)},
        ),
        (
            "text+image",
            _config(text_config=_config(vocab_size=9), vision_config=_config(image_size=4)),
            {"input_ids": (2, 7), "attention_mask": (2, 7), "pixel_values": (2, 3, 4, 4)},
        ),
    ],
)
def test_inputs_per_modality(modality, config, expected) -> None:
    made = model_inputs(modality, "base", config, SHAPES, 0, audio_length=400, feature_frames=20)
    assert {key: tuple(value.shape) for key, value in made.items()} == expected
    again = model_inputs(modality, "base", config, SHAPES, 0, audio_length=400, feature_frames=20)
    assert all(torch.equal(made[key], again[key]) for key in made)  # seeded
    if "attention_mask" in made:  # the last row is padded, the first is not
        mask = made["attention_mask"]
        assert bool(mask[0].all()) and not bool(mask[-1].all())
    if modality == "text+image":
        assert int(made["input_ids"].max()) < 9  # the text tower's vocabulary


def test_speech_features_of_an_encoder_decoder_bring_decoder_ids() -> None:
    config = _config(input_feat_per_channel=4, is_encoder_decoder=True, decoder_start_token_id=2)
    made = model_inputs("speech-features", "base", config, SHAPES, 0, feature_frames=16)
    assert made["decoder_input_ids"].shape == (2, 7)
    assert made["decoder_input_ids"][:, 0].tolist() == [2, 2]
    assert set(generation_source(made)) == {"input_features", "attention_mask"}
    cast = in_dtype(made, torch.float64)
    assert cast["input_features"].dtype == torch.float64
    assert cast["attention_mask"].dtype == torch.long


def test_modalities_are_validated() -> None:
    config = _config(text_config=_config(), vision_config=_config(image_size=4))
    for modality in MODALITIES:  # every modality the tester accepts has a builder
        assert model_inputs(modality, "base", config, SHAPES, 0)
    with pytest.raises(ValueError, match="unknown modality 'sound'"):
        model_inputs("sound", "base", config, SHAPES, 0)
    with pytest.raises(ValueError, match="modality='sound'"):
        PluginTester(model_type="x", modality="sound")
    with pytest.raises(ValueError, match="head_modality\\['ctc'\\]='wave'"):
        PluginTester(model_type="x", modality="audio", head_modality={"ctc": "wave"})
    tester = PluginTester(
        model_type="x", modality="text+image", head_modality={"image-classification": "image"}
    )
    assert tester.modality_of("image-classification") == "image"
    assert tester.modality_of("base") == "text+image"


def test_shapes_with_wildcards() -> None:
    assert shape_matches((2, 5, 8), (2, None, 8))
    assert shape_matches((2, 8, 4, 4), (2, ...))
    assert not shape_matches((2, 5), (2, None, 8))
    assert not shape_matches((3, 5, 8), (2, None, 8))


def test_sub_configs_are_compared_field_by_field() -> None:
    ours = {"hidden_size": 8, "transformers_version": "x", "only_ours": 1}
    assert not _differs(ours, SimpleNamespace(hidden_size=8, to_dict=dict))
    assert _differs(ours, SimpleNamespace(hidden_size=16, to_dict=dict))
    assert not _differs(ours, {"hidden_size": 8, "transformers_version": "y"})


VIT = {
    "hidden_size": 16,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 24,
    "image_size": 16,
    "patch_size": 8,
    "num_labels": 3,
}


def test_an_image_classifier_with_the_text_output_class_fails(monkeypatch) -> None:
    pytest.importorskip("tfx_plugin_vit")
    from tfx_plugin_vit import modeling_vit

    from tfx_core.modeling.outputs import SequenceClassifierOutput

    subject = Subject(PluginTester(model_type="vit", config=VIT, modality="image"))
    checks_model.check_forward(subject, "image-classification", "pt")
    monkeypatch.setattr(
        modeling_vit.ViTForImageClassification, "output_class", SequenceClassifierOutput
    )
    with pytest.raises(ConformanceFailure, match="ImageClassifierOutput"):
        checks_model.check_forward(subject, "image-classification", "pt")


SPEECH = {
    "vocab_size": 40,
    "d_model": 16,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 24,
    "decoder_ffn_dim": 24,
    "conv_channels": 8,
    "input_feat_per_channel": 8,
}


def test_generation_checks_on_features_catch_ignored_encoder_outputs() -> None:
    pytest.importorskip("tfx_plugin_speech_to_text")
    tester = PluginTester(model_type="speech_to_text", config=SPEECH, modality="speech-features")
    subject = Subject(tester)
    model = subject.build("speech-seq2seq")
    perturb(model, 0, scale=0.5)  # as the kit's check does: tokens then depend on the source
    source = generation_source(subject.inputs("speech-seq2seq", model.config))
    mask = source.pop("attention_mask")
    check_seq2seq_model(model, source, mask, steps=3)

    generate = model.generate

    def replacing_encoder_outputs(*args, encoder_outputs=None, **kwargs):
        if encoder_outputs is not None:  # decodes each row from the other row's states
            states = encoder_outputs.last_hidden_state
            encoder_outputs.last_hidden_state = states.flip(0)
        return generate(*args, encoder_outputs=encoder_outputs, **kwargs)

    model.generate = replacing_encoder_outputs
    with pytest.raises(ConformanceFailure, match="encoder_outputs"):
        check_seq2seq_model(model, source, mask, steps=3)
