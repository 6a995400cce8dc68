"""What a plugin declares: architectures, heads, tasks and tokenizer converters.

Specs hold `"module:Class"` strings rather than classes, so discovering a plugin imports neither
a framework nor modeling code; a class is imported the first time someone asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tfx_core.errors import HeadNotSupportedError, PluginError
from tfx_core.utils.imports import import_string, split_reference

#: Framework keys a head implementation may be given for.
FRAMEWORKS = ("pt", "tf", "flax")

#: Head keys known to the core (plugins may add others; these map to Auto classes).
KNOWN_HEADS = (
    "base",
    "masked-lm",
    "causal-lm",
    "seq2seq-lm",
    "sequence-classification",
    "token-classification",
    "question-answering",
    "multiple-choice",
    "next-sentence-prediction",
    "pretraining",
)


def _check_reference(owner: str, reference: str) -> None:
    if not isinstance(reference, str):
        raise PluginError(f"{owner}: expected a 'module:Class' string, got {reference!r}.")
    split_reference(reference)


@dataclass(frozen=True)
class HeadSpec:
    """One head of an architecture: its key, the HF class name it answers to, its classes."""

    head: str
    hf_architecture: str
    implementations: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.head or not isinstance(self.head, str):
            raise PluginError(f"HeadSpec needs a non-empty head key, got {self.head!r}.")
        for framework, reference in self.implementations.items():
            if framework not in FRAMEWORKS:
                raise PluginError(
                    f"HeadSpec {self.head!r}: unknown framework {framework!r}; "
                    f"use one of {', '.join(FRAMEWORKS)}."
                )
            _check_reference(f"HeadSpec {self.head!r}", reference)

    def load(self, framework: str = "pt") -> type:
        """Import and return the class implementing this head in `framework`."""
        reference = self.implementations.get(framework)
        if reference is None:
            available = ", ".join(sorted(self.implementations)) or "none"
            raise HeadNotSupportedError(
                f"Head {self.head!r} ({self.hf_architecture}) has no {framework!r} "
                f"implementation; available frameworks: {available}."
            )
        return import_string(reference)


def head_specs(
    heads: Mapping[str, str] | Iterable[tuple[str, str]],
    pt: str,
    *,
    tf: str | None = None,
    flax: str | None = None,
    tf_heads: Collection[str] | None = None,
    flax_heads: Collection[str] | None = None,
) -> tuple[HeadSpec, ...]:
    """One `HeadSpec` per (head key, class name) of `heads`: the class in module `pt`, and
    `TF<name>` in module `tf` / `Flax<name>` in module `flax` for the heads in `tf_heads` /
    `flax_heads` (every head when those are None)."""
    pairs = heads.items() if isinstance(heads, Mapping) else heads
    specs = []
    for head, name in pairs:
        found = {"pt": f"{pt}:{name}"}
        if tf is not None and (tf_heads is None or head in tf_heads):
            found["tf"] = f"{tf}:TF{name}"
        if flax is not None and (flax_heads is None or head in flax_heads):
            found["flax"] = f"{flax}:Flax{name}"
        specs.append(HeadSpec(head, name, found))
    return tuple(specs)


@dataclass(frozen=True)
class ArchitectureSpec:
    """An architecture served by a plugin, keyed by the checkpoint's `model_type`."""

    model_type: str
    config_class: str
    heads: tuple[HeadSpec, ...] = ()
    tokenizer_converter: str | None = None
    description: str = ""
    #: Image processors, feature extractors and processors this architecture brings, as
    #: "module:Class" strings; the class name is the one `preprocessor_config.json` records
    #: (e.g. "ViTImageProcessor"), so a checkpoint finds its class without importing others.
    processors: tuple[str, ...] = ()
    #: Tokenizer classes this architecture brings ("module:Class"), for checkpoints whose
    #: `tokenizer_class` names them (e.g. "MarianTokenizer"); the core's `Tokenizer` otherwise.
    tokenizers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.model_type or not isinstance(self.model_type, str):
            raise PluginError(f"ArchitectureSpec needs a model_type, got {self.model_type!r}.")
        _check_reference(f"ArchitectureSpec {self.model_type!r} config_class", self.config_class)
        object.__setattr__(self, "processors", tuple(self.processors))
        for reference in self.processors:
            _check_reference(f"ArchitectureSpec {self.model_type!r} processors", reference)
        object.__setattr__(self, "tokenizers", tuple(self.tokenizers))
        for reference in self.tokenizers:
            _check_reference(f"ArchitectureSpec {self.model_type!r} tokenizers", reference)
        if self.tokenizer_converter is not None:
            _check_reference(f"ArchitectureSpec {self.model_type!r}", self.tokenizer_converter)
        object.__setattr__(self, "heads", tuple(self.heads))
        seen: set[str] = set()
        for head in self.heads:
            if not isinstance(head, HeadSpec):
                raise PluginError(
                    f"ArchitectureSpec {self.model_type!r}: heads must be HeadSpec, got {head!r}."
                )
            if head.head in seen:
                raise PluginError(
                    f"ArchitectureSpec {self.model_type!r} declares head {head.head!r} twice."
                )
            seen.add(head.head)

    def head(self, name: str) -> HeadSpec:
        """The spec of head `name`, or an error listing the heads this architecture has."""
        for head in self.heads:
            if head.head == name:
                return head
        available = ", ".join(h.head for h in self.heads) or "none"
        raise HeadNotSupportedError(
            f"Architecture {self.model_type!r} has no {name!r} head; it provides: {available}."
        )

    def head_for_architecture(self, hf_architecture: str) -> HeadSpec | None:
        """The head whose HF class name is `hf_architecture` (e.g. 'BertForMaskedLM')."""
        for head in self.heads:
            if head.hf_architecture == hf_architecture:
                return head
        return None

    def load_config_class(self) -> type:
        return import_string(self.config_class)

    def frameworks(self) -> set[str]:
        return {fw for head in self.heads for fw in head.implementations}


@dataclass(frozen=True)
class TaskSpec:
    """A pipeline task: its pipeline class and the heads (in preference order) that serve it."""

    name: str
    pipeline_class: str
    heads: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    default_model: str | None = None
    default_revision: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise PluginError(f"TaskSpec needs a name, got {self.name!r}.")
        _check_reference(f"TaskSpec {self.name!r}", self.pipeline_class)
        object.__setattr__(self, "heads", tuple(self.heads))
        object.__setattr__(self, "aliases", tuple(self.aliases))

    def load(self) -> type:
        return import_string(self.pipeline_class)


@dataclass(frozen=True)
class TokenizerConverterSpec:
    """Builds a `tokenizers.Tokenizer` from legacy files (vocab.txt, vocab.json + merges.txt).

    The converter is `convert(folder: Path, tokenizer_config: dict) -> tokenizers.Tokenizer`.
    `files` are the file names that must all exist in the folder for it to apply;
    `model_types` are the checkpoints' model types it is meant for (empty: any).
    """

    name: str
    converter: str
    files: tuple[str, ...]
    model_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_reference(f"TokenizerConverterSpec {self.name!r}", self.converter)
        object.__setattr__(self, "files", tuple(self.files))
        object.__setattr__(self, "model_types", tuple(self.model_types))
        if not self.files:
            raise PluginError(f"TokenizerConverterSpec {self.name!r} must name its input files.")

    def load(self) -> Callable[..., Any]:
        return import_string(self.converter)
