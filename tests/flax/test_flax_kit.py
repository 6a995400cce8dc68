"""The conformance kit's cross-framework checks on the Flax heads (issue 14).

Every bert head (causal-lm: also greedy ids); base + one head for distilbert, roberta, gpt2
(causal-lm: also greedy ids); seq2seq-lm (logits, round trips, greedy ids) for bart and t5;
bart's causal-lm; t5's token classification and QA heads. Tiny configs, padded inputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tfx_sdk.conformance import ConformanceFailure, CrossFrameworkSuite
from tfx_sdk.conformance.checks_frameworks import check_framework_parity, pair_for
from tfx_sdk.conformance.subject import subject_for

TESTS = str(Path(__file__).resolve().parent.parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from cross_framework_kit import BART, DISTILBERT, ENCODER, GPT2, T5, cross_framework_tester  # noqa: E402

FRAMEWORK = "flax"


def _tester(model_type: str, config: dict, heads: tuple[str, ...] | None, **options):
    return cross_framework_tester(FRAMEWORK, model_type, config, heads, **options)


class TestBert(CrossFrameworkSuite):
    tester = _tester("bert", ENCODER, None, head_config={"causal-lm": {"is_decoder": True}})


class TestDistilBert(CrossFrameworkSuite):
    tester = _tester("distilbert", DISTILBERT, ("base", "sequence-classification"))


class TestRoberta(CrossFrameworkSuite):
    tester = _tester("roberta", {**ENCODER, "pad_token_id": 1}, ("base", "masked-lm"))


class TestGPT2(CrossFrameworkSuite):
    tester = _tester("gpt2", GPT2, ("base", "causal-lm"))


class TestBart(CrossFrameworkSuite):
    tester = _tester("bart", BART, ("seq2seq-lm",))


class TestT5(CrossFrameworkSuite):
    tester = _tester("t5", T5, ("seq2seq-lm",))


class TestBartCausalLM(CrossFrameworkSuite):
    tester = _tester("bart", BART, ("causal-lm",))


class TestT5TaskHeads(CrossFrameworkSuite):
    tester = _tester("t5", T5, ("token-classification", "question-answering"))


def test_kit_catches_a_wrong_weight(tmp_path_factory):
    """The parity check fails when one Flax weight differs from the file's (it can fail)."""
    from flax import nnx

    subject = subject_for(TestGPT2.tester)
    pair = pair_for(subject, "base", "flax", tmp_path_factory)
    weight = next(
        node
        for _, node in nnx.iter_graph(pair.model)
        if isinstance(node, nnx.Param) and node[...].ndim == 2 and node[...].shape[0] == 32
    )
    original = weight[...]
    weight[...] = original * 1.1
    try:
        with pytest.raises(ConformanceFailure, match="differs from the reference"):
            check_framework_parity(subject, "base", "flax", tmp_path_factory)
    finally:
        weight[...] = original
