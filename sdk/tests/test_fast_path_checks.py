"""The kit's fast-path checks fail, with a message saying what to fix, when a fast path breaks
the blocks' promise: a second copy of the math, ignored hooks or class patches, stale fused
weights. Each breakage is made by monkeypatching the core's guards under the installed BERT
plugin; the checks run in process on a tiny model."""

from __future__ import annotations

import pytest

from tfx_sdk.conformance import checks_fast_paths as checks
from tfx_sdk.conformance.failures import ConformanceFailure
from tfx_sdk.conformance.layers import engaged_fast_paths, find_layers, uses_core_blocks
from tfx_sdk.conformance.subject import Subject
from tfx_sdk.conformance.tester import PluginTester

lean_encoder = pytest.importorskip("tfx_core.modeling.torch.blocks.lean_encoder")
pytest.importorskip("tfx_plugin_bert")

TINY = {
    "vocab_size": 64,
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 24,
    "max_position_embeddings": 32,
}


@pytest.fixture()
def subject() -> Subject:
    tester = PluginTester(
        model_type="bert", config=TINY, head_config={"causal-lm": {"is_decoder": True}}
    )
    return Subject(tester)


def test_layers_and_fast_paths_are_found(subject: Subject) -> None:
    model = subject.build("masked-lm")
    layers = find_layers(model)
    assert [type(layer).__name__ for layer in layers] == ["BertLayer", "BertLayer"]
    assert uses_core_blocks(model)
    assert engaged_fast_paths(model) == ["bert.encoder (lean plan)"] + [
        f"bert.encoder.layer.{i}.attention.self.projections" for i in range(2)
    ]


@pytest.mark.parametrize(
    "check",
    [
        checks.check_fast_path_matches_modules,
        checks.check_layer_hook,
        checks.check_layer_patch,
        checks.check_fused_after_dtype_moves,
        checks.check_fused_after_loading,
        checks.check_fused_after_training,
    ],
)
def test_checks_pass_on_the_blocks(subject: Subject, check) -> None:
    check(subject, "sequence-classification", "pt")


def test_generation_checks_pass_on_the_blocks(subject: Subject) -> None:
    checks.check_generation_fast_paths(subject, "causal-lm", "pt")


def test_a_second_copy_of_the_math_is_caught(subject: Subject, monkeypatch) -> None:
    def drifted(hidden, dense, activation):  # the lean copy "forgot" a detail
        return activation(dense(hidden)) * 1.01

    monkeypatch.setattr(lean_encoder, "activated", drifted)
    with pytest.raises(ConformanceFailure, match=r"the fast path .* and the module path disagree"):
        checks.check_fast_path_matches_modules(subject, "base", "pt")


def test_a_fast_path_ignoring_hooks_is_caught(subject: Subject, monkeypatch) -> None:
    monkeypatch.setattr(lean_encoder.LeanGuard, "unobserved", lambda self: True)
    monkeypatch.setattr(lean_encoder.LeanGuard, "quiet", lambda self: True)
    with pytest.raises(ConformanceFailure, match=r"hook on BertModel.encoder.layer.0 fired 0 "):
        checks.check_layer_hook(subject, "base", "pt")


def test_a_fast_path_ignoring_class_patches_is_caught(subject: Subject, monkeypatch) -> None:
    monkeypatch.setattr(lean_encoder, "all_trusted", lambda root: True)
    with pytest.raises(ConformanceFailure, match=r"BertLayer.forward patched .* ran 0 times"):
        checks.check_layer_patch(subject, "masked-lm", "pt")


def test_stale_fused_weights_are_caught(subject: Subject, monkeypatch) -> None:
    from tfx_core.modeling.torch.projections import FusedProjections

    monkeypatch.setattr(FusedProjections, "current", lambda self: self._fused is not None)
    with pytest.raises(ConformanceFailure, match=r"assign=True\) the fast and module paths"):
        checks.check_fused_after_loading(subject, "base", "pt")


def test_plugins_without_blocks_are_not_taken_for_block_users() -> None:
    from torch import nn

    plain = nn.Sequential(nn.Linear(2, 2))
    assert not uses_core_blocks(plain) and find_layers(plain) == []


def test_encoder_decoder_stacks_prefer_the_decoder_for_generation() -> None:
    from torch import nn

    seq2seq = nn.Module()
    for side in ("encoder", "decoder"):
        stack = nn.Module()
        stack.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
        setattr(seq2seq, side, stack)
    assert find_layers(seq2seq)[0] is seq2seq.encoder.layers[0]
    assert find_layers(seq2seq, prefer="decoder")[0] is seq2seq.decoder.layers[0]


def test_a_decode_plan_ignoring_hooks_is_caught(monkeypatch) -> None:
    lean_decoder = pytest.importorskip("tfx_core.modeling.torch.blocks.lean_decoder")
    pytest.importorskip("tfx_plugin_gpt2")
    eos = 63
    tester = PluginTester(
        model_type="gpt2",
        config={
            "vocab_size": 64,
            "n_embd": 16,
            "n_layer": 2,
            "n_head": 2,
            "n_positions": 32,
            "bos_token_id": eos,
            "eos_token_id": eos,
            "pad_token_id": eos,
        },
    )
    subject = Subject(tester)
    steps = []
    plan_step = lean_decoder.DecodePlan.__call__

    def counted(self, *args, **kwargs):
        steps.append(1)
        return plan_step(self, *args, **kwargs)

    monkeypatch.setattr(lean_decoder.DecodePlan, "__call__", counted)
    checks.check_generation_fast_paths(subject, "causal-lm", "pt")
    assert steps, "the one-token decode plan never ran: the check compared nothing fast"
    checks.check_generation_follows_updates(subject, "causal-lm", "pt")

    monkeypatch.setattr(lean_decoder.DecodePlan, "usable", lambda self: True)
    with pytest.raises(
        ConformanceFailure, match=r"hook on GPT2LMHeadModel.transformer.h.0 fired 1 "
    ):
        checks.check_generation_fast_paths(subject, "causal-lm", "pt")
