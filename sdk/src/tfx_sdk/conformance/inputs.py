"""Dummy model inputs per modality (`PluginTester.modality`).

Each builder is seeded, so two calls give the same tensors; where a mask is given, the last
row ends in padding, so the checks also see a padded example. Composite configs (CLIP's
`text_config` / `vision_config`) give each modality its own tower's sizes.
"""

from __future__ import annotations

from typing import Any

from tfx_sdk.conformance.heads import Shapes, dummy_inputs, image_size, token_ids
from tfx_sdk.conformance.tester import MODALITIES


def tower(config: Any, name: str) -> Any:
    """The sub-config `name` of a composite config, else the config itself."""
    part = getattr(config, name, None)
    return config if part is None else part


def dummy_pixels(config: Any, shapes: Shapes, seed: int) -> dict:
    """`pixel_values` of the config's channels and image size, values about those of
    normalized images."""
    import torch

    height, width = image_size(config)
    channels = int(getattr(config, "num_channels", 3))
    generator = torch.Generator().manual_seed(seed)
    shape = (shapes.batch, channels, height, width)
    return {"pixel_values": torch.randn(shape, generator=generator)}


def dummy_video(config: Any, shapes: Shapes, seed: int) -> dict:
    """`pixel_values` of `num_frames` normalized frames per clip: `[batch, frames, channels,
    height, width]`, as video processors return them."""
    import torch

    height, width = image_size(config)
    channels = int(getattr(config, "num_channels", 3))
    frames = int(getattr(config, "num_frames", 4))
    generator = torch.Generator().manual_seed(seed)
    shape = (shapes.batch, frames, channels, height, width)
    return {"pixel_values": torch.randn(shape, generator=generator)}


def dummy_audio(shapes: Shapes, length: int, seed: int, *, padded: bool = True) -> dict:
    """`input_values` (normalized waveforms of `length` samples) and their `attention_mask`;
    the last one ends in a quarter of silence marked as padding."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    values = torch.randn((shapes.batch, length), generator=generator)
    mask = torch.ones((shapes.batch, length), dtype=torch.long)
    if padded and shapes.batch > 1:
        mask[-1, -length // 4 :] = 0
        values[-1, -length // 4 :] = 0.0
    return {"input_values": values, "attention_mask": mask}


def dummy_features(
    config: Any, shapes: Shapes, frames: int, seed: int, *, padded: bool = True
) -> dict:
    """`input_features` (`frames` log-mel frames of `input_feat_per_channel x input_channels`
    values, as Speech2Text's feature extractor gives them) and their `attention_mask`, the last
    row's final quarter padded with zeros; encoder-decoders also get `decoder_input_ids` of
    `seq_length` tokens behind the decoder start token."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    width = int(getattr(config, "input_feat_per_channel", 80)) * int(
        getattr(config, "input_channels", 1)
    )
    features = torch.randn((shapes.batch, frames, width), generator=generator)
    mask = torch.ones((shapes.batch, frames), dtype=torch.long)
    if padded and shapes.batch > 1:
        mask[-1, -frames // 4 :] = 0
        features[-1, -frames // 4 :] = 0.0
    inputs = {"input_features": features, "attention_mask": mask}
    if getattr(config, "is_encoder_decoder", False):
        decoder_input_ids = token_ids(config, (shapes.batch, shapes.length), generator)
        start = getattr(config, "decoder_start_token_id", None)
        decoder_input_ids[:, 0] = config.eos_token_id if start is None else start
        inputs["decoder_input_ids"] = decoder_input_ids
    return inputs


def model_inputs(
    modality: str,
    head: str,
    config: Any,
    shapes: Shapes,
    seed: int,
    *,
    padded: bool = True,
    audio_length: int = 1600,
    feature_frames: int = 24,
) -> dict:
    """The dummy inputs of `head` for a model reading `modality`."""
    text = tower(config, "text_config")
    vision = tower(config, "vision_config")
    if modality == "text":
        return dummy_inputs(head, text, shapes, seed, padded=padded)
    if modality == "image":
        return dummy_pixels(vision, shapes, seed)
    if modality == "video":
        return dummy_video(vision, shapes, seed)
    if modality == "audio":
        return dummy_audio(shapes, audio_length, seed, padded=padded)
    if modality == "speech-features":
        return dummy_features(config, shapes, feature_frames, seed, padded=padded)
    if modality == "text+image":
        pixels = dummy_pixels(vision, shapes, seed + 1)
        return {**dummy_inputs(head, text, shapes, seed, padded=padded), **pixels}
    raise ValueError(f"unknown modality {modality!r}: expected one of {', '.join(MODALITIES)}")


def generation_source(inputs: dict) -> dict:
    """What `generate` reads of a head's inputs: the encoder's (or prompt's) inputs, not the
    decoder ids or labels the forward checks pass."""
    return {k: v for k, v in inputs.items() if not k.startswith("decoder_") and k != "labels"}


def in_dtype(inputs: dict, dtype: Any) -> dict:
    """`inputs` with their floating tensors (pixels, waveforms, features) cast to `dtype`, as a
    processor's output is before a model in that dtype reads it."""
    import torch

    return {
        key: value.to(dtype) if torch.is_tensor(value) and value.is_floating_point() else value
        for key, value in inputs.items()
    }
