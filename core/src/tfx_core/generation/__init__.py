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
    "StoppingCriteria": "tfx_core.generation.stopping",
    "StoppingCriteriaList": "tfx_core.generation.stopping",
    "MaxLengthCriteria": "tfx_core.generation.stopping",
    "EosTokenCriteria": "tfx_core.generation.stopping",
    "StopStringCriteria": "tfx_core.generation.stopping",
}

__all__ = [
    "GENERATION_CONFIG_NAME",
    "BaseStreamer",
    "EncoderNoRepeatNGramLogitsProcessor",
    "EosTokenCriteria",
    "GenerateBeamDecoderOnlyOutput",
    "GenerateDecoderOnlyOutput",
    "GenerationConfig",
    "GenerationMixin",
    "LogitsProcessor",
    "LogitsProcessorList",
    "MaxLengthCriteria",
    "MinLengthLogitsProcessor",
    "MinNewTokensLengthLogitsProcessor",
    "MinPLogitsWarper",
    "NoRepeatNGramLogitsProcessor",
    "RepetitionPenaltyLogitsProcessor",
    "StopStringCriteria",
    "StoppingCriteria",
    "StoppingCriteriaList",
    "TemperatureLogitsWarper",
    "TextIteratorStreamer",
    "TextStreamer",
    "TopKLogitsWarper",
    "TopPLogitsWarper",
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
        LogitsProcessor,
        LogitsProcessorList,
        MinLengthLogitsProcessor,
        MinNewTokensLengthLogitsProcessor,
        MinPLogitsWarper,
        NoRepeatNGramLogitsProcessor,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )
    from tfx_core.generation.stopping import (
        EosTokenCriteria,
        MaxLengthCriteria,
        StoppingCriteria,
        StoppingCriteriaList,
        StopStringCriteria,
    )
