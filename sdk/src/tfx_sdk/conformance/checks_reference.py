"""Checks against the reference implementation (`transformers`, a test-only dependency).

Weights travel both ways through files, as users move them: a reference model saved by
`transformers` is loaded by the plugin, and a plugin model saved by tfx is loaded by
`transformers`; both must give the same logits (<= `parity_atol`) and the same key set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tfx_sdk.conformance.checks_model import saved_keys
from tfx_sdk.conformance.failures import fail, listing
from tfx_sdk.conformance.heads import output_fields
from tfx_sdk.conformance.subject import Subject

_BOOKKEEPING = ("tfx_version", "transformers_version", "architectures", "dtype", "torch_dtype")


def reference_class(subject: Subject, head: str) -> type:
    """The `transformers` class for `head`; skips when there is none or no transformers."""
    name = subject.tester.reference_name(head, subject.head_spec(head).hf_architecture)
    if name is None:
        pytest.skip(f"no reference class for head {head!r}")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    found = getattr(transformers, name, None)
    if found is None:
        raise fail(
            f"transformers {transformers.__version__} has no class {name!r} (reference of head "
            f"{head!r})",
            "fix PluginTester(reference=...) or the HeadSpec's hf_architecture",
        )
    return found


def _perturb(model: Any, seed: int) -> None:
    """Give every parameter a distinct, O(1)-activation value.

    Initial values hide mistakes (zero biases, unit norms, tiny weights in which gelu and its
    tanh approximation agree to 1e-6): matrices get N(0, 1/fan_in) values, vectors N(0, 0.1)
    noise on top of theirs.
    """
    import torch

    generator = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        for parameter in model.parameters():
            if not parameter.requires_grad:  # fixed tables (sinusoidal positions): not weights,
                continue  # and some references do not even save them (Marian)
            noise = torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype)
            if parameter.dim() >= 2:  # fan-in: one output's inputs (a conv's: in/groups * k)
                parameter.copy_(noise * parameter[0].numel() ** -0.5)
            else:
                parameter.add_(noise * 0.1)


def _reference_config(subject: Subject, head: str, reference: type, folder: Path) -> Any:
    subject.config(head).save_pretrained(folder)
    return reference.config_class.from_pretrained(folder)


def _compare(subject: Subject, head: str, ours: Any, theirs: Any, direction: str) -> None:
    import torch

    config = subject.config(head)
    inputs = subject.inputs(head, config)
    with torch.no_grad():
        a = ours(**inputs)
        b = theirs(**inputs)
    # heads with architecture-specific outputs: every tensor the reference returns
    fields = list(output_fields(head)) or [k for k, v in b.items() if torch.is_tensor(v)]
    if head == "base" and getattr(a, "pooler_output", None) is not None:
        fields.append("pooler_output")
    for field in fields:
        x, y = a[field], b[field]
        if x.shape != y.shape:
            raise fail(
                f"{direction}: {field} has shape {tuple(x.shape)} in tfx but {tuple(y.shape)} "
                f"in {type(theirs).__name__}",
                "match the reference's output layout",
            )
        diff = (x.float() - y.float()).abs().max().item()
        if diff > subject.tester.parity_atol:
            raise fail(
                f"{direction}: {field} differs from {type(theirs).__name__} by max |diff| "
                f"{diff:.3g} (allowed {subject.tester.parity_atol:g}) on the same weights",
                "compare the forward pass with the reference step by step: layer norm "
                "placement and epsilon, activation, attention scaling and masking, position ids",
            )


def check_parity_from_reference(
    subject: Subject, head: str, framework: str, tmp_path: Path
) -> None:
    """A checkpoint saved by `transformers` loads cleanly into the plugin and agrees with it."""
    import torch

    subject.driven(framework)
    reference = reference_class(subject, head)
    model_class = subject.model_class(head, framework)
    hf_config = _reference_config(subject, head, reference, tmp_path / "config")
    torch.manual_seed(subject.tester.seed)
    theirs = reference(hf_config).eval()
    _perturb(theirs, subject.tester.seed)
    theirs.save_pretrained(tmp_path / "reference")
    ours = model_class.from_pretrained(tmp_path / "reference").eval()
    report = ours.load_report
    if not report.is_clean:
        raise fail(
            f"{model_class.__name__} loading a {reference.__name__} checkpoint:\n{report}",
            "use the reference's parameter names (they are the checkpoint format)",
        )
    _compare(subject, head, ours, theirs, f"{reference.__name__} checkpoint -> tfx")


def check_reference_loads_ours(subject: Subject, head: str, framework: str, tmp_path: Path) -> None:
    """A checkpoint saved by the plugin loads cleanly into `transformers` and agrees."""
    subject.driven(framework)
    reference = reference_class(subject, head)
    ours = subject.build(head, framework)
    _perturb(ours, subject.tester.seed)
    ours.save_pretrained(tmp_path / "ours")
    theirs, info = reference.from_pretrained(tmp_path / "ours", output_loading_info=True)
    problems = {k: v for k, v in info.items() if v and k != "error_msgs"}
    if problems:
        details = "; ".join(f"{k}: {listing(map(str, v))}" for k, v in problems.items())
        raise fail(
            f"transformers' {reference.__name__} loading the tfx checkpoint reports {details}",
            "save the reference's parameter names and shapes",
        )
    _compare(subject, head, ours, theirs.eval(), f"tfx checkpoint -> {reference.__name__}")


def check_saved_keys(subject: Subject, head: str, framework: str, tmp_path: Path) -> None:
    """The plugin saves exactly the keys the reference saves for the same head."""
    import torch

    subject.driven(framework)
    reference = reference_class(subject, head)
    hf_config = _reference_config(subject, head, reference, tmp_path / "config")
    torch.manual_seed(subject.tester.seed)
    reference(hf_config).save_pretrained(tmp_path / "reference")
    subject.build(head, framework).save_pretrained(tmp_path / "ours")
    theirs, ours = saved_keys(tmp_path / "reference"), saved_keys(tmp_path / "ours")
    if theirs != ours:
        parts = []
        if theirs - ours:
            parts.append(f"missing (the reference saves them): {listing(theirs - ours)}")
        if ours - theirs:
            parts.append(f"extra (the reference does not save them): {listing(ours - theirs)}")
        raise fail(
            f"The keys tfx saves for {head!r} differ from {reference.__name__}'s: "
            + "; ".join(parts),
            "rename modules to the reference's attribute names; declare shared tensors in "
            "tied_weights so they are saved once, like the reference",
        )


def check_config_both_ways(subject: Subject, tmp_path: Path) -> None:
    """The config survives tfx -> transformers -> tfx with every field the same."""
    from tfx_core.auto import AutoConfig

    reference = reference_class(subject, "base")
    config = subject.config()
    config.save_pretrained(tmp_path / "tfx")
    theirs = reference.config_class.from_pretrained(tmp_path / "tfx")
    ours = config.to_dict()
    mismatched = [
        key
        for key, value in ours.items()
        if key not in _BOOKKEEPING
        and hasattr(theirs, key)
        and _differs(value, getattr(theirs, key))
    ]
    if mismatched:
        shown = ", ".join(f"{k}: tfx {ours[k]!r} vs {getattr(theirs, k)!r}" for k in mismatched[:5])
        raise fail(
            f"transformers reads the tfx config.json differently: {shown}",
            "write each field under the reference's name with the reference's meaning",
        )
    theirs.save_pretrained(tmp_path / "reference")
    back = AutoConfig.from_pretrained(tmp_path / "reference").to_dict()
    changed = [k for k, v in ours.items() if k not in _BOOKKEEPING and _differs(v, back.get(k))]
    if changed:
        raise fail(
            f"A config.json written by transformers loads in tfx with different fields: "
            f"{listing(changed)}",
            "accept the reference's field names and defaults in the config's __init__",
        )


def _differs(ours: Any, theirs: Any) -> bool:
    """Whether a tfx config value and the reference's (or a reloaded one) differ; a sub-config
    (CLIP's `text_config`) is compared field by field, bookkeeping aside."""
    if isinstance(ours, dict) and (hasattr(theirs, "to_dict") or isinstance(theirs, dict)):
        fields = theirs if isinstance(theirs, dict) else vars(theirs)
        return any(
            key not in _BOOKKEEPING and key in fields and _differs(value, fields[key])
            for key, value in ours.items()
        )
    return _plain(theirs) != ours


def _plain(value: Any) -> Any:
    """A reference config value in the JSON form tfx's to_dict() uses."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value
