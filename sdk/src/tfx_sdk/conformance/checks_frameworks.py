"""Cross-framework checks: a plugin's TensorFlow and Flax heads against the PyTorch reference.

One folder per (head, framework), as users move weights between frameworks: the reference
`transformers` PyTorch model (perturbed, so no weight sits at a trivial value) saves a
checkpoint; the framework's class loads it cleanly and gives the reference's outputs on padded
inputs; it saves a checkpoint with exactly the reference's keys and `{"format": "pt"}`; and that
file loads into `transformers` and into tfx's PyTorch class with the same outputs again. For
generative heads, greedy `generate` ids equal the reference's. Each framework model is built once
per head and shared by the parity and generation checks (its compiled functions are reused).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tfx_sdk.conformance.checks_model import saved_keys
from tfx_sdk.conformance.checks_reference import _perturb, _reference_config, reference_class
from tfx_sdk.conformance.failures import fail, listing
from tfx_sdk.conformance.heads import output_fields
from tfx_sdk.conformance.subject import Subject

#: framework -> the module that must import for its checks to run (else they skip)
FRAMEWORK_MODULES = {"tf": "tensorflow", "flax": "flax.nnx"}


@dataclass
class Pair:
    """The reference model, its outputs on the kit's inputs, and the framework model."""

    reference: Any
    model: Any
    inputs: dict[str, Any]
    expected: dict[str, Any]
    folder: Path


def _numpy(value: Any) -> Any:
    import numpy as np

    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _fields(head: str, reference_outputs: Any) -> list[str]:
    import torch

    fields = list(output_fields(head)) or [
        key for key, value in reference_outputs.items() if torch.is_tensor(value)
    ]
    if head == "base" and reference_outputs.get("pooler_output") is not None:
        fields.append("pooler_output")
    return fields


def _compare(subject: Subject, expected: dict[str, Any], got: Any, direction: str) -> None:
    """Every expected output (numpy) within `parity_atol` of `got`'s."""
    import numpy as np

    atol = subject.tester.parity_atol
    for field, want in expected.items():
        try:
            have = _numpy(got[field])
        except (KeyError, AttributeError):
            raise fail(
                f"{direction}: the output has no {field!r}",
                "return the reference's output fields under the same names",
            ) from None
        if have.shape != want.shape:
            raise fail(
                f"{direction}: {field} has shape {have.shape}, the reference {want.shape}",
                "match the reference's output layout",
            )
        diff = float(np.max(np.abs(have.astype(np.float64) - want))) if want.size else 0.0
        if not diff <= atol:
            raise fail(
                f"{direction}: {field} differs from the reference by max |diff| {diff:.3g} "
                f"(allowed {atol:g}) on the same weights",
                "compare the forward pass with the PyTorch one step by step: weight mapping "
                "(kernels transposed), norm epsilon, activation form, attention masking",
            )


def _prepare(subject: Subject, head: str, framework: str, folder: Path) -> Pair:
    """The reference saves a perturbed checkpoint; the framework's class loads it cleanly."""
    import torch

    module = FRAMEWORK_MODULES.get(framework)
    if module is None:
        pytest.skip(f"the kit has no cross-framework checks for {framework!r}")
    pytest.importorskip(module, reason=f"{module} is not installed")
    model_class = subject.model_class(head, framework)
    reference = reference_class(subject, head)
    hf_config = _reference_config(subject, head, reference, folder / "config")
    torch.manual_seed(subject.tester.seed)
    theirs = reference(hf_config).eval()
    _perturb(theirs, subject.tester.seed)
    theirs.save_pretrained(folder / "reference")
    ours = model_class.from_pretrained(folder / "reference")
    report = getattr(ours, "load_report", None)
    if report is None or not report.is_clean:
        raise fail(
            f"{model_class.__name__} loading a {reference.__name__} checkpoint:\n{report}",
            "map every PyTorch parameter name onto the framework module tree (the adapter)",
        )
    inputs = subject.inputs(head, subject.config(head))
    with torch.no_grad():
        outputs = theirs(**inputs)
    expected = {field: _numpy(outputs[field]) for field in _fields(head, outputs)}
    arrays = {key: value.numpy() for key, value in inputs.items()}
    return Pair(theirs, ours, arrays, expected, folder)


def pair_for(subject: Subject, head: str, framework: str, tmp_factory: Any) -> Pair:
    """The shared `Pair` of (head, framework): built on first use, reused by later checks."""
    cache = subject.__dict__.setdefault("_framework_pairs", {})
    key = (head, framework)
    if key not in cache:
        folder = Path(tmp_factory.mktemp(f"{subject.tester.model_type}-{head}-{framework}"))
        cache[key] = _prepare(subject, head, framework, folder)
    return cache[key]


def check_framework_parity(subject: Subject, head: str, framework: str, tmp_factory: Any) -> None:
    """Reference file -> framework == reference; framework file -> transformers and tfx PyTorch."""
    pair = pair_for(subject, head, framework, tmp_factory)
    name = type(pair.model).__name__
    reference = type(pair.reference).__name__
    _compare(subject, pair.expected, pair.model(**pair.inputs), f"{reference} file -> {name}")

    saved = pair.folder / f"saved-{framework}"
    pair.model.save_pretrained(saved)
    theirs, ours = saved_keys(pair.folder / "reference"), saved_keys(saved)
    if theirs != ours:
        parts = []
        if theirs - ours:
            parts.append(f"missing: {listing(theirs - ours)}")
        if ours - theirs:
            parts.append(f"extra: {listing(ours - theirs)}")
        raise fail(
            f"{name} saves other keys than {reference}: " + "; ".join(parts),
            "write the PyTorch attribute paths; save tied weights once, like the reference",
        )
    _check_format(saved, name)

    import torch

    torch_inputs = {key: torch.from_numpy(value) for key, value in pair.inputs.items()}
    back, info = type(pair.reference).from_pretrained(saved, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v and k != "error_msgs"}
    if problems:
        details = "; ".join(f"{k}: {listing(map(str, v))}" for k, v in problems.items())
        raise fail(
            f"transformers' {reference} loading the {name} checkpoint reports {details}",
            "save the reference's parameter names and shapes",
        )
    with torch.no_grad():
        _compare(subject, pair.expected, back.eval()(**torch_inputs), f"{name} file -> {reference}")
    pytorch = subject.model_class(head, "pt").from_pretrained(saved).eval()
    if not pytorch.load_report.is_clean:
        raise fail(
            f"tfx {type(pytorch).__name__} loading the {name} checkpoint:\n{pytorch.load_report}",
            "save the PyTorch parameter names",
        )
    with torch.no_grad():
        _compare(subject, pair.expected, pytorch(**torch_inputs), f"{name} file -> tfx PyTorch")


def _check_format(folder: Path, name: str) -> None:
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise fail(f"{name}.save_pretrained wrote no .safetensors file", "save safetensors")
    for path in files:
        with safe_open(str(path), "np") as handle:
            metadata = handle.metadata() or {}
        if metadata.get("format") != "pt":
            raise fail(
                f"{path.name} saved by {name} has metadata {metadata}, not format 'pt'",
                'write {"format": "pt"} so every framework (and transformers) reads the file',
            )


def check_framework_generation(
    subject: Subject, head: str, framework: str, tmp_factory: Any
) -> None:
    """Greedy ids of the framework's `generate` equal the reference's `generate`."""
    import numpy as np
    import torch

    pair = pair_for(subject, head, framework, tmp_factory)
    name = type(pair.model).__name__
    if not callable(getattr(pair.model, "generate", None)):
        raise fail(f"{name} is a generative head but has no generate()", "add generate()")
    config = pair.reference.config
    steps = subject.tester.max_new_tokens
    if config.is_encoder_decoder:  # the padded sources, decoded from the start token
        prompt = {key: pair.inputs[key] for key in ("input_ids", "attention_mask")}
    else:  # decoder-only: unpadded prompts (left padding is the generation tests' business)
        ids = pair.inputs["input_ids"]
        prompt = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    options = {"max_new_tokens": steps, "do_sample": False, "num_beams": 1}
    if config.pad_token_id is None and not config.is_encoder_decoder:
        options["pad_token_id"] = config.eos_token_id
    with torch.no_grad():
        want = pair.reference.generate(
            **{key: torch.from_numpy(value) for key, value in prompt.items()}, **options
        ).numpy()
    have = _numpy(pair.model.generate(**prompt, **options))
    if have.shape != want.shape or not np.array_equal(have, want):
        raise fail(
            f"{name}.generate (greedy, {steps} new tokens) gave\n{have.tolist()}\n"
            f"the reference's generate\n{want.tolist()}",
            "compare one decode step's logits with the reference's; check the cache "
            "positions, the padding of finished rows and the start/forced tokens",
        )
