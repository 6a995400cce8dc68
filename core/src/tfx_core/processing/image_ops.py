"""Image operations on numpy arrays in channels-last layout, with Pillow for decoding and resizing.

Each step computes what the reference's image processors compute, in the same dtypes and order
(resize through Pillow on uint8 pixels; rescale in float64 then float32; normalize in float32),
so pixel values agree with theirs exactly.
"""

from __future__ import annotations

import os
from math import ceil
from typing import Any

import numpy as np

from tfx_core.errors import ProcessorError

#: Pillow's resampling filters by their integer codes (the values `preprocessor_config.json` uses).
RESAMPLING_NAMES = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


def _pil() -> Any:
    try:
        import PIL.Image
        import PIL.ImageOps
    except ImportError as exc:
        raise ProcessorError(
            "Image processing needs Pillow: pip install Pillow (or tfx-core[vision])."
        ) from exc
    return PIL


def is_pil_image(image: Any) -> bool:
    return type(image).__module__.startswith("PIL.")


def load_image(image: Any) -> Any:
    """A PIL image in RGB from a local path or a PIL image (EXIF orientation applied)."""
    pil = _pil()
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if path.startswith(("http://", "https://")):
            raise ProcessorError(
                f"tfx does not download images: {path!r} is a URL. Download it and pass the "
                "local path, or pass a PIL image."
            )
        if not os.path.isfile(path):
            raise ProcessorError(f"No image file at {path!r}: pass an existing path or an image.")
        try:
            image = pil.Image.open(path)
            image.load()
        except Exception as exc:  # Pillow raises several types for unreadable files
            raise ProcessorError(f"Cannot read {path!r} as an image: {exc}.") from exc
    elif not is_pil_image(image):
        raise ProcessorError(f"Expected an image path or a PIL image, got {type(image).__name__}.")
    image = pil.ImageOps.exif_transpose(image)
    return image.convert("RGB")


def convert_rgb(image: Any) -> Any:
    """PIL images in another mode (L, RGBA, P, ...) become RGB; arrays pass through."""
    if is_pil_image(image) and image.mode != "RGB":
        return image.convert("RGB")
    return image


def to_array(image: Any) -> np.ndarray:
    """A numpy array for a PIL image, a numpy array or a CPU tensor."""
    if is_pil_image(image):
        return np.array(image)
    if isinstance(image, np.ndarray):
        return image
    if hasattr(image, "detach") and hasattr(image, "numpy"):
        return image.detach().cpu().numpy()
    raise ProcessorError(
        f"Cannot read an image of type {type(image).__name__}: pass a PIL image, a numpy array "
        "(height, width, channels) or (channels, height, width), or a local path."
    )


def to_channels_last(array: np.ndarray, layout: str | None = None) -> np.ndarray:
    """`array` as (height, width, channels); `layout` "channels_first"/"channels_last" or inferred.

    A 2-D array is one grey channel. Inference follows the reference: a first axis of 1 or 3 means
    channels first, else a last axis of 1 or 3 means channels last.
    """
    if array.ndim == 2:
        return array[:, :, None]
    if array.ndim != 3:
        raise ProcessorError(
            f"An image must have 2 or 3 dimensions, got shape {tuple(array.shape)}; pass a batch "
            "as a list of images."
        )
    if layout is None:
        if array.shape[0] in (1, 3):
            layout = "channels_first"
        elif array.shape[-1] in (1, 3):
            layout = "channels_last"
        else:
            raise ProcessorError(
                f"Cannot tell the channel axis of an image of shape {tuple(array.shape)}: pass "
                "input_data_format='channels_first' or 'channels_last'."
            )
    if layout == "channels_first":
        return np.transpose(array, (1, 2, 0))
    if layout == "channels_last":
        return array
    raise ProcessorError(
        f"input_data_format must be 'channels_first' or 'channels_last', got {layout!r}."
    )


def rescale(image: np.ndarray, scale: float, dtype: Any = np.float32) -> np.ndarray:
    """`image * scale`, computed in float64 and stored as `dtype`."""
    return (image.astype(np.float64) * scale).astype(dtype)


def _needs_unit_rescale(image: np.ndarray) -> bool:
    """Whether a float image holds values in [0, 1] (to be scaled to 0..255 for Pillow)."""
    if image.dtype == np.uint8:
        return False
    if np.allclose(image, image.astype(int)):
        if image.min() >= 0 and image.max() <= 255:
            return False
        raise ProcessorError(
            f"Image values must lie in [0, 255] (or [0, 1] for floats); got "
            f"[{image.min()}, {image.max()}]."
        )
    if image.min() >= 0 and image.max() <= 1:
        return True
    raise ProcessorError(
        f"Float image values must lie in [0, 1] (or be whole numbers in [0, 255]); got "
        f"[{image.min()}, {image.max()}]."
    )


def resize(image: np.ndarray, height: int, width: int, resample: int) -> np.ndarray:
    """Resize a channels-last image with Pillow's `resample` filter (by its integer code)."""
    pil = _pil()
    unit = _needs_unit_rescale(image)
    pixels = rescale(image, 255) if unit else image
    pixels = pixels.astype(np.uint8)
    squeezed = pixels[:, :, 0] if pixels.shape[-1] == 1 else pixels
    resized = np.array(
        pil.Image.fromarray(squeezed).resize(
            (width, height), resample=pil.Image.Resampling(resample)
        )
    )
    if resized.ndim == 2:
        resized = resized[:, :, None]
    return rescale(resized, 1 / 255) if unit else resized


def shortest_edge_size(
    height: int, width: int, shortest_edge: int, longest_edge: int | None = None
) -> tuple[int, int]:
    """(height, width) with the shorter side `shortest_edge`, keeping the aspect ratio."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    if longest_edge is not None and new_long > longest_edge:
        new_short, new_long = int(longest_edge * new_short / new_long), longest_edge
    return (new_long, new_short) if width <= height else (new_short, new_long)


def center_crop(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """The central `height` x `width` region; an image smaller than that is zero-padded."""
    rows, cols = image.shape[:2]
    top, left = (rows - height) // 2, (cols - width) // 2
    if top >= 0 and left >= 0:
        return image[top : top + height, left : left + width]
    padded_rows, padded_cols = max(height, rows), max(width, cols)
    canvas = np.zeros((padded_rows, padded_cols, image.shape[2]), dtype=image.dtype)
    pad_top, pad_left = ceil((padded_rows - rows) / 2), ceil((padded_cols - cols) / 2)
    canvas[pad_top : pad_top + rows, pad_left : pad_left + cols] = image
    top, left = top + pad_top, left + pad_left
    return canvas[
        max(0, top) : min(padded_rows, top + height), max(0, left) : min(padded_cols, left + width)
    ]


def normalize(image: np.ndarray, mean: Any, std: Any) -> np.ndarray:
    """(image - mean) / std per channel, in the image's float dtype (float32 for integers)."""
    if not np.issubdtype(image.dtype, np.floating):
        image = image.astype(np.float32)
    channels = image.shape[-1]
    mean_values = list(mean) if isinstance(mean, (list, tuple)) else [mean] * channels
    std_values = list(std) if isinstance(std, (list, tuple)) else [std] * channels
    if len(mean_values) != channels or len(std_values) != channels:
        raise ProcessorError(
            f"image_mean and image_std need one value per channel ({channels}), got "
            f"{len(mean_values)} and {len(std_values)}. Convert the image to RGB "
            "(do_convert_rgb=True) or set matching image_mean/image_std."
        )
    return (image - np.array(mean_values, dtype=image.dtype)) / np.array(
        std_values, dtype=image.dtype
    )
