"""API-surface report: which public names of the reference library tfx has.

Introspects the test-only reference (`transformers`) for the classes and functions users touch,
lists every public, non-deprecated name, and checks whether tfx has the same name in the same
place. Names tfx leaves out on purpose are listed with the reason (`OMITTED`).

    python tools/api_surface.py            # summary per section
    python tools/api_surface.py --missing  # also every name tfx lacks, with the reason if any
    make api-surface

`tests/test_api_surface.py` runs `collect()` and fails when coverage drops.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

_REMOTE_CODE = (
    "registers a class as Hub custom code (trust_remote_code); tfx never runs code shipped "
    "with a checkpoint (security)"
)
_BETTER_TRANSFORMER = (
    "Optimum's BetterTransformer conversion, deprecated by Optimum (PyTorch's fused SDPA "
    "replaced it; tfx blocks call SDPA directly)"
)

#: section -> {name: why tfx does not have it}
OMITTED: dict[str, dict[str, str]] = {
    "tokenizer": {
        "can_save_slow_tokenizer": "answered by save_pretrained(legacy_format=True) itself",
        "slow_tokenizer_class": "tfx has no slow (pure-Python) tokenizers",
        "set_truncation_and_padding": "tfx sets truncation per call and pads in numpy",
        "register_for_auto_class": "custom code from the Hub (trust_remote_code) is not run",
        "get_chat_template": "apply_chat_template selects the template (named templates too)",
        "deprecation_warnings": "the reference's internal warn-once bookkeeping",
        "save_chat_templates": "part of save_pretrained (templates go in tokenizer_config.json)",
    },
    "tokenizer-classes": {},
    "config": {
        "register_for_auto_class": _REMOTE_CODE,
    },
    "pretrained-model": {
        "register_for_auto_class": _REMOTE_CODE,
        "kernelize": "downloads compiled kernels from the Hub (the `kernels` package) and runs "
        "them; tfx runs no code fetched with a model (security)",
        "to_bettertransformer": _BETTER_TRANSFORMER,
        "reverse_bettertransformer": _BETTER_TRANSFORMER,
    },
    "generate-kwargs": {
        "custom_generate": "its Hub form downloads and runs a repository's generate.py "
        "(security); its callable form replaces the reference's private decoding loops",
    },
}

TOKENIZER_FAMILIES = (
    "Albert",
    "Bart",
    "Bert",
    "Camembert",
    "DistilBert",
    "Electra",
    "GPT2",
    "Llama",
    "Longformer",
    "MBart",
    "MobileBert",
    "Pegasus",
    "Reformer",
    "Roberta",
    "SqueezeBert",
    "T5",
    "XLMRoberta",
    "XLNet",
)


@dataclass
class Section:
    """One reference surface and what tfx has of it."""

    name: str
    present: list[str] = field(default_factory=list)
    omitted: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.present) + len(self.omitted) + len(self.missing)

    @property
    def coverage(self) -> float:
        return len(self.present) / self.total if self.total else 1.0


# ------------------------------------------------------------------ introspection
def _underlying(cls: type, name: str) -> Any:
    value = inspect.getattr_static(cls, name, None)
    if isinstance(value, property):
        return value.fget
    if isinstance(value, (classmethod, staticmethod)):
        return value.__func__
    return value


_THIS_DEPRECATED = re.compile(
    r"this (?:method|class|function|property|attribute|argument) (?:is|has been) deprecated"
)


def _is_deprecated(obj: Any, name: str) -> bool:
    """The reference says that `name` itself is deprecated (in its docstring or a warning).

    A method that warns about one of its arguments (`device` is deprecated ...) is not itself
    deprecated, so the text must name the object (or say "this method is deprecated").
    """
    if obj is None or isinstance(obj, (str, int, float, bool, tuple, list, dict)):
        return False
    text = getattr(obj, "__doc__", None) or ""
    with contextlib.suppress(OSError, TypeError):
        text += inspect.getsource(obj)
    text = text.lower()
    names = re.escape(name.lower())
    own = rf"`?{names}`?\s+(?:\w+\s+){{0,2}}(?:is|are|has been|was) (?:now )?deprecated"
    return bool(re.search(own, text) or _THIS_DEPRECATED.search(text))


def public_names(cls: type, *, skip_bases: Iterable[type] = (object,), instance: Any = None):
    """Public, non-deprecated names of `cls` (and of `instance`), without those of `skip_bases`."""
    skipped = set()
    for base in skip_bases:
        skipped |= set(dir(base))
    names = {n for n in dir(cls) if not n.startswith("_") and n not in skipped}
    if instance is not None:
        names |= {n for n in vars(instance) if not n.startswith("_")}
    return sorted(n for n in names if not _is_deprecated(_underlying(cls, n), n))


def _has(target: Any, name: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return hasattr(target, name)
    except Exception:
        return False


def compare(name: str, names: Iterable[str], has: Callable[[str], bool]) -> Section:
    section = Section(name)
    omitted = OMITTED.get(name, {})
    for item in names:
        if has(item):
            section.present.append(item)
        elif item in omitted:
            section.omitted[item] = omitted[item]
        else:
            section.missing.append(item)
    return section


def _parameters(function: Any) -> list[str]:
    return [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
    ]


# ------------------------------------------------------------------------ sections
def _tiny_backend():
    from tokenizers import Tokenizer, models, pre_tokenizers

    backend = Tokenizer(models.WordLevel({"[UNK]": 0, "[PAD]": 1, "a": 2}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return backend


def tokenizer_sections(transformers: Any) -> list[Section]:
    import tfx_core

    reference = transformers.PreTrainedTokenizerFast(tokenizer_object=_tiny_backend())
    ours = tfx_core.Tokenizer(_tiny_backend())
    base = compare(
        "tokenizer",
        public_names(type(reference), instance=reference),
        lambda n: _has(ours, n),
    )
    class_names = ["PreTrainedTokenizerFast", "PreTrainedTokenizerBase"]
    for stem in TOKENIZER_FAMILIES:
        for suffix in ("TokenizerFast", "Tokenizer"):
            if hasattr(transformers, stem + suffix):
                class_names.append(stem + suffix)
    classes = compare("tokenizer-classes", class_names, lambda n: _has(tfx_core, n))
    return [base, classes]


def config_sections(transformers: Any) -> list[Section]:
    import tfx_core

    ref_config = transformers.PretrainedConfig()
    ours = tfx_core.PretrainedConfig()
    ref_generation = transformers.GenerationConfig()
    our_generation = tfx_core.GenerationConfig()
    return [
        compare(
            "config",
            public_names(type(ref_config), instance=ref_config),
            lambda n: _has(ours, n),
        ),
        compare(
            "generation-config",
            public_names(type(ref_generation), instance=ref_generation),
            lambda n: _has(our_generation, n),
        ),
    ]


def model_sections(transformers: Any) -> list[Section]:
    import collections

    import torch

    from tfx_core.generation import GenerationMixin
    from tfx_core.modeling.outputs import ModelOutput
    from tfx_core.modeling.torch.base import PreTrainedModel

    model_names = public_names(transformers.PreTrainedModel, skip_bases=(object, torch.nn.Module))
    output_names = public_names(
        transformers.utils.ModelOutput, skip_bases=(object, dict, collections.OrderedDict)
    )
    generate = transformers.GenerationMixin.generate
    return [
        compare("pretrained-model", model_names, lambda n: _has(PreTrainedModel, n)),
        compare("model-output", output_names, lambda n: _has(ModelOutput, n)),
        compare(
            "generate-kwargs",
            _parameters(generate),
            lambda n: n in _parameters(GenerationMixin.generate),
        ),
    ]


def _subclasses(module: Any, base: type) -> list[str]:
    return sorted(
        name
        for name in dir(module)
        if isinstance(getattr(module, name, None), type)
        and issubclass(getattr(module, name), base)
        and not name.startswith("_")
        and not name.startswith(("TF", "Flax"))
        and not _is_deprecated(getattr(module, name), name)
    )


def generation_sections(transformers: Any) -> list[Section]:
    import tfx_core.generation as ours

    generation = transformers.generation
    return [
        compare(
            "logits-processors",
            _subclasses(generation, generation.LogitsProcessor),
            lambda n: _has(ours, n),
        ),
        compare(
            "stopping-criteria",
            _subclasses(generation, generation.StoppingCriteria),
            lambda n: _has(ours, n),
        ),
    ]


def _tfx_pipeline_classes() -> set[str]:
    import importlib
    import pkgutil

    import tfx_core.pipelines as package

    names = set(dir(package))
    for info in pkgutil.iter_modules(package.__path__):
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:
            continue
        names |= {n for n in dir(module) if n.endswith("Pipeline")}
    return names


def pipeline_sections(transformers: Any) -> list[Section]:
    import tfx_core

    reference = _subclasses(transformers.pipelines, transformers.Pipeline)
    ours = _tfx_pipeline_classes()
    return [
        compare("pipeline-classes", reference, lambda n: n in ours),
        compare(
            "pipeline-kwargs",
            _parameters(transformers.pipeline),
            lambda n: n in _parameters(tfx_core.pipeline),
        ),
    ]


SECTIONS = (
    tokenizer_sections,
    config_sections,
    model_sections,
    generation_sections,
    pipeline_sections,
)


def collect() -> list[Section]:
    """Every section of the report (imports the reference, torch and tfx)."""
    os.environ.setdefault("USE_TF", "0")  # the reference's TF/Flax classes are not compared
    os.environ.setdefault("USE_FLAX", "0")
    import transformers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [section for build in SECTIONS for section in build(transformers)]


def render(sections: list[Section], *, missing: bool = False) -> str:
    lines = [f"{'section':<20} {'present':>8} {'omitted':>8} {'missing':>8} {'coverage':>9}"]
    for s in sections:
        lines.append(
            f"{s.name:<20} {len(s.present):>8} {len(s.omitted):>8} {len(s.missing):>8} "
            f"{s.coverage:>8.1%}"
        )
    present = sum(len(s.present) for s in sections)
    total = sum(s.total for s in sections)
    lines.append(f"{'all':<20} {present:>8} {'':>8} {'':>8} {present / total:>8.1%}")
    for s in sections:
        for name, reason in sorted(s.omitted.items()):
            lines.append(f"  omitted  {s.name}.{name}: {reason}")
        if missing:
            lines.extend(f"  missing  {s.name}.{name}" for name in s.missing)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missing", action="store_true", help="list every missing name")
    args = parser.parse_args(argv)
    print(render(collect(), missing=args.missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
