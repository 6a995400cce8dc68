"""Plugin-level checks: discovery, references that resolve, config and tokenizer round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfx_sdk.conformance import discovery
from tfx_sdk.conformance.failures import fail, listing
from tfx_sdk.conformance.subject import Subject

SAMPLE_TEXTS = (
    "Hello world!",
    "the quick brown fox jumps over the lazy dog",
    "Paris is the capital of France.",
    "  spaces,   punctuation;and UPPER case  ",
)
SAMPLE_PAIRS = (("who is it?", "it was the dog"), ("hello", "world"))


def check_discovery(subject: Subject) -> None:
    found = discovery.check_discovered(subject.tester.model_type)
    entry_module = found.get("entry_module")
    if entry_module:
        discovery.check_lazy(entry_module)


def check_config_class(subject: Subject) -> None:
    from tfx_core.config import PretrainedConfig

    spec = subject.spec
    config_class = subject.config_class()
    name = config_class.__name__
    if not (isinstance(config_class, type) and issubclass(config_class, PretrainedConfig)):
        raise fail(
            f"The spec's config_class {spec.config_class!r} is not a PretrainedConfig subclass",
            f"make {name} subclass tfx_core.config.PretrainedConfig",
        )
    if config_class.model_type != spec.model_type:
        raise fail(
            f"config_class {name}.model_type is {config_class.model_type!r} but the spec says "
            f"{spec.model_type!r}",
            f"set model_type = {spec.model_type!r} on {name} (checkpoints are routed by it)",
        )


def _differences(a: dict, b: dict, skip: tuple[str, ...] = ("tfx_version",)) -> list[str]:
    keys = (set(a) | set(b)) - set(skip)
    return sorted(key for key in keys if a.get(key, "<absent>") != b.get(key, "<absent>"))


def check_config_round_trip(subject: Subject, tmp_path: Path) -> None:
    from tfx_core.auto import AutoConfig

    check_config_class(subject)
    config = subject.config()
    name = type(config).__name__
    config.save_pretrained(tmp_path)
    written = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    if written.get("model_type") != subject.spec.model_type:
        raise fail(
            f"{name}.save_pretrained wrote model_type {written.get('model_type')!r}, not "
            f"{subject.spec.model_type!r}",
            f"set model_type = {subject.spec.model_type!r} on {name}",
        )
    loaded = AutoConfig.from_pretrained(tmp_path)
    if type(loaded) is not type(config):
        raise fail(
            f"AutoConfig loaded the saved config as {type(loaded).__name__}, not {name}",
            "make the spec's config_class the class the tester's config is built with",
        )
    changed = _differences(config.to_dict(), loaded.to_dict())
    if changed:
        raise fail(
            f"{name} does not survive save_pretrained -> from_pretrained; these fields change: "
            f"{listing(changed)}",
            f"make {name}.__init__ accept every field to_dict() writes (under the same name) "
            "and store it unchanged",
        )
    data = config.to_dict()
    data["tfx_conformance_unknown_key"] = [1, 2]
    kept = type(config).from_dict(data).to_dict().get("tfx_conformance_unknown_key")
    if kept != [1, 2]:
        raise fail(
            f"{name}.from_dict dropped an unknown key; HF configs carry keys a class may not know",
            f"pass **kwargs through to PretrainedConfig.__init__ in {name}.__init__",
        )


def check_head_resolves(subject: Subject, head: str, framework: str) -> None:
    model_class = subject.model_class(head, framework)
    config_class = subject.config_class()
    if not isinstance(model_class, type):
        raise fail(
            f"Head {head!r} ({framework}) resolves to {model_class!r}, which is not a class",
            "point the HeadSpec at the model class",
        )
    if framework == "pt":
        from tfx_core.modeling.torch import PreTrainedModel

        if not issubclass(model_class, PreTrainedModel):
            raise fail(
                f"{model_class.__name__} (head {head!r}) does not subclass "
                "tfx_core.modeling.torch.PreTrainedModel",
                "derive the model's base class from tfx_core.modeling.torch.PreTrainedModel",
            )
        declared = getattr(model_class, "config_class", None)
        if not (isinstance(declared, type) and issubclass(config_class, declared)):
            shown = getattr(declared, "__name__", declared)
            raise fail(
                f"{model_class.__name__}.config_class is {shown} but the spec's config class "
                f"is {config_class.__name__}",
                f"set config_class = {config_class.__name__} on the model's PreTrainedModel base",
            )


def check_other_references(subject: Subject) -> None:
    """The tokenizer converter and the plugin's own tasks and converters import."""
    from tfx_core.plugins import get_registry
    from tfx_core.utils.imports import import_string

    spec = subject.spec
    references: list[tuple[str, str]] = []
    if spec.tokenizer_converter:
        references.append(("ArchitectureSpec.tokenizer_converter", spec.tokenizer_converter))
    registry = get_registry()
    owner = next((p for p in registry.plugins() if spec.model_type in p.model_types), None)
    if owner is not None:
        for task in owner.tasks:
            references.append((f"TaskSpec {task!r}", registry.task(task).pipeline_class))
        for converter in registry.tokenizer_converters():
            if converter.name in owner.converters:
                references.append(
                    (f"TokenizerConverterSpec {converter.name!r}", converter.converter)
                )
    for owner_name, reference in references:
        try:
            import_string(reference)
        except Exception as exc:
            raise fail(
                f"{owner_name} names {reference!r}, which cannot be imported: {exc}",
                "fix the 'module:attribute' string or the import error in that module",
            ) from None


# ------------------------------------------------------------------------- tokenizers
def _tokenizer_folder(subject: Subject, folder: Path) -> Path:
    if not subject.tester.write_tokenizer_files(folder):
        pytest.skip("the tester gives no tokenizer_files")
    config = subject.config()
    if not (folder / "config.json").exists():
        config.save_pretrained(folder)  # legacy files are converted by model_type
    return folder


def _encodings(tokenizer: Any) -> list[list[int]]:
    singles = [list(tokenizer(text)["input_ids"]) for text in SAMPLE_TEXTS]
    pairs = [list(tokenizer(a, b)["input_ids"]) for a, b in SAMPLE_PAIRS]
    return singles + pairs


def check_tokenizer_round_trip(subject: Subject, tmp_path: Path) -> None:
    from tfx_core.auto import AutoTokenizer

    folder = _tokenizer_folder(subject, tmp_path / "files")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    vocab_size = getattr(subject.config(), "vocab_size", None)
    if vocab_size is not None and len(tokenizer) > vocab_size:
        raise fail(
            f"The tokenizer has {len(tokenizer)} tokens but the tiny config's vocab_size is "
            f"{vocab_size}",
            "raise vocab_size in the tester's config to at least the tokenizer's size",
        )
    before = _encodings(tokenizer)
    tokenizer.save_pretrained(tmp_path / "saved")
    # a backend with Python parts (fastBPE, Moses + BPE) saves its legacy files instead
    legacy_only = getattr(tokenizer, "legacy_files_only", False)
    if not legacy_only and not (tmp_path / "saved" / "tokenizer.json").exists():
        raise fail(
            "Tokenizer.save_pretrained wrote no tokenizer.json",
            "tokenizer.json is the canonical format: save through tfx_core's Tokenizer",
        )
    reloaded = AutoTokenizer.from_pretrained(tmp_path / "saved")
    after = _encodings(reloaded)
    for text, a, b in zip([*SAMPLE_TEXTS, *SAMPLE_PAIRS], before, after):
        if a != b:
            raise fail(
                f"Encoding {text!r} changes after save_pretrained -> from_pretrained: {a} vs {b}",
                "make the tokenizer converter produce a tokenizer whose saved tokenizer.json "
                "reproduces it (normalizer, pre-tokenizer, post-processor, special tokens)",
            )
    if tokenizer.all_special_tokens != reloaded.all_special_tokens:
        raise fail(
            f"Special tokens change on save: {tokenizer.all_special_tokens} vs "
            f"{reloaded.all_special_tokens}",
            "set the special tokens in tokenizer_config.json (or from the converter)",
        )
    for ids in before:
        text = tokenizer.decode(ids, skip_special_tokens=True)
        if reloaded.decode(ids, skip_special_tokens=True) != text:
            raise fail("Decoding changes after a save round trip", "save the decoder as well")


def check_tokenizer_reference(subject: Subject, tmp_path: Path) -> None:
    """Same ids as `transformers.AutoTokenizer`, and each library loads the other's files."""
    if not subject.tester.reference_tokenizer:
        pytest.skip("the tester does not ask for a reference tokenizer comparison")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    from tfx_core.auto import AutoTokenizer

    folder = _tokenizer_folder(subject, tmp_path / "files")
    ours = AutoTokenizer.from_pretrained(folder)
    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    _compare_tokenizers(ours, theirs, "on the same files")
    ours.save_pretrained(tmp_path / "ours")
    subject.config().save_pretrained(tmp_path / "ours")
    _compare_tokenizers(
        ours,
        transformers.AutoTokenizer.from_pretrained(tmp_path / "ours"),
        "after transformers loads the files tfx saved",
    )
    theirs.save_pretrained(tmp_path / "theirs")
    _compare_tokenizers(
        AutoTokenizer.from_pretrained(tmp_path / "theirs"),
        theirs,
        "after tfx loads the files transformers saved",
    )


def _compare_tokenizers(ours: Any, theirs: Any, when: str) -> None:
    for text, a, b in zip([*SAMPLE_TEXTS, *SAMPLE_PAIRS], _encodings(ours), _encodings(theirs)):
        if a != b:
            raise fail(
                f"Token ids differ from transformers' {type(theirs).__name__} {when} for "
                f"{text!r}: tfx {a} vs reference {b}",
                "match the reference's normalizer, pre-tokenizer, special tokens and template "
                "in the tokenizer converter",
            )
