"""`Speech2TextFeatureExtractor` and `Speech2TextProcessor` under the names checkpoints record."""

from tfx_core.processing import Processor
from tfx_core.processing.log_mel import LogMelFeatureExtractor


class Speech2TextFeatureExtractor(LogMelFeatureExtractor):
    """16 kHz waveforms -> 80 Kaldi log-mel filter banks per 10 ms frame, normalised per
    utterance (the core recipe with Speech2Text's defaults)."""


class Speech2TextProcessor(Processor):
    """The feature extractor and the sentencepiece tokenizer: audio in, `input_features`;
    text, `labels`; `batch_decode` turns generated ids back into text."""
