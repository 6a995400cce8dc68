"""Image processors: pixel values equal to the reference's processors, files both ways, errors."""

import json

import numpy as np
import PIL.Image
import pytest
import transformers

from tfx_core.errors import ProcessorError
from tfx_core.processing import AutoImageProcessor, ImageProcessor, load_image
from tfx_core.processing.image_processor import (
    IMAGENET_DEFAULT_MEAN,
    IMAGENET_DEFAULT_STD,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
)


class ClipLike(ImageProcessor):
    size_default_to_square = False
    defaults = {
        **ImageProcessor.defaults,
        "do_convert_rgb": True,
        "size": {"shortest_edge": 224},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "image_mean": OPENAI_CLIP_MEAN,
        "image_std": OPENAI_CLIP_STD,
    }


def _images():
    rng = np.random.default_rng(0)
    pictures = [
        PIL.Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for h, w in [(40, 61), (333, 250), (224, 224)]
    ]
    gradient = np.linspace(0, 1, 48 * 64 * 3, dtype=np.float32).reshape(3, 48, 64)
    whole = rng.integers(0, 256, (20, 30, 3)).astype(np.float64)
    return [*pictures, gradient, whole]


CASES = [
    ("ViTImageProcessor", ImageProcessor, {}),
    ("ViTImageProcessor", ImageProcessor, {"size": {"height": 32, "width": 48}, "resample": 0}),
    (
        "DeiTImageProcessor",
        ImageProcessor,
        {
            "size": {"height": 256, "width": 256},
            "resample": 3,
            "do_center_crop": True,
            "crop_size": {"height": 224, "width": 224},
            "image_mean": IMAGENET_DEFAULT_MEAN,
            "image_std": IMAGENET_DEFAULT_STD,
        },
    ),
    ("CLIPImageProcessor", ClipLike, {}),
    ("CLIPImageProcessor", ClipLike, {"size": {"shortest_edge": 30}, "crop_size": 300}),
]


@pytest.mark.parametrize("reference_name, ours, settings", CASES)
def test_pixel_values_equal_the_reference(reference_name, ours, settings):
    reference = getattr(transformers, reference_name)(**settings)
    processor = ours(**settings)
    for image in _images():
        expected = reference(image, return_tensors="np")["pixel_values"]
        got = processor(image, return_tensors="np")["pixel_values"]
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)


def test_batches_paths_and_rgba(tmp_path):
    rng = np.random.default_rng(1)
    rgba = PIL.Image.fromarray(rng.integers(0, 256, (50, 40, 4), dtype=np.uint8), mode="RGBA")
    path = tmp_path / "picture.png"
    rgba.save(path)
    reference = transformers.CLIPImageProcessor()
    expected = reference([rgba, rgba.convert("RGB")], return_tensors="pt")["pixel_values"]
    got = ClipLike()([rgba, str(path)], return_tensors="pt")["pixel_values"]
    assert got.shape == (2, 3, 224, 224)
    assert (got[0] - expected[0]).abs().max() <= 1e-6
    assert (got[1] - expected[1]).abs().max() <= 1e-6
    assert load_image(path).mode == "RGB"


def test_files_load_in_both_libraries(tmp_path):
    ours = ImageProcessor(size={"height": 40, "width": 36}, resample=3)
    ours.save_pretrained(tmp_path / "tfx")
    saved = json.loads((tmp_path / "tfx" / "preprocessor_config.json").read_text())
    assert saved["image_processor_type"] == "ImageProcessor"
    image = _images()[1]
    theirs = transformers.ViTImageProcessor.from_pretrained(tmp_path / "tfx")
    np.testing.assert_array_equal(
        theirs(image, return_tensors="np")["pixel_values"],
        ours(image, return_tensors="np")["pixel_values"],
    )
    transformers.CLIPImageProcessor(crop_size=32, size=40).save_pretrained(tmp_path / "hf")
    loaded = AutoImageProcessor.from_pretrained(tmp_path / "hf")
    assert loaded.size == {"shortest_edge": 40} and loaded.crop_size == {"height": 32, "width": 32}
    reference = transformers.CLIPImageProcessor.from_pretrained(tmp_path / "hf")
    np.testing.assert_array_equal(
        loaded(image, return_tensors="np")["pixel_values"],
        reference(image, return_tensors="np")["pixel_values"],
    )
    assert (
        AutoImageProcessor.from_pretrained(tmp_path / "tfx", do_normalize=False).do_normalize
        is False
    )


@pytest.mark.parametrize(
    "settings, fragment",
    [
        ({"resample": 9}, "resample"),
        ({"size": {"depth": 3}}, "size"),
        ({"size": -1}, "size"),
        ({"do_center_crop": True}, "crop_size"),
    ],
)
def test_bad_settings_name_the_field(settings, fragment):
    with pytest.raises(ProcessorError, match=fragment):
        ImageProcessor(**settings)


def test_bad_inputs_are_clear(tmp_path):
    processor = ImageProcessor()
    with pytest.raises(ProcessorError, match="No image file"):
        processor(str(tmp_path / "missing.png"))
    with pytest.raises(ProcessorError, match="URL"):
        processor("https://example.com/cat.png")
    with pytest.raises(ProcessorError, match="channel axis"):
        processor(np.zeros((5, 7, 9), dtype=np.uint8))
    with pytest.raises(ProcessorError, match="one value per channel"):
        processor(np.zeros((8, 8), dtype=np.uint8))
    with pytest.raises(ProcessorError, match="Unknown image processor option"):
        processor(np.zeros((8, 8, 3), dtype=np.uint8), do_magic=True)
    (tmp_path / "broken.png").write_bytes(b"not an image")
    with pytest.raises(ProcessorError, match="Cannot read"):
        processor(str(tmp_path / "broken.png"))
    with pytest.raises(ProcessorError, match=r"preprocessor_config\.json"):
        AutoImageProcessor.from_pretrained(tmp_path)
    with pytest.raises(ProcessorError, match="different shapes"):
        processor.preprocess(
            [np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8)],
            do_resize=False,
            return_tensors="pt",
        )
