"""Text generation: `GenerationConfig`, `GenerationMixin.generate`, processors, streamers.

`GenerationConfig` and the streamers import no framework; everything that needs torch
(`GenerationMixin`, processors, stopping criteria, the decoding loops) is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tfx_core.generation.config import GENERATION_CONFIG_NAME, GenerationConfig
from tfx_core.generation.streamers import BaseStreamer, TextIteratorStreamer, TextStreamer

_LAZY: dict[str, str] = {
    "GenerationMixin": "tfx_core.generation.mixin",
    "GenerateDecoderOnlyOutput": "tfx_core.generation.outputs",
    "GenerateBeamDecoderOnlyOutput": "tfx_core.generation.outputs",
    "LogitsProcessor": "tfx_core.generation.processors",
    "LogitsProcessorList": "tfx_core.generation.processors",
    "TemperatureLogitsWarper": "tfx_core.generation.processors",
    "TopKLogitsWarper": "tfx_core.generation.processors",
    "TopPLogitsWarper": "tfx_core.generation.processors",
    "MinPLogitsWarper": "tfx_core.generation.processors",
    "RepetitionPenaltyLogitsProcessor": "tfx_core.generation.processors",
    "NoRepeatNGramLogitsProcessor": "tfx_core.generation.processors",
    "EncoderNoRepeatNGramLogitsProcessor": "tfx_core.generation.processors",
    "MinLengthLogitsProcessor": "tfx_core.generation.processors",
    "MinNewTokensLengthLogitsProcessor": "tfx_core.generation.processors",
    "ForcedBOSTokenLogitsProcessor": "tfx_core.generation.processors",
    "ForcedEOSTokenLogitsProcessor": "tfx_core.generation.processors",
    "SuppressTokensAtBeginLogitsProcessor": "tfx_core.generation.processors",
    "SuppressTokensLogitsProcessor": "tfx_core.generation.processors",
    "AlternatingCodebooksLogitsProcessor": "tfx_core.generation.processors_extra",
    "ClassifierFreeGuidanceLogitsProcessor": "tfx_core.generation.processors_extra",
    "EncoderRepetitionPenaltyLogitsProcessor": "tfx_core.generation.processors_extra",
    "EpsilonLogitsWarper": "tfx_core.generation.processors_extra",
    "EtaLogitsWarper": "tfx_core.generation.processors_extra",
    "ExponentialDecayLengthPenalty": "tfx_core.generation.processors_extra",
    "InfNanRemoveLogitsProcessor": "tfx_core.generation.processors_extra",
    "LogitNormalization": "tfx_core.generation.processors_extra",
    "NoBadWordsLogitsProcessor": "tfx_core.generation.processors_extra",
    "PrefixConstrainedLogitsProcessor": "tfx_core.generation.processors_extra",
    "SequenceBiasLogitsProcessor": "tfx_core.generation.processors_extra",
    "TypicalLogitsWarper": "tfx_core.generation.processors_extra",
    "UnbatchedClassifierFreeGuidanceLogitsProcessor": "tfx_core.generation.processors_extra",
    "MaxTimeCriteria": "tfx_core.generation.stopping",
    "ConfidenceCriteria": "tfx_core.generation.stopping",
    "WatermarkLogitsProcessor": "tfx_core.generation.watermark",
    "SynthIDTextWatermarkLogitsProcessor": "tfx_core.generation.synthid",
    "SynthIDTextWatermarkState": "tfx_core.generation.synthid",
    "WhisperTimeStampLogitsProcessor": "tfx_core.generation.whisper_timestamps",
    "StoppingCriteria": "tfx_core.generation.stopping",
    "StoppingCriteriaList": "tfx_core.generation.stopping",
    "MaxLengthCriteria": "tfx_core.generation.stopping",
    "EosTokenCriteria": "tfx_core.generation.stopping",
    "StopStringCriteria": "tfx_core.generation.stopping",
}

__all__ = [
    "GENERATION_CONFIG_NAME",
    "AlternatingCodebooksLogitsProcessor",
    "BaseStreamer",
    "ClassifierFreeGuidanceLogitsProcessor",
    "ConfidenceCriteria",
    "EncoderNoRepeatNGramLogitsProcessor",
    "EncoderRepetitionPenaltyLogitsProcessor",
    "EosTokenCriteria",
    "EpsilonLogitsWarper",
    "EtaLogitsWarper",
    "ExponentialDecayLengthPenalty",
    "ForcedBOSTokenLogitsProcessor",
    "ForcedEOSTokenLogitsProcessor",
    "GenerateBeamDecoderOnlyOutput",
    "GenerateDecoderOnlyOutput",
    "GenerationConfig",
    "GenerationMixin",
    "InfNanRemoveLogitsProcessor",
    "LogitNormalization",
    "LogitsProcessor",
    "LogitsProcessorList",
    "MaxLengthCriteria",
    "MaxTimeCriteria",
    "MinLengthLogitsProcessor",
    "MinNewTokensLengthLogitsProcessor",
    "MinPLogitsWarper",
    "NoBadWordsLogitsProcessor",
    "NoRepeatNGramLogitsProcessor",
    "PrefixConstrainedLogitsProcessor",
    "RepetitionPenaltyLogitsProcessor",
    "SequenceBiasLogitsProcessor",
    "StopStringCriteria",
    "StoppingCriteria",
    "StoppingCriteriaList",
    "SuppressTokensAtBeginLogitsProcessor",
    "SuppressTokensLogitsProcessor",
    "SynthIDTextWatermarkLogitsProcessor",
    "SynthIDTextWatermarkState",
    "TemperatureLogitsWarper",
    "TextIteratorStreamer",
    "TextStreamer",
    "TopKLogitsWarper",
    "TopPLogitsWarper",
    "TypicalLogitsWarper",
    "UnbatchedClassifierFreeGuidanceLogitsProcessor",
    "WatermarkLogitsProcessor",
    "WhisperTimeStampLogitsProcessor",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tfx_core.generation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from tfx_core.generation.mixin import GenerationMixin
    from tfx_core.generation.outputs import (
        GenerateBeamDecoderOnlyOutput,
        GenerateDecoderOnlyOutput,
    )
    from tfx_core.generation.processors import (
        EncoderNoRepeatNGramLogitsProcessor,
        ForcedBOSTokenLogitsProcessor,
        ForcedEOSTokenLogitsProcessor,
        LogitsProcessor,
        LogitsProcessorList,
        MinLengthLogitsProcessor,
        MinNewTokensLengthLogitsProcessor,
        MinPLogitsWarper,
        NoRepeatNGramLogitsProcessor,
        RepetitionPenaltyLogitsProcessor,
        SuppressTokensAtBeginLogitsProcessor,
        SuppressTokensLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )
    from tfx_core.generation.processors_extra import (
        AlternatingCodebooksLogitsProcessor,
        ClassifierFreeGuidanceLogitsProcessor,
        EncoderRepetitionPenaltyLogitsProcessor,
        EpsilonLogitsWarper,
        EtaLogitsWarper,
        ExponentialDecayLengthPenalty,
        InfNanRemoveLogitsProcessor,
        LogitNormalization,
        NoBadWordsLogitsProcessor,
        PrefixConstrainedLogitsProcessor,
        SequenceBiasLogitsProcessor,
        TypicalLogitsWarper,
        UnbatchedClassifierFreeGuidanceLogitsProcessor,
    )
    from tfx_core.generation.stopping import (
        ConfidenceCriteria,
        EosTokenCriteria,
        MaxLengthCriteria,
        MaxTimeCriteria,
        StoppingCriteria,
        StoppingCriteriaList,
        StopStringCriteria,
    )
    from tfx_core.generation.synthid import (
        SynthIDTextWatermarkLogitsProcessor,
        SynthIDTextWatermarkState,
    )
    from tfx_core.generation.watermark import WatermarkLogitsProcessor
    from tfx_core.generation.whisper_timestamps import WhisperTimeStampLogitsProcessor
