"""Image and audio preprocessing: image processors, feature extractors, processors, Auto classes.

Importing this package imports numpy only; Pillow, soundfile, soxr and torch are imported when a
step needs them.
"""

from __future__ import annotations

from tfx_core.processing.audio_io import as_waveform, read_audio, resample
from tfx_core.processing.auto import (
    AutoFeatureExtractor,
    AutoImageProcessor,
    AutoProcessor,
    resolve_preprocessor_class,
)
from tfx_core.processing.base import PREPROCESSOR_CONFIG, Preprocessor
from tfx_core.processing.feature_extractor import (
    SequenceFeatureExtractor,
    WaveformFeatureExtractor,
)
from tfx_core.processing.features import BatchFeature
from tfx_core.processing.image_ops import load_image
from tfx_core.processing.image_processor import ImageProcessor
from tfx_core.processing.processor import Processor

__all__ = [
    "PREPROCESSOR_CONFIG",
    "AutoFeatureExtractor",
    "AutoImageProcessor",
    "AutoProcessor",
    "BatchFeature",
    "ImageProcessor",
    "Preprocessor",
    "Processor",
    "SequenceFeatureExtractor",
    "WaveformFeatureExtractor",
    "as_waveform",
    "load_image",
    "read_audio",
    "resample",
    "resolve_preprocessor_class",
]
