"""DeiT against transformers: every head (the distilled pair too), weights both ways, pipeline."""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_deit import modeling_deit as ours
from tfx_plugin_deit.processing_deit import DeiTImageProcessor

from tfx_core import AutoImageProcessor, pipeline

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


MASK = torch.zeros(2, 16, dtype=torch.bool)
MASK[:, ::3] = True


@pytest.mark.parametrize(
    "name, inputs, outputs",
    [
        (
            "DeiTModel",
            _pixels(),
            ("last_hidden_state", "pooler_output", "hidden_states", "attentions"),
        ),
        (
            "DeiTForImageClassification",
            {**_pixels(), "labels": torch.tensor([1, 4])},
            ("logits", "loss"),
        ),
        (
            "DeiTForImageClassificationWithTeacher",
            _pixels(),
            ("logits", "cls_logits", "distillation_logits"),
        ),
        (
            "DeiTForMaskedImageModeling",
            {**_pixels(), "bool_masked_pos": MASK},
            ("reconstruction", "loss"),
        ),
        (
            "DeiTModel",
            {**_pixels(size=48), "interpolate_pos_encoding": True},
            ("last_hidden_state",),
        ),
    ],
)
def test_heads_match_the_reference(check_parity, name, inputs, outputs):
    config = transformers.DeiTConfig(**TINY)
    check_parity(getattr(ours, name), getattr(transformers, name), config, inputs, outputs)


def test_distilled_checkpoint_in_the_image_classification_pipeline(tmp_path):
    torch.manual_seed(0)
    config = transformers.DeiTConfig(**TINY, id2label={i: f"class_{i}" for i in range(5)})
    model = transformers.DeiTForImageClassificationWithTeacher(config).eval()
    model.save_pretrained(tmp_path)
    reference_processor = transformers.DeiTImageProcessor(size=36, crop_size=32)
    reference_processor.save_pretrained(tmp_path)
    assert isinstance(AutoImageProcessor.from_pretrained(tmp_path), DeiTImageProcessor)
    image = PIL.Image.fromarray(
        np.random.default_rng(0).integers(0, 256, (50, 40, 3), dtype=np.uint8)
    )
    got = pipeline("image-classification", model=str(tmp_path))(image)
    expected = transformers.pipeline(
        "image-classification", model=model, image_processor=reference_processor
    )(image)
    assert [r["label"] for r in got] == [r["label"] for r in expected]
    assert np.allclose([r["score"] for r in got], [r["score"] for r in expected], atol=1e-6)


@pytest.mark.parametrize(
    "name, rows", [("DeiTForImageClassification", 1), ("DeiTForImageClassificationWithTeacher", 2)]
)
def test_heads_compute_only_their_tokens_in_the_last_layer(tmp_path, name, rows):
    torch.manual_seed(0)
    reference = getattr(transformers, name)(transformers.DeiTConfig(**TINY)).eval()
    reference.save_pretrained(tmp_path)
    model = getattr(ours, name).from_pretrained(tmp_path)
    shapes = []
    model.deit.layernorm.register_forward_hook(
        lambda module, args, out: shapes.append(out.shape[1])
    )
    with torch.inference_mode():
        expected = reference(**_pixels()).logits
        got = model(**_pixels()).logits
    assert shapes == [rows]
    assert torch.allclose(got, expected, atol=1e-5)
