"""ViLT against transformers: both classes with padded images (pixel_mask) and padded questions
(loss too), weights both ways, and the image processor.

The reference shuffles image patches at random; tfx keeps them in order, which attention does
not see: pooled outputs, logits and the text positions' states are compared.
"""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_vilt import modeling_vilt as ours
from tfx_plugin_vilt.processing_vilt import ViltImageProcessor

from tfx_core import AutoImageProcessor
from tfx_core.errors import ConfigError, ProcessorError

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    image_size=32,
    patch_size=8,
    max_position_embeddings=20,
    num_labels=6,
)
TEXT = 7


def _inputs(labels=False):
    generator = torch.Generator().manual_seed(2)
    ids = torch.randint(5, 99, (2, TEXT), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    pixel_mask = torch.ones(2, 48, 40, dtype=torch.long)
    pixel_mask[1, 32:] = 0
    pixel_mask[1, :, 24:] = 0
    inputs = {
        "input_ids": ids,
        "attention_mask": mask,
        "pixel_values": torch.randn(2, 3, 48, 40, generator=generator),
        "pixel_mask": pixel_mask,
    }
    if labels:
        inputs["labels"] = torch.rand(2, 6, generator=generator)
    return inputs


def _reference(cls, tmp_path):
    config = transformers.ViltConfig(**TINY)
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    model = cls(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    model.save_pretrained(tmp_path / "hf")
    return model


def test_question_answering_matches_the_reference(tmp_path):
    reference = _reference(transformers.ViltForQuestionAnswering, tmp_path)
    model = ours.ViltForQuestionAnswering.from_pretrained(tmp_path / "hf", strict=True)
    options = {"output_hidden_states": True}
    with torch.no_grad():
        expected = reference(**_inputs(labels=True), **options)
        got = model(**_inputs(labels=True), **options)
    assert (got.logits - expected.logits).abs().max() <= 1e-5
    assert abs(got.loss.item() - expected.loss.item()) <= 1e-5
    for a, b in zip(got.hidden_states, expected.hidden_states):
        assert a.shape == b.shape and (a[:, :TEXT] - b[:, :TEXT]).abs().max() <= 1e-5
    model.save_pretrained(tmp_path / "tfx")
    back = transformers.ViltForQuestionAnswering.from_pretrained(tmp_path / "tfx").eval()
    with torch.no_grad():
        assert torch.allclose(back(**_inputs()).logits, expected.logits, atol=1e-5)


def test_base_model_matches_the_reference(tmp_path):
    reference = _reference(transformers.ViltModel, tmp_path)
    model = ours.ViltModel.from_pretrained(tmp_path / "hf", strict=True)
    with torch.no_grad():
        expected, got = reference(**_inputs()), model(**_inputs())
    assert (got.pooler_output - expected.pooler_output).abs().max() <= 1e-5
    text_states = got.last_hidden_state[:, :TEXT] - expected.last_hidden_state[:, :TEXT]
    assert text_states.abs().max() <= 1e-5


def test_image_processor_matches_the_reference(tmp_path):
    reference = transformers.ViltImageProcessor(size={"shortest_edge": 48})
    reference.save_pretrained(tmp_path)
    processor = AutoImageProcessor.from_pretrained(tmp_path)
    assert isinstance(processor, ViltImageProcessor)
    rng = np.random.default_rng(0)
    images = [
        PIL.Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for h, w in [(40, 60), (33, 25), (50, 70)]
    ]
    for batch in (images[0], images):
        expected = reference(batch, return_tensors="np")
        got = processor(batch, return_tensors="np")
        for key in ("pixel_values", "pixel_mask"):
            assert np.array_equal(got[key], expected[key])


def test_bad_inputs_are_refused():
    with pytest.raises(ConfigError, match="max_image_length"):
        ours.ViltModel(ours.ViltConfig(**TINY, max_image_length=40))
    model = ours.ViltModel(ours.ViltConfig(**TINY))
    with pytest.raises(ConfigError, match="at most 20"):
        model(input_ids=torch.ones(1, 21, dtype=torch.long), pixel_values=torch.zeros(1, 3, 32, 32))
    with pytest.raises(ConfigError, match="inputs_embeds"):
        model(inputs_embeds=torch.zeros(1, 2, 32))
    with pytest.raises(ProcessorError, match="lose a side"):
        ViltImageProcessor(size={"shortest_edge": 32})(PIL.Image.new("RGB", (100, 20)))
