"""`ConformanceSuite`: the kit's tests, parametrised per head, framework, dtype and task.

A plugin's test file subclasses it and sets `tester`:

    class TestConformance(ConformanceSuite):
        tester = PluginTester(model_type="my-arch", config={...}, reference="MyArchModel")

Each check is a separate test id (`test_forward[masked-lm-pt]`), so a report says exactly which
head and framework break which part of the contract. Failures print what to fix, without a
traceback; errors raised by the plugin's own code keep theirs.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tfx_sdk.conformance import (
    checks_fast_paths,
    checks_frameworks,
    checks_model,
    checks_plugin,
    checks_reference,
)
from tfx_sdk.conformance.failures import ConformanceFailure
from tfx_sdk.conformance.subject import Subject, subject_for
from tfx_sdk.conformance.tester import PluginTester


def _reported(test: Callable[..., None]) -> Callable[..., None]:
    """Show a contract failure as its message only; anything else keeps its traceback."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            test(*args, **kwargs)
            return
        except ConformanceFailure as failure:
            message = str(failure)
        pytest.fail(message, pytrace=False)

    return wrapper


def _over(axis: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a check with the axis it is parametrised over (see `_parameters`)."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        test._tfx_axis = axis  # type: ignore[attr-defined]
        return test

    return mark


def _parameters(subject: Subject, axis: str) -> tuple[str, list[Any]]:
    tester = subject.tester
    heads = subject.heads()
    frameworks = list(tester.frameworks)
    if axis == "tasks":
        tasks = list(tester.tasks)
        return "task", [pytest.param(t, id=t) for t in tasks] or [_none("no tasks declared")]
    if axis == "generative":
        heads = [h for h in heads if h in tester.generative_heads]
        if not heads:
            return "head,framework", [_none("no generative heads", 2)]
    if axis == "reference":
        spec = subject.spec_or_none()
        if spec is not None:
            architecture = {h.head: h.hf_architecture for h in spec.heads}
            heads = [h for h in heads if tester.reference_name(h, architecture.get(h, ""))]
        if not heads or tester.reference in (None, False):
            return "head,framework", [_none("no reference implementation named", 2)]
    if axis in ("other-frameworks", "other-generative"):
        others = [f for f in frameworks if f != "pt"]
        if axis == "other-generative":
            heads = [h for h in heads if h in tester.generative_heads]
        if not others or not heads or tester.reference in (None, False):
            return "head,framework", [_none("no framework besides pt, or no head, to check", 2)]
        combos = itertools.product(heads, others)
        return "head,framework", [pytest.param(*c, id="-".join(c)) for c in combos]
    if axis == "dtypes":
        if not tester.dtypes or not heads:
            return "head,framework,dtype", [_none("no dtypes requested, or no head", 3)]
        combos = itertools.product(heads, frameworks, tester.dtypes)
        return "head,framework,dtype", [pytest.param(*c, id="-".join(c)) for c in combos]
    if not heads:  # `heads=()`: a plugin whose models the kit cannot drive (not token ids)
        return "head,framework", [_none("no heads under test (PluginTester(heads=()))", 2)]
    combos = itertools.product(heads, frameworks)
    return "head,framework", [pytest.param(*c, id="-".join(c)) for c in combos]


def _none(reason: str, width: int = 1) -> Any:
    values = ("none",) * width
    return pytest.param(*values, id="none", marks=pytest.mark.skip(reason=reason))


class CrossFrameworkSuite:
    """The cross-framework checks only: each TensorFlow / Flax head (`PluginTester(frameworks=
    ("tf", "flax"))`) against the PyTorch reference through shared files. Subclass it where a
    framework's tests run in their own process; `ConformanceSuite` includes these checks."""

    tester: ClassVar[PluginTester]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        axis = getattr(metafunc.function, "_tfx_axis", None)
        tester = getattr(metafunc.cls, "tester", None)
        if axis is None or tester is None:
            return
        names, values = _parameters(subject_for(tester), axis)
        metafunc.parametrize(names, values)

    @property
    def subject(self) -> Subject:
        tester = getattr(type(self), "tester", None)
        if not isinstance(tester, PluginTester):
            pytest.fail(
                f"{type(self).__name__} has no `tester`: set tester = PluginTester(...)",
                pytrace=False,
            )
        return subject_for(tester)

    # ------------------------------------------------------------ TensorFlow and Flax
    @_over("other-frameworks")
    @_reported
    def test_framework_parity(self, head: str, framework: str, tmp_path_factory: Any) -> None:
        """Reference file -> tf/flax logits; tf/flax file -> transformers and tfx PyTorch."""
        checks_frameworks.check_framework_parity(self.subject, head, framework, tmp_path_factory)

    @_over("other-generative")
    @_reported
    def test_framework_greedy_generation(
        self, head: str, framework: str, tmp_path_factory: Any
    ) -> None:
        """tf/flax greedy `generate` ids == the reference's on the same weights."""
        checks_frameworks.check_framework_generation(
            self.subject, head, framework, tmp_path_factory
        )


class ConformanceSuite(CrossFrameworkSuite):
    """The conformance checks; subclass it (as `Test...`) and set `tester`."""

    # ------------------------------------------------------------ plugin level
    @_reported
    def test_discovery(self) -> None:
        """Found through its entry point, loads cleanly, imports no framework to be found."""
        checks_plugin.check_discovery(self.subject)

    @_reported
    def test_config_class(self) -> None:
        checks_plugin.check_config_class(self.subject)

    @_reported
    def test_config_round_trip(self, tmp_path: Path) -> None:
        checks_plugin.check_config_round_trip(self.subject, tmp_path)

    @_reported
    def test_references_resolve(self) -> None:
        """The tokenizer converter and the plugin's tasks and converters import."""
        checks_plugin.check_other_references(self.subject)

    @_reported
    def test_tokenizer_round_trip(self, tmp_path: Path) -> None:
        checks_plugin.check_tokenizer_round_trip(self.subject, tmp_path)

    @_reported
    def test_tokenizer_matches_reference(self, tmp_path: Path) -> None:
        checks_plugin.check_tokenizer_reference(self.subject, tmp_path)

    @_reported
    def test_config_matches_reference(self, tmp_path: Path) -> None:
        checks_reference.check_config_both_ways(self.subject, tmp_path)

    # ------------------------------------------------------------ per head
    @_over("heads")
    @_reported
    def test_head_resolves(self, head: str, framework: str) -> None:
        checks_plugin.check_head_resolves(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_forward(self, head: str, framework: str) -> None:
        checks_model.check_forward(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_save_load(self, head: str, framework: str, tmp_path: Path) -> None:
        checks_model.check_save_load(self.subject, head, framework, tmp_path)

    @_over("heads")
    @_reported
    def test_head_from_base_checkpoint(self, head: str, framework: str, tmp_path: Path) -> None:
        checks_model.check_head_from_base(self.subject, head, framework, tmp_path)

    @_over("dtypes")
    @_reported
    def test_dtype_loading(self, head: str, framework: str, dtype: str, tmp_path: Path) -> None:
        checks_model.check_dtype(self.subject, head, framework, dtype, tmp_path)

    @_over("generative")
    @_reported
    def test_greedy_generation(self, head: str, framework: str) -> None:
        checks_model.check_greedy_generation(self.subject, head, framework)

    @_over("tasks")
    @_reported
    def test_pipeline(self, task: str, tmp_path: Path) -> None:
        checks_model.check_pipeline(self.subject, task, tmp_path)

    # ------------------------------------------------------------ the core blocks' fast paths
    @_over("heads")
    @_reported
    def test_fast_path_matches_modules(self, head: str, framework: str) -> None:
        """Fused / lean inference == the module path (`fast_paths(False)`), <= fast_path_atol."""
        checks_fast_paths.check_fast_path_matches_modules(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_layer_hook_honoured(self, head: str, framework: str) -> None:
        """A forward hook on a layer fires under torch.no_grad() and its output is used."""
        checks_fast_paths.check_layer_hook(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_layer_patch_honoured(self, head: str, framework: str) -> None:
        """A class-level patch of the layer's forward runs under torch.no_grad(); restorable."""
        checks_fast_paths.check_layer_patch(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_fused_weights_follow_dtype_moves(self, head: str, framework: str) -> None:
        checks_fast_paths.check_fused_after_dtype_moves(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_fused_weights_follow_loading(self, head: str, framework: str) -> None:
        checks_fast_paths.check_fused_after_loading(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_fused_weights_follow_training(self, head: str, framework: str) -> None:
        checks_fast_paths.check_fused_after_training(self.subject, head, framework)

    @_over("heads")
    @_reported
    def test_training_plan_matches_modules(self, head: str, framework: str) -> None:
        """Training (dropout on, seeded): the stacks' training plans == the module path."""
        checks_fast_paths.check_training_plan_matches_modules(self.subject, head, framework)

    @_over("generative")
    @_reported
    def test_generation_fast_paths(self, head: str, framework: str) -> None:
        """In generate: fast == modules; a hook and a class patch run on every decode step."""
        checks_fast_paths.check_generation_fast_paths(self.subject, head, framework)

    @_over("generative")
    @_reported
    def test_generation_follows_weight_updates(self, head: str, framework: str) -> None:
        """generate: fast == modules after .to(), load_state_dict and an optimizer step."""
        checks_fast_paths.check_generation_follows_updates(self.subject, head, framework)

    # ------------------------------------------------------------ against the reference
    @_over("reference")
    @_reported
    def test_saved_keys_match_reference(self, head: str, framework: str, tmp_path: Path) -> None:
        checks_reference.check_saved_keys(self.subject, head, framework, tmp_path)

    @_over("reference")
    @_reported
    def test_parity_reference_checkpoint(self, head: str, framework: str, tmp_path: Path) -> None:
        checks_reference.check_parity_from_reference(self.subject, head, framework, tmp_path)

    @_over("reference")
    @_reported
    def test_reference_loads_checkpoint(self, head: str, framework: str, tmp_path: Path) -> None:
        checks_reference.check_reference_loads_ours(self.subject, head, framework, tmp_path)
