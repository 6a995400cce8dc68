"""What the core blocks promise, checked for every plugin that uses them.

A block runs the same math two ways: through its modules, and at inference through fused or
lean fast paths. The promise: the two agree; a forward hook or a class-level patch of a layer's
`forward` is honoured (the fast path steps aside, also on every step of `generate`); and fused
weights follow the Parameters through `.to()`, `load_state_dict` and an optimizer step. Each
check compares the fast path (`fast_paths(True)`) with the module path (`fast_paths(False)`)
under `torch.no_grad()`. Plugins that do not use the blocks skip them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tfx_sdk.conformance.failures import fail, listing
from tfx_sdk.conformance.heads import output_fields
from tfx_sdk.conformance.inputs import in_dtype
from tfx_sdk.conformance.layers import (
    class_patch,
    engaged_fast_paths,
    engaged_training_plans,
    largest_difference,
    needs_blocks,
    observed,
    scaled_tolerance,
    shifting_hook,
)
from tfx_sdk.conformance.subject import Subject

#: A change smaller than this does not count as "the output changed".
VISIBLE = 1e-4

_SAME_MATH = (
    "make the fast path call the same block functions as forward (blocks.functional) on the "
    "same Parameters; a plugin layer with a lean_layout must name the modules its forward uses"
)
_STEP_ASIDE = (
    "a fast path must check, on every call, that nothing observes the modules (no hook, no "
    "instance or class-level forward patch: tfx_core.modeling.torch.lean.LeanGuard, is_trusted) "
    "and otherwise call the modules"
)
_SAME_DECODE = (
    "make the one-token decode plan compute what the modules compute: the same block functions, "
    "the model's own embed and lm_logits (a head that changes lm_logits must not be "
    "trusted_forward, or the plan must call it)"
)
_FOLLOW_PARAMETERS = (
    "fused weights must be views of the Parameters or be rebuilt when a Parameter is replaced "
    "or its memory moves (tfx_core.modeling.torch.projections.FusedProjections does both)"
)


def _prepared(subject: Subject, head: str, framework: str) -> tuple[Any, dict, list[Any]]:
    config = subject.config(head)
    model = subject.build(head, framework, config)
    layers = needs_blocks(model, prefer="decoder")
    return model, subject.inputs(head, config), layers


def _engaged(model: Any) -> list[str]:
    engaged = engaged_fast_paths(model)
    if not engaged:
        pytest.skip(f"no fast path engages in {type(model).__name__} for a plain inference call")
    return engaged


def _agree(a: dict, b: dict, atol: float, problem: str, fix: str) -> None:
    """`a` and `b` agree to `atol`, scaled by the field's magnitude (`scaled_tolerance`)."""
    field, diff = largest_difference(a, b)
    if not field:
        return
    allowed = scaled_tolerance(atol, b[field])
    if diff > allowed:
        raise fail(f"{problem}: {field} differs by {diff:.3g} (allowed {allowed:.3g})", fix)


def _changed(a: dict, b: dict, problem: str, fix: str) -> None:
    if largest_difference(a, b)[1] <= VISIBLE:
        raise fail(problem, fix)


def _name_of(model: Any, module: Any) -> str:
    return next(name for name, m in model.named_modules() if m is module)


def check_fast_path_matches_modules(subject: Subject, head: str, framework: str) -> None:
    model, inputs, _ = _prepared(subject, head, framework)
    fast = observed(model, inputs, head)
    engaged = _engaged(model)
    atol = subject.tester.fast_path_atol
    name = type(model).__name__
    _agree(
        fast,
        observed(model, inputs, head, fast=False),
        atol,
        f"{name}: the fast path ({listing(engaged)}) and the module path disagree",
        _SAME_MATH,
    )
    _agree(
        observed(model, inputs, head),
        fast,
        atol,
        f"{name}: a second inference call (cached fast path) differs from the first",
        "rebuild cached plans from the current Parameters; keep no state between calls",
    )


def check_layer_hook(subject: Subject, head: str, framework: str) -> None:
    model, inputs, layers = _prepared(subject, head, framework)
    baseline = observed(model, inputs, head)
    engaged = engaged_fast_paths(model)
    where = f"{type(model).__name__}.{_name_of(model, layers[0])}"
    calls: list[Any] = []
    with shifting_hook(layers[0], calls):
        hooked = observed(model, inputs, head)
        fired = len(calls)
        hooked_slow = observed(model, inputs, head, fast=False)
    expected = len(calls) - fired  # the module path's count (a shared layer runs repeatedly)
    if fired != expected or not fired:
        raise fail(
            f"A forward hook on {where} fired {fired} times in one torch.no_grad() forward "
            f"(the module path: {expected})",
            _STEP_ASIDE,
        )
    _changed(hooked, baseline, f"The output the hook on {where} returned was ignored", _STEP_ASIDE)
    atol = subject.tester.fast_path_atol
    _agree(hooked, hooked_slow, atol, f"With a hook on {where}, fast paths on and off", _SAME_MATH)
    _restored(model, inputs, head, baseline, engaged, atol, f"removing the hook on {where}")


def check_layer_patch(subject: Subject, head: str, framework: str) -> None:
    model, inputs, layers = _prepared(subject, head, framework)
    baseline = observed(model, inputs, head)
    engaged = engaged_fast_paths(model)
    cls = type(layers[0])
    calls: list[Any] = []
    with class_patch(cls, calls):
        patched = observed(model, inputs, head)
        ran = len(calls)
        patched_slow = observed(model, inputs, head, fast=False)
    expected = len(calls) - ran  # calls on the module path (a shared layer runs repeatedly)
    if ran != expected or not ran:
        raise fail(
            f"{cls.__name__}.forward patched at class level ran {ran} times in one "
            f"torch.no_grad() forward of {type(model).__name__}, and {expected} times through "
            f"the modules: the patched math was skipped",
            _STEP_ASIDE,
        )
    _changed(
        patched,
        baseline,
        f"The output of the patched {cls.__name__}.forward was ignored",
        _STEP_ASIDE,
    )
    atol = subject.tester.fast_path_atol
    problem = f"With {cls.__name__}.forward patched, fast paths on and off"
    _agree(patched, patched_slow, atol, problem, _SAME_MATH)
    _restored(model, inputs, head, baseline, engaged, atol, f"restoring {cls.__name__}.forward")


def _restored(
    model: Any, inputs: dict, head: str, baseline: dict, engaged: list, atol: float, after: str
) -> None:
    _agree(
        observed(model, inputs, head),
        baseline,
        atol,
        f"After {after} the outputs did not come back",
        "keep no state from a call that went through the modules",
    )
    now = engaged_fast_paths(model)
    if now != engaged:
        raise fail(
            f"After {after} the fast paths did not come back: {listing(now) or 'none'} engage, "
            f"{listing(engaged) or 'none'} did before",
            "re-check the guard on every call instead of switching the fast path off for good",
        )


def check_fused_after_dtype_moves(subject: Subject, head: str, framework: str) -> None:
    import torch

    model, inputs, _ = _prepared(subject, head, framework)
    baseline = observed(model, inputs, head)  # builds the fused weights
    engaged = _engaged(model)
    atol = subject.tester.fast_path_atol
    name = type(model).__name__
    model.to(torch.float64)
    wide = observed(model, inputs, head)
    problem = f"After {name}.to(torch.float64) the fast and module paths disagree"
    _agree(wide, observed(model, inputs, head, fast=False), atol, problem, _FOLLOW_PARAMETERS)
    if any(value.dtype != torch.float64 for value in wide.values()):
        raise fail(
            f"After {name}.to(torch.float64) the outputs are not float64",
            "compute in the parameters' dtype (no copies kept in the old dtype)",
        )
    model.to(torch.float32)
    problem = f"After {name}.to(float64) and back to float32 the outputs changed"
    _agree(observed(model, inputs, head), baseline, atol, problem, _FOLLOW_PARAMETERS)
    _restored(model, inputs, head, baseline, engaged, atol, ".to(float64) and back")


def _perturbed(model: Any, seed: int) -> dict[str, Any]:
    import torch

    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in model.state_dict().items():
        if value.is_floating_point():
            noise = torch.randn(value.shape, generator=generator, dtype=value.dtype)
            value = value + 0.05 * noise
        state[key] = value.clone()
    return state


def check_fused_after_loading(subject: Subject, head: str, framework: str) -> None:
    model, inputs, _ = _prepared(subject, head, framework)
    previous = observed(model, inputs, head)  # builds the fused weights
    _engaged(model)
    atol = subject.tester.fast_path_atol
    name = type(model).__name__
    for seed, assign in ((1, False), (2, True)):
        model.load_state_dict(_perturbed(model, seed), assign=assign)
        model.eval()
        loaded = observed(model, inputs, head)
        how = f"{name}.load_state_dict(perturbed weights, assign={assign})"
        slow = observed(model, inputs, head, fast=False)
        _agree(
            loaded,
            slow,
            atol,
            f"After {how} the fast and module paths disagree",
            _FOLLOW_PARAMETERS,
        )
        _changed(loaded, previous, f"After {how} the outputs did not change", _FOLLOW_PARAMETERS)
        previous = loaded


def _train_step(model: Any, inputs: dict, field: str) -> None:
    """One Adam step (lr 1e-2) on the mean square of output `field`; back in eval mode."""
    import torch

    from tfx_core.modeling.torch.fast_paths import fast_paths

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    with torch.enable_grad(), fast_paths(True):
        output = model(**in_dtype(inputs, model.dtype), return_dict=True)
        output[field].float().square().mean().backward()
    optimizer.step()
    model.eval()


def check_fused_after_training(subject: Subject, head: str, framework: str) -> None:
    model, inputs, _ = _prepared(subject, head, framework)
    before = observed(model, inputs, head)  # builds the fused weights
    _engaged(model)
    _train_step(model, inputs, next(iter(before)))
    trained = observed(model, inputs, head)
    name = type(model).__name__
    _agree(
        trained,
        observed(model, inputs, head, fast=False),
        subject.tester.fast_path_atol,
        f"After one optimizer step on {name} the fast and module paths disagree",
        _FOLLOW_PARAMETERS,
    )
    problem = f"One optimizer step changed nothing {name} computes"
    _changed(trained, before, problem, _FOLLOW_PARAMETERS)


def _trained(model: Any, inputs: dict, head: str) -> dict[str, Any]:
    """One seeded training forward + backward (dropout on): the head's outputs and the
    gradient of every parameter, for the mean square of the first output."""
    import torch

    from tfx_core.modeling.torch.fast_paths import fast_paths

    model.train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(0)
    with torch.enable_grad(), fast_paths(True):
        output = model(**inputs, return_dict=True)
    names = list(output_fields(head)) or [next(iter(output.keys()))]
    output[names[0]].float().square().mean().backward()
    model.eval()
    found = {name: output[name].detach().clone() for name in names}
    for name, parameter in model.named_parameters():
        if parameter.grad is not None:
            found[f"gradient of {name}"] = parameter.grad.clone()
    model.zero_grad(set_to_none=True)
    return found


def check_training_plan_matches_modules(subject: Subject, head: str, framework: str) -> None:
    """In training, the stacks' training plans give the module path's outputs and gradients
    (the module path: a hook on the first layer, which changes nothing, keeps the plan off and
    the last layer's first-token shortcut on, so both draw the same dropout masks)."""
    model, inputs, layers = _prepared(subject, head, framework)
    engaged = engaged_training_plans(model)
    if not engaged:
        pytest.skip(f"no training plan engages in {type(model).__name__}")
    if len(layers) < 2:
        pytest.skip("a one-layer stack: its hook would also turn the first-token shortcut off")
    planned = _trained(model, inputs, head)
    handle = layers[0].register_forward_hook(lambda *args: None)
    try:
        through_modules = _trained(model, inputs, head)
    finally:
        handle.remove()
    _agree(
        planned,
        through_modules,
        subject.tester.fast_path_atol,
        f"{type(model).__name__}: the training plan ({listing(engaged)}) and the module path "
        "disagree",
        "a layer class with a lean_training_layout must name the dropout modules and rates "
        "its forward uses, and its forward must run the core block functions in training",
    )


# --------------------------------------------------------------------------- generate
def _generate(model: Any, prompt: dict, steps: int, fast: bool) -> tuple[Any, dict[str, Any]]:
    from tfx_core.modeling.torch.fast_paths import fast_paths

    with fast_paths(fast):
        out = model.generate(
            **in_dtype(prompt, model.dtype),
            max_new_tokens=steps,
            do_sample=False,
            return_dict_in_generate=True,
            output_logits=True,
        )
    logits = {f"logits of step {i}": t.detach().clone() for i, t in enumerate(out.logits)}
    return out.sequences, logits


def _same_generation(a: tuple, b: tuple, atol: float, problem: str, fix: str) -> None:
    import torch

    if a[0].shape != b[0].shape or not torch.equal(a[0], b[0]):
        raise fail(f"{problem}: different tokens ({a[0].tolist()} vs {b[0].tolist()})", fix)
    _agree(a[1], b[1], atol, problem, fix)


def check_generation_fast_paths(subject: Subject, head: str, framework: str) -> None:
    """Fast == modules in `generate`; a hook and a class-level patch run on every decode step."""
    config = subject.config(head)
    model = subject.build(head, framework, config)
    layers = needs_blocks(model, prefer="decoder")
    name = type(model).__name__
    if not callable(getattr(model, "generate", None)):
        pytest.skip(f"{name} has no generate() (see test_greedy_generation)")
    prompt = subject.prompt(head, config)
    steps, atol = subject.tester.max_new_tokens, subject.tester.fast_path_atol
    baseline = _generate(model, prompt, steps, True)
    problem = f"{name}.generate with fast paths on and off"
    _same_generation(baseline, _generate(model, prompt, steps, False), atol, problem, _SAME_DECODE)

    where = f"{name}.{_name_of(model, layers[0])}"
    calls: list[Any] = []
    with shifting_hook(layers[0], calls):
        hooked = _generate(model, prompt, steps, True)
        fired, decoded = len(calls), len(hooked[1])
        hooked_slow = _generate(model, prompt, steps, False)
    if fired != decoded:
        raise fail(
            f"A forward hook on {where} fired {fired} times while generate ran {decoded} "
            "decode steps",
            "run every decode step through the layer modules while one has a hook; " + _STEP_ASIDE,
        )
    first = "logits of step 0"
    _changed(
        {first: hooked[1][first]},
        {first: baseline[1][first]},
        f"The output the hook on {where} returned was ignored by generate",
        _STEP_ASIDE,
    )
    problem = f"With a hook on {where}, generate with fast paths on and off"
    _same_generation(hooked, hooked_slow, atol, problem, _STEP_ASIDE)

    cls = type(layers[0])
    calls = []
    with class_patch(cls, calls) as forward:
        # an encoder-decoder runs its encoder once per generate, its decoder on every step
        # (T5's encoder and decoder share layer classes)
        decoder = model.get_decoder() if getattr(model.config, "is_encoder_decoder", 0) else model
        per_step = sum(type(m).forward is forward for m in decoder.modules())
        once = sum(type(m).forward is forward for m in model.modules()) - per_step
        patched = _generate(model, prompt, steps, True)
        ran, decoded = len(calls), len(patched[1])
        patched_slow = _generate(model, prompt, steps, False)
    if ran != per_step * decoded + once:
        raise fail(
            f"{cls.__name__}.forward patched at class level ran {ran} times while "
            f"{name}.generate ran {decoded} decode steps over {per_step} layers (expected "
            f"{per_step * decoded + once}): generated tokens skipped the patched math",
            "let the decode loop call the layers' forward (or check is_trusted on every step); "
            + _STEP_ASIDE,
        )
    problem = f"With {cls.__name__}.forward patched, generate with fast paths on and off"
    _same_generation(patched, patched_slow, atol, problem, _STEP_ASIDE)
    problem = f"After restoring {cls.__name__}.forward, generate"
    _same_generation(_generate(model, prompt, steps, True), baseline, atol, problem, _STEP_ASIDE)


def check_generation_follows_updates(subject: Subject, head: str, framework: str) -> None:
    """`generate` with fast paths on == off after `.to()`, `load_state_dict`, a training step."""
    import torch

    config = subject.config(head)
    model = subject.build(head, framework, config)
    needs_blocks(model, prefer="decoder")
    name = type(model).__name__
    if not callable(getattr(model, "generate", None)):
        pytest.skip(f"{name} has no generate() (see test_greedy_generation)")
    inputs = subject.inputs(head, config, padded=False)
    prompt = subject.prompt(head, config)
    # an encoder-decoder's training step also needs its decoder inputs
    batch = {k: v for k, v in inputs.items() if k != "attention_mask"}
    steps, atol = subject.tester.max_new_tokens, subject.tester.fast_path_atol
    updates = [
        (f"{name}.to(torch.float64)", lambda: model.to(torch.float64)),
        ("moving back to float32", lambda: model.to(torch.float32)),
        ("load_state_dict(perturbed)", lambda: model.load_state_dict(_perturbed(model, 1))),
        (
            "load_state_dict(perturbed, assign=True)",
            lambda: model.load_state_dict(_perturbed(model, 2), assign=True),
        ),
        ("one optimizer step", lambda: _train_step(model, batch, "logits")),
    ]
    _generate(model, prompt, steps, True)  # builds whatever the fast paths cache
    for what, update in updates:
        update()
        fast = _generate(model, prompt, steps, True)
        problem = f"After {what}, generate with fast paths on and off"
        _same_generation(
            fast, _generate(model, prompt, steps, False), atol, problem, _FOLLOW_PARAMETERS
        )
