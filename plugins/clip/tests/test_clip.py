"""CLIP against transformers: both towers, every head, features, pipeline, processors."""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_clip import modeling_clip as ours
from tfx_plugin_clip.configuration_clip import CLIPConfig
from tfx_plugin_clip.processing_clip import CLIPImageProcessor, CLIPProcessor

from tfx_core import AutoImageProcessor, AutoModel, AutoProcessor, pipeline

TEXT = dict(
    vocab_size=99,
    hidden_size=32,
    intermediate_size=37,
    num_hidden_layers=2,
    num_attention_heads=4,
    max_position_embeddings=20,
    projection_dim=16,
    eos_token_id=98,
)
VISION = dict(
    hidden_size=32,
    intermediate_size=37,
    num_hidden_layers=2,
    num_attention_heads=4,
    image_size=30,
    patch_size=10,
    projection_dim=16,
)


def _config(**extra):
    return transformers.CLIPConfig(
        text_config=TEXT, vision_config=VISION, projection_dim=16, **extra
    )


def _text():
    ids = torch.randint(3, 97, (3, 9), generator=torch.Generator().manual_seed(4))
    ids[:, 6] = 98
    mask = torch.ones_like(ids)
    mask[2, 7:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def _pixels(batch=2, size=30):
    return {
        "pixel_values": torch.randn(
            batch, 3, size, size, generator=torch.Generator().manual_seed(5)
        )
    }


@pytest.mark.parametrize(
    "name, inputs, outputs, config",
    [
        (
            "CLIPModel",
            {**_text(), **_pixels()},
            ("logits_per_image", "logits_per_text", "text_embeds", "image_embeds"),
            _config,
        ),
        (
            "CLIPTextModel",
            _text(),
            ("last_hidden_state", "pooler_output", "hidden_states", "attentions"),
            lambda: transformers.CLIPTextConfig(**TEXT),
        ),
        (
            "CLIPVisionModel",
            _pixels(),
            ("last_hidden_state", "pooler_output", "hidden_states", "attentions"),
            lambda: transformers.CLIPVisionConfig(**VISION),
        ),
        (
            "CLIPTextModelWithProjection",
            _text(),
            ("text_embeds", "last_hidden_state"),
            lambda: transformers.CLIPTextConfig(**TEXT),
        ),
        (
            "CLIPVisionModelWithProjection",
            _pixels(),
            ("image_embeds", "last_hidden_state"),
            lambda: transformers.CLIPVisionConfig(**VISION),
        ),
        (
            "CLIPForImageClassification",
            {**_pixels(), "labels": torch.tensor([1, 0])},
            ("logits", "loss"),
            lambda: _config(num_labels=3),
        ),
    ],
)
def test_heads_match_the_reference(check_parity, name, inputs, outputs, config):
    check_parity(getattr(ours, name), getattr(transformers, name), config(), inputs, outputs)


def test_features_loss_and_legacy_end_token(check_parity):
    inputs = {**_text(), **_pixels(batch=3), "return_loss": True}
    model, reference = check_parity(
        ours.CLIPModel, transformers.CLIPModel, _config(), inputs, ("loss",)
    )
    text, pixels = _text(), _pixels()
    with torch.no_grad():
        assert (
            model.get_text_features(**text) - reference.get_text_features(**text)
        ).abs().max() <= 1e-5
        assert (
            model.get_image_features(**pixels) - reference.get_image_features(**pixels)
        ).abs().max() <= 1e-5
    legacy = transformers.CLIPTextConfig(**{**TEXT, "eos_token_id": 2})  # pooled at argmax(ids)
    check_parity(
        ours.CLIPTextModel, transformers.CLIPTextModel, legacy, _text(), ("pooler_output",)
    )
    check_parity(
        ours.CLIPVisionModel,
        transformers.CLIPVisionModel,
        transformers.CLIPVisionConfig(**VISION),
        {**_pixels(size=40), "interpolate_pos_encoding": True},
        ("last_hidden_state",),
    )


def test_config_round_trip(tmp_path):
    _config().save_pretrained(tmp_path / "hf")
    config = CLIPConfig.from_pretrained(tmp_path / "hf")
    assert config.text_config.eos_token_id == 98 and config.vision_config.patch_size == 10
    config.save_pretrained(tmp_path / "tfx")
    back = transformers.CLIPConfig.from_pretrained(tmp_path / "tfx")
    assert back.text_config.hidden_size == 32 and back.vision_config.image_size == 30


@pytest.fixture
def checkpoint(tmp_path):
    """A tiny CLIP saved by transformers with a fast tokenizer and its image processor."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<pad>": 0, "<unk>": 1, "<|startoftext|>": 97, "<|endoftext|>": 98}
    for i, word in enumerate(["a", "photo", "of", "cat", "dog", "bird", "car"]):
        vocab[word] = 3 + i
    vocab.update({f"filler{i}": i for i in range(99) if i not in vocab.values()})
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        unk_token="<unk>",
        eos_token="<|endoftext|>",
        model_input_names=["input_ids", "attention_mask"],
    )
    processor = transformers.CLIPProcessor(
        transformers.CLIPImageProcessor(size=30, crop_size=30), fast
    )
    processor.save_pretrained(tmp_path)
    torch.manual_seed(0)
    model = transformers.CLIPModel(_config()).eval()
    model.save_pretrained(tmp_path)
    return tmp_path, model, processor


def test_zero_shot_pipeline_and_processors(checkpoint):
    folder, reference, processor = checkpoint
    assert isinstance(AutoImageProcessor.from_pretrained(folder), CLIPImageProcessor)
    assert isinstance(AutoProcessor.from_pretrained(folder), CLIPProcessor)
    assert isinstance(AutoModel.from_pretrained(folder), ours.CLIPModel)
    rng = np.random.default_rng(0)
    image = PIL.Image.fromarray(rng.integers(0, 256, (45, 60, 3), dtype=np.uint8))
    labels = ["cat", "dog", "bird", "car"]
    got = pipeline("zero-shot-image-classification", model=str(folder))(
        image, candidate_labels=labels
    )
    expected = transformers.pipeline(
        "zero-shot-image-classification",
        model=reference,
        tokenizer=processor.tokenizer,
        image_processor=processor.image_processor,
    )(image, candidate_labels=labels)
    assert [r["label"] for r in got] == [r["label"] for r in expected]
    assert np.allclose([r["score"] for r in got], [r["score"] for r in expected], atol=1e-6)


def test_image_features_compute_only_the_class_token_in_the_last_layer(monkeypatch, tmp_path):
    torch.manual_seed(0)
    reference = transformers.CLIPModel(_config()).eval()
    reference.save_pretrained(tmp_path)
    model = ours.CLIPModel.from_pretrained(tmp_path)
    lengths = []
    run_layers = ours.run_layers

    def spy(*args, **kwargs):
        out = run_layers(*args, **kwargs)
        lengths.append(out[0].shape[1])
        return out

    monkeypatch.setattr(ours, "run_layers", spy)
    pixels = _pixels()
    with torch.inference_mode():
        got = model.get_image_features(**pixels)
        expected = reference.get_image_features(**pixels)
    assert lengths == [1]
    assert torch.allclose(got, expected, atol=1e-5)
