"""The conformance kit: a pytest plugin that checks an architecture plugin against the contract.

    from tfx_sdk.conformance import ConformanceSuite, PluginTester

    class TestConformance(ConformanceSuite):
        tester = PluginTester(model_type="my-arch", config={"hidden_size": 32}, reference=True)

Names are imported lazily: pytest loads the kit's plugin module in every run, and that must not
cost a framework import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ConformanceSuite": "tfx_sdk.conformance.suite",
    "CrossFrameworkSuite": "tfx_sdk.conformance.suite",
    "PluginTester": "tfx_sdk.conformance.tester",
    "ConformanceFailure": "tfx_sdk.conformance.failures",
    "write_wordpiece": "tfx_sdk.conformance.tiny_tokenizers",
    "sibling_module": "tfx_sdk.conformance.siblings",
    "write_byte_level_bpe": "tfx_sdk.conformance.tiny_tokenizers",
    "MIXED_TEXTS": "tfx_sdk.conformance.tokenizer_parity",
    "assert_same_encodings": "tfx_sdk.conformance.tokenizer_parity",
    "TokenizerParitySuite": "tfx_sdk.conformance.tokenizer_parity",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tfx_sdk.conformance' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:
    from tfx_sdk.conformance.failures import ConformanceFailure
    from tfx_sdk.conformance.siblings import sibling_module
    from tfx_sdk.conformance.suite import ConformanceSuite, CrossFrameworkSuite
    from tfx_sdk.conformance.tester import PluginTester
    from tfx_sdk.conformance.tiny_tokenizers import write_byte_level_bpe, write_wordpiece
    from tfx_sdk.conformance.tokenizer_parity import (
        MIXED_TEXTS,
        TokenizerParitySuite,
        assert_same_encodings,
    )
