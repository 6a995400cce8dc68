"""What a weights load did: missing, unexpected and mismatched keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from tfx_core.errors import LoadError


@dataclass
class LoadReport:
    """The outcome of loading a checkpoint into a model.

    `ignored_*` hold keys the model declares harmless (e.g. a checkpoint's unused
    `embeddings.position_ids` buffer), so they do not count as problems.
    """

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    ignored_unexpected: list[str] = field(default_factory=list)
    ignored_missing: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        if self.is_clean:
            extra = ""
            if self.ignored_unexpected or self.ignored_missing:
                ignored = [*self.ignored_unexpected, *self.ignored_missing]
                extra = f" (ignored as harmless: {', '.join(ignored)})"
            return f"all weights loaded{extra}"
        lines = []
        if self.missing:
            lines.append(f"missing from the checkpoint (newly initialised): {', '.join(self.missing)}")
        if self.unexpected:
            lines.append(f"in the checkpoint but not used by the model: {', '.join(self.unexpected)}")
        for key, ckpt, model in self.mismatched:
            lines.append(f"shape mismatch for {key}: checkpoint {ckpt}, model {model}")
        return "\n".join(lines)

    def raise_if_problems(self) -> None:
        """Raise `LoadError` listing every problem (what `strict=True` does)."""
        if not self.is_clean:
            raise LoadError(
                "The checkpoint does not match the model:\n"
                f"{self}\nPass strict=False to load anyway, or use the head that matches the "
                "checkpoint.",
                report=self,
            )
