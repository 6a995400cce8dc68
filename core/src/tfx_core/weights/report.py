"""What a weights load did: missing, unexpected and shape-mismatched keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tfx_core.errors import LoadError

#: Keys listed per category in messages; the full lists stay on the report.
_SHOWN = 50


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOWN])
    more = len(keys) - _SHOWN
    return f"{shown} ... and {more} more" if more > 0 else shown


@dataclass
class LoadReport:
    """The outcome of loading a checkpoint into a model.

    `missing`: model weights the checkpoint lacks (left as initialised); `unexpected`:
    checkpoint tensors the model does not use; `mismatched`: `(key, checkpoint_shape,
    model_shape)` for tensors whose shapes differ (not loaded). `ignored_*` hold keys the model
    declares harmless (e.g. an unused `embeddings.position_ids` buffer); they are no problem.
    """

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    ignored_unexpected: list[str] = field(default_factory=list)
    ignored_missing: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        """True when every model weight was loaded and every checkpoint tensor used."""
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        lines = []
        if self.missing:
            lines.append(
                f"missing from the checkpoint (newly initialised): {_listing(self.missing)}"
            )
        if self.unexpected:
            lines.append(f"in the checkpoint but unused by the model: {_listing(self.unexpected)}")
        for key, ckpt, model in self.mismatched[:_SHOWN]:
            lines.append(
                f"shape mismatch for {key}: checkpoint {tuple(ckpt)}, model {tuple(model)}"
            )
        if len(self.mismatched) > _SHOWN:
            lines.append(f"... and {len(self.mismatched) - _SHOWN} more shape mismatches")
        if not lines:
            lines.append("all weights loaded")
        ignored = [*self.ignored_missing, *self.ignored_unexpected]
        if ignored:
            lines.append(f"ignored as harmless: {_listing(ignored)}")
        return "\n".join(lines)

    def raise_if_problems(self) -> None:
        """Raise `LoadError` (carrying this report) listing every problem; what `strict=True`
        does."""
        if not self.is_clean:
            raise LoadError(
                f"The checkpoint does not match the model:\n{self}\nUse the head class that "
                "matches the checkpoint, or pass strict=False to load anyway and inspect "
                "model.load_report.",
                report=self,
            )

    def warn_if_problems(self, source: str, model_name: str) -> bool:
        """Log a warning (logger `tfx_core.weights`) naming what a non-strict load of `source`
        into `model_name` did not load, as the reference does; True when there was something.
        """
        if self.is_clean:
            return False
        advice = (
            "Newly initialised or skipped weights make the outputs random: use the head class "
            "and config that match the checkpoint (strict=True turns this into an error)."
            if self.missing or self.mismatched
            else "Unused checkpoint tensors are dropped (normal when loading a base model from "
            "a checkpoint with a head)."
        )
        logging.getLogger("tfx_core.weights").warning(
            "Loading %s into %s:\n%s\n%s", source, model_name, self, advice
        )
        return True
