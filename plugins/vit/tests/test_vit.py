"""ViT against transformers: every head, weights moved both ways, processor and pipelines."""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_vit.modeling_vit import (
    ViTForImageClassification,
    ViTForMaskedImageModeling,
    ViTModel,
)
from tfx_plugin_vit.processing_vit import ViTImageProcessor

from tfx_core import AutoImageProcessor, AutoModelForImageClassification, pipeline
from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.fast_paths import fast_paths

TINY = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    image_size=32,
    patch_size=8,
    encoder_stride=8,
    num_labels=5,
)


def _pixels(batch=2, size=32):
    return {
        "pixel_values": torch.randn(
            batch, 3, size, size, generator=torch.Generator().manual_seed(2)
        )
    }


@pytest.mark.parametrize(
    "ours, theirs, outputs",
    [
        (
            ViTModel,
            transformers.ViTModel,
            ("last_hidden_state", "pooler_output", "hidden_states", "attentions"),
        ),
        (
            ViTForImageClassification,
            transformers.ViTForImageClassification,
            ("logits", "hidden_states"),
        ),
    ],
)
def test_heads_match_the_reference(check_parity, ours, theirs, outputs):
    check_parity(ours, theirs, transformers.ViTConfig(**TINY), _pixels(), outputs)


def test_masked_image_modeling_and_its_loss(check_parity):
    mask = torch.zeros(2, 16, dtype=torch.bool)
    mask[:, ::3] = True
    inputs = {**_pixels(), "bool_masked_pos": mask}
    check_parity(
        ViTForMaskedImageModeling,
        transformers.ViTForMaskedImageModeling,
        transformers.ViTConfig(**TINY),
        inputs,
        ("reconstruction", "loss"),
    )


def test_interpolated_positions_and_qkv_without_bias(check_parity):
    config = transformers.ViTConfig(**{**TINY, "qkv_bias": False})
    inputs = {**_pixels(size=48), "interpolate_pos_encoding": True}
    check_parity(ViTModel, transformers.ViTModel, config, inputs, ("last_hidden_state",))


def test_classifier_computes_only_the_class_token_in_the_last_layer(checkpoint):
    folder, reference = checkpoint
    model = ViTForImageClassification.from_pretrained(folder)
    shapes = []
    model.vit.layernorm.register_forward_hook(  # sees the last layer's output
        lambda module, args, out: shapes.append(tuple(out.shape))
    )
    pixels = _pixels()
    with torch.inference_mode():
        expected = reference(**pixels).logits
        pruned = model(**pixels).logits
        full = model(**pixels, output_hidden_states=True)
        with fast_paths(False):
            unpruned = model(**pixels).logits
        handle = model.vit.encoder.layer[-1].output.dense.register_forward_hook(
            lambda module, args, out: shapes.append(tuple(out.shape))
        )
        hooked = model(**pixels).logits  # a hook in the last layer sees every position
        handle.remove()
    assert shapes == [(2, 1, 32), (2, 17, 32), (2, 17, 32), (2, 17, 32), (2, 17, 32)]
    for logits in (pruned, full.logits, unpruned, hooked):
        assert torch.allclose(logits, expected, atol=1e-5)
    assert full.hidden_states[-1].shape == (2, 17, 32)


def test_wrong_image_size_is_a_clear_error():
    model = ViTModel(ViTModel.config_class(**TINY)).eval()
    with pytest.raises(ConfigError, match="interpolate_pos_encoding"):
        model(**_pixels(size=40))
    with pytest.raises(ConfigError, match="pixel_values must be"):
        model(pixel_values=torch.zeros(1, 1, 32, 32))


@pytest.fixture
def checkpoint(tmp_path):
    """A tiny ViT classifier saved by transformers with its image processor."""
    torch.manual_seed(0)
    config = transformers.ViTConfig(**TINY, id2label={i: f"class_{i}" for i in range(5)})
    model = transformers.ViTForImageClassification(config).eval()
    model.save_pretrained(tmp_path)
    transformers.ViTImageProcessor(size=32).save_pretrained(tmp_path)
    return tmp_path, model


def _images():
    rng = np.random.default_rng(0)
    return [
        PIL.Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for h, w in [(40, 60), (33, 25), (32, 32)]
    ]


def _same(got, expected):
    """Same structure, labels and order; scores equal to float32 rounding (the models differ in
    the last bits: fused projections, another attention kernel)."""
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for a, b in zip(got, expected):
            _same(a, b)
        return
    assert list(got) == list(expected) and got["label"] == expected["label"]
    assert abs(got["score"] - expected["score"]) <= 1e-6


def test_auto_classes_and_pipeline_match_the_reference(checkpoint):
    folder, reference = checkpoint
    processor = AutoImageProcessor.from_pretrained(folder)
    assert isinstance(processor, ViTImageProcessor)
    model = AutoModelForImageClassification.from_pretrained(folder)
    assert isinstance(model, ViTForImageClassification)
    images = _images()
    ours = pipeline("image-classification", model=str(folder))
    theirs = transformers.pipeline(
        "image-classification",
        model=reference,
        image_processor=transformers.ViTImageProcessor(size=32),
    )
    _same(ours(images, top_k=3), theirs(images, top_k=3))
    _same(ours(images[0], batch_size=2), theirs(images[0]))
    inferred = pipeline(model=str(folder))  # the task follows from the checkpoint's head
    assert inferred.task == "image-classification"
    features = pipeline("image-feature-extraction", model=str(folder))(images[0])
    base = transformers.ViTModel.from_pretrained(folder).eval()
    expected = transformers.pipeline(
        "image-feature-extraction",
        model=base,
        image_processor=transformers.ViTImageProcessor(size=32),
    )(images[0])
    assert np.abs(np.array(features) - np.array(expected)).max() <= 1e-5
