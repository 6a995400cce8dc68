"""GLPN against transformers: both classes on several image sizes (the loss too), weights both
ways, the image processor and its depth post-processing."""

import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_glpn import modeling_glpn as ours
from tfx_plugin_glpn.processing_glpn import GLPNImageProcessor

from tfx_core import AutoImageProcessor
from tfx_core.errors import ConfigError, ProcessorError

TINY = dict(
    num_encoder_blocks=2,
    depths=[1, 2],
    sr_ratios=[4, 1],
    hidden_sizes=[16, 32],
    patch_sizes=[7, 3],
    strides=[4, 2],
    num_attention_heads=[1, 2],
    mlp_ratios=[2, 2],
    decoder_hidden_size=24,
)


def _inputs(height, width, labels=False):
    generator = torch.Generator().manual_seed(2)
    inputs = {"pixel_values": torch.randn(2, 3, height, width, generator=generator)}
    if labels:
        depth = torch.rand(2, height, width, generator=generator) * 5
        depth[:, :2] = 0  # unknown depths are left out of the loss
        inputs["labels"] = depth
    return inputs


@pytest.mark.parametrize("size", [(32, 64), (64, 32)])
def test_depth_estimation_matches_the_reference(check_parity, size):
    config = transformers.GLPNConfig(**TINY)
    check_parity(
        ours.GLPNForDepthEstimation,
        transformers.GLPNForDepthEstimation,
        config,
        _inputs(*size, labels=True),
        ("predicted_depth", "loss", "hidden_states", "attentions"),
    )


def test_base_model_matches_the_reference(check_parity):
    config = transformers.GLPNConfig(**TINY)
    check_parity(
        ours.GLPNModel,
        transformers.GLPNModel,
        config,
        _inputs(48, 40),
        ("last_hidden_state", "hidden_states", "attentions"),
    )


def test_image_processor_and_post_processing_match_the_reference(tmp_path):
    reference = transformers.GLPNImageProcessor(size_divisor=16)
    reference.save_pretrained(tmp_path)
    processor = AutoImageProcessor.from_pretrained(tmp_path)
    assert isinstance(processor, GLPNImageProcessor)
    rng = np.random.default_rng(0)
    for height, width in [(40, 60), (33, 25), (64, 48)]:
        image = PIL.Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        expected = reference(image, return_tensors="np")["pixel_values"]
        assert np.array_equal(processor(image, return_tensors="np")["pixel_values"], expected)
    depth = torch.rand(2, 8, 12, generator=torch.Generator().manual_seed(3))
    outputs = transformers.modeling_outputs.DepthEstimatorOutput(predicted_depth=depth)
    for sizes in ([(40, 60), (33, 25)], None):
        want = reference.post_process_depth_estimation(outputs, sizes)
        got = processor.post_process_depth_estimation({"predicted_depth": depth}, sizes)
        assert all(
            torch.equal(a["predicted_depth"], b["predicted_depth"]) for a, b in zip(got, want)
        )


def test_bad_inputs_are_refused():
    with pytest.raises(ConfigError, match="one value per stage"):
        ours.GLPNModel(ours.GLPNConfig(**{**TINY, "strides": [4]}))
    model = ours.GLPNForDepthEstimation(ours.GLPNConfig(**TINY))
    with pytest.raises(ConfigError, match=r"pixel_values must be \[batch, 3"):
        model(pixel_values=torch.randn(1, 1, 32, 32))
    with pytest.raises(ConfigError, match="shaped like predicted_depth"):
        model(**_inputs(32, 32), labels=torch.ones(2, 16, 16))
    with pytest.raises(ProcessorError, match="size_divisor"):
        GLPNImageProcessor(size_divisor=0)
    with pytest.raises(ProcessorError, match="smaller than size_divisor"):
        GLPNImageProcessor()(PIL.Image.new("RGB", (20, 64)))


def test_the_plugin_depends_on_no_other_plugin():
    """The Mix Transformer encoder comes from the core, not from tfx-plugin-segformer."""
    code = (
        "import sys, tfx_plugin_glpn.modeling_glpn as m; "
        "assert m.GLPNModel.encoder_class.__module__.startswith('tfx_core.'); "
        "print(sorted(n for n in sys.modules if n.startswith('tfx_plugin_')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert (
        loaded.strip() == "['tfx_plugin_glpn', 'tfx_plugin_glpn.configuration_glpn', "
        "'tfx_plugin_glpn.modeling_glpn']"
    )
