"""`Wav2Vec2FeatureExtractor` and `Wav2Vec2Processor` under the names checkpoints record."""

from tfx_core.processing import Processor, WaveformFeatureExtractor


class Wav2Vec2FeatureExtractor(WaveformFeatureExtractor):
    """16 kHz waveforms, normalised per clip (the core recipe with Wav2Vec2's defaults)."""


class Wav2Vec2Processor(Processor):
    """The feature extractor and the CTC tokenizer: audio in, `input_values`; text, `labels`."""
