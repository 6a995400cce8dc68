"""`Subject`: the architecture under test, as the registry serves it to a user.

Builds tiny configs, head classes, models and dummy inputs from a `PluginTester`, and turns
lookup failures into messages that say what to fix. One `Subject` per tester is shared by all
the checks of a test class.
"""

from __future__ import annotations

from typing import Any

import pytest

from tfx_sdk.conformance.failures import fail
from tfx_sdk.conformance.heads import Shapes
from tfx_sdk.conformance.inputs import generation_source, model_inputs
from tfx_sdk.conformance.tester import PluginTester

#: Frameworks the kit can drive today; others are reported as skipped, not as passing.
DRIVEN_FRAMEWORKS = ("pt",)

_SUBJECTS: dict[int, Subject] = {}


def subject_for(tester: PluginTester) -> Subject:
    """The shared `Subject` of `tester` (one per test class)."""
    subject = _SUBJECTS.get(id(tester))
    if subject is None or subject.tester is not tester:
        subject = _SUBJECTS[id(tester)] = Subject(tester)
    return subject


class Subject:
    def __init__(self, tester: PluginTester) -> None:
        self.tester = tester
        self._spec: Any = None
        self.shapes = Shapes(tester.batch_size, tester.seq_length, tester.num_choices)

    # ---------------------------------------------------------------- the spec
    @property
    def spec(self) -> Any:
        """The `ArchitectureSpec` serving the tester's model_type, found through the registry."""
        if self._spec is None:
            from tfx_core.errors import PluginError
            from tfx_core.plugins import get_registry

            try:
                self._spec = get_registry().architecture(self.tester.model_type)
            except PluginError as exc:
                raise fail(
                    f"tfx cannot find the architecture {self.tester.model_type!r}: {exc}",
                    "install the plugin (pip install -e .) and make its `tfx.plugins` entry "
                    "point return an ArchitectureSpec with this model_type (see test_discovery)",
                ) from None
        return self._spec

    def spec_or_none(self) -> Any:
        try:
            return self.spec
        except AssertionError:
            return None

    def heads(self) -> list[str]:
        """The heads under test: the tester's list, else every head the spec declares."""
        if self.tester.heads is not None:
            return list(self.tester.heads)
        spec = self.spec_or_none()
        return [head.head for head in spec.heads] if spec is not None else ["base"]

    def head_spec(self, head: str) -> Any:
        for candidate in self.spec.heads:
            if candidate.head == head:
                return candidate
        declared = ", ".join(h.head for h in self.spec.heads) or "none"
        raise fail(
            f"The tester lists head {head!r} but the {self.tester.model_type!r} spec declares "
            f"only: {declared}",
            f"add HeadSpec({head!r}, ...) to the ArchitectureSpec, or drop it from "
            "PluginTester(heads=...)",
        )

    # ---------------------------------------------------------------- classes
    def config_class(self) -> type:
        from tfx_core.errors import PluginError

        try:
            return self.spec.load_config_class()
        except PluginError as exc:
            raise fail(
                f"The spec's config_class {self.spec.config_class!r} cannot be imported: {exc}",
                "fix the 'module:Class' string in the ArchitectureSpec or the import error in "
                "that module",
            ) from None

    def model_class(self, head: str, framework: str = "pt") -> type:
        """The class implementing `head` in `framework`; skips when the plugin has none."""
        from tfx_core.errors import PluginError

        head_spec = self.head_spec(head)
        reference = head_spec.implementations.get(framework)
        if reference is None:
            pytest.skip(f"not provided: head {head!r} has no {framework!r} implementation")
        try:
            return head_spec.load(framework)
        except PluginError as exc:
            raise fail(
                f"Head {head!r} ({framework}) names {reference!r}, which cannot be imported: {exc}",
                "fix the 'module:Class' string in the HeadSpec, or the error raised while "
                "importing that module (declare missing dependencies in pyproject.toml)",
            ) from None

    def driven(self, framework: str) -> None:
        if framework not in DRIVEN_FRAMEWORKS:
            pytest.skip(
                f"this check drives {', '.join(DRIVEN_FRAMEWORKS)} models; {framework} heads "
                "have the cross-framework checks (test_framework_*)"
            )

    # ---------------------------------------------------------------- instances
    def config(self, head: str | None = None) -> Any:
        """A fresh tiny config, with the tester's overrides for `head`."""
        tester = self.tester
        if tester.config_factory is not None:
            config = tester.config_factory()
        else:
            config = self.config_class()(**dict(tester.config))
        for key, value in (tester.head_config.get(head, {}) if head else {}).items():
            setattr(config, key, value)
        return config

    def build(self, head: str, framework: str = "pt", config: Any = None) -> Any:
        """A randomly initialised model of `head` in eval mode (seeded: reproducible)."""
        import torch

        self.driven(framework)
        model_class = self.model_class(head, framework)
        torch.manual_seed(self.tester.seed)
        model = model_class(config if config is not None else self.config(head))
        return model.eval()

    def inputs(self, head: str, config: Any, *, padded: bool = True) -> dict:
        """The seeded dummy inputs of `head` for what it reads (see `PluginTester.modality`)."""
        tester = self.tester
        inputs = model_inputs(
            tester.modality_of(head),
            head,
            config,
            self.shapes,
            tester.seed,
            padded=padded,
            audio_length=tester.audio_length,
            feature_frames=tester.feature_frames,
        )
        if tester.without_attention_mask:
            inputs.pop("attention_mask", None)
        return inputs

    def prompt(self, head: str, config: Any) -> dict:
        """What the generation checks hand `generate`: the unpadded source (prompt ids, or an
        encoder's ids or features)."""
        return generation_source(self.inputs(head, config, padded=False))
