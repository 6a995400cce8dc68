"""The Trainer's lean optimizer step and gradient clipping: bitwise torch's, and out of the way
whenever something could tell the difference."""

from __future__ import annotations

import copy
import functools
import io
import warnings

import pytest
import torch
from torch import nn

from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.training.lean_step import (
    GradClipper,
    OptimizerStep,
    unpooled_state_dict,
)


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.LayerNorm(5), nn.Linear(5, 3))


def _optimizer(model: nn.Module, decay_rate: float = 0.1, **kwargs) -> torch.optim.Optimizer:
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and n != "1.weight"]
    rest = [p for p in model.parameters() if all(p is not q for q in decay)]
    options = dict(lr=1e-2, betas=(0.8, 0.95), eps=1e-7, fused=True) | kwargs
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": decay_rate}, {"params": rest, "weight_decay": 0.0}],
        **options,
    )


def _backward(model: nn.Module, step: int) -> None:
    generator = torch.Generator().manual_seed(step)
    inputs = torch.randn(4, 6, generator=generator)
    model(inputs).square().mean().mul(10).backward()


def _train(steps: int, lean: bool, max_norm: float = 0.5, **optimizer_kwargs):
    """Train with (or without) the lean step and clipper; the model, optimizer and norms."""
    model = _model()
    optimizer = _optimizer(model, **optimizer_kwargs)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1.0 - k / (2 * steps))
    params = list(model.parameters())
    step, clip = OptimizerStep(optimizer), GradClipper(params)
    norms = []
    for k in range(steps):
        _backward(model, k)
        if lean:
            norms.append(clip(max_norm))
            step()
        else:
            norms.append(torch.nn.utils.clip_grad_norm_(params, max_norm))
            optimizer.step()
        scheduler.step()
        for p in params:
            p.grad = None
    return model, optimizer, torch.stack(norms), step


def _assert_same(a, b) -> None:
    (model_a, optimizer_a, norms_a, _), (model_b, optimizer_b, norms_b, _) = a, b
    assert torch.equal(norms_a, norms_b)
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(p, q)
    state_a, state_b = optimizer_a.state_dict(), optimizer_b.state_dict()
    assert state_a["param_groups"] == state_b["param_groups"]
    for key, entry in state_a["state"].items():
        for name, value in entry.items():
            assert torch.equal(value, state_b["state"][key][name]), name


@pytest.mark.parametrize(
    "max_norm, decay_rate",
    [(0.5, 0.1), (1e3, 0.0)],  # clipping every step, groups apart; no clipping, groups joined
)
def test_lean_step_and_clip_are_bitwise_torch(max_norm, decay_rate):
    lean = _train(6, lean=True, max_norm=max_norm, decay_rate=decay_rate)
    _assert_same(lean, _train(6, lean=False, max_norm=max_norm, decay_rate=decay_rate))
    assert lean[3].plan is not None  # the lean step did run (after the first, initialising step)
    norms = lean[2]
    assert bool((norms > max_norm).all()) == (max_norm < 1)  # both branches of the clipper


def _saved(state_dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    return buffer.getvalue()


def test_step_counters_share_one_buffer_and_save_as_torch_does():
    """The lean step counts steps in one buffer; the state reads as torch's, a checkpoint's
    bytes are torch's, and a saved state resumes into either path exactly."""
    model, optimizer, _, step = _train(5, lean=True)
    plain_model, plain_optimizer, *_ = _train(5, lean=False)
    steps = [optimizer.state[p]["step"] for p in model.parameters()]
    buffer = step.plan.step_buffer
    assert buffer is not None and torch.equal(buffer, torch.full((len(steps),), 5.0))
    assert all(s.untyped_storage().data_ptr() == buffer.untyped_storage().data_ptr() for s in steps)
    assert all(torch.equal(s, torch.tensor(5.0)) and s.dim() == 0 for s in steps)
    assert _saved(unpooled_state_dict(optimizer)) == _saved(plain_optimizer.state_dict())
    assert steps[0].untyped_storage().nbytes() == 4 * len(steps)  # the live state left pooled
    # a state saved as it is (pooled) loads back, and both copies go on alike
    pooled = torch.load(io.BytesIO(_saved(optimizer.state_dict())), weights_only=True)
    optimizer.load_state_dict(pooled)
    plain_optimizer.load_state_dict(torch.load(io.BytesIO(_saved(plain_optimizer.state_dict()))))
    for k in range(5, 8):
        for m in (model, plain_model):
            _backward(m, k)
        step()
        plain_optimizer.step()
        for m in (model, plain_model):
            m.zero_grad(set_to_none=True)
    assert step.plan is not None and step.plan.state is optimizer.state  # rebound and pooled
    assert step.plan.step_buffer is not None
    for p, q in zip(model.parameters(), plain_model.parameters(), strict=True):
        assert torch.equal(p, q) and torch.equal(optimizer.state[p]["step"], torch.tensor(8.0))


def test_switch_leaves_the_step_counters_as_torch_makes_them():
    """With `TFX_FAST_PATHS=0` no plan is bound: each counter keeps its own storage."""
    with fast_paths(False):
        model, optimizer, _, step = _train(3, lean=True)
    assert step.plan is None
    for p in model.parameters():
        counter = optimizer.state[p]["step"]
        assert counter.untyped_storage().nbytes() == counter.nbytes


def test_plain_adam_and_resumed_state_match_too():
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=0.05, fused=True)
    reference = _model()
    reference_optimizer = torch.optim.Adam(
        reference.parameters(), lr=1e-2, weight_decay=0.05, fused=True
    )
    step = OptimizerStep(optimizer)
    for k in range(5):
        for m in (model, reference):
            _backward(m, k)
        step()
        reference_optimizer.step()
        for m in (model, reference):
            m.zero_grad(set_to_none=True)
        if k == 2:  # a resume: new state tensors, the plan must rebind to them
            optimizer.load_state_dict(copy.deepcopy(reference_optimizer.state_dict()))
    assert step.plan is not None and step.plan.state is optimizer.state
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize(
    "case", ["instance_patch", "class_patch", "hook", "switch", "profiler", "missing_grad"]
)
def test_torch_step_runs_when_something_could_tell(case, monkeypatch):
    model = _model()
    optimizer = _optimizer(model)
    if case != "class_patch":  # the scheduler's wrapper on the instance calls the class's
        torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1.0)  # step as it was then
    step = OptimizerStep(optimizer)
    params = list(model.parameters())
    _backward(model, 0)
    step()  # initialises the state; the plan is bound from then on
    assert step.plan is not None
    lean_runs: list[int] = []
    monkeypatch.setattr(step.plan, "run", lambda grads: lean_runs.append(1))
    calls: list[str] = []
    if case == "instance_patch":
        original = optimizer.step

        @functools.wraps(original)
        def patched(*args, **kwargs):
            calls.append("step")
            return original(*args, **kwargs)

        optimizer.step = patched
    elif case == "class_patch":
        original = torch.optim.AdamW.step

        @functools.wraps(original)
        def patched(self, *args, **kwargs):
            calls.append("step")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(torch.optim.AdamW, "step", patched)
    elif case == "hook":
        optimizer.register_step_post_hook(lambda *args: calls.append("step"))
    elif case == "switch":
        monkeypatch.setenv("TFX_FAST_PATHS", "0")
    before = [p.detach().clone() for p in params]
    _backward(model, 1)
    if case == "missing_grad":  # torch skips a parameter without gradient
        params[0].grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. the scheduler's "step() before optimizer.step()"
        if case == "profiler":
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
                step()
            names = {event.name for event in prof.events()}
            assert "Optimizer.step#AdamW.step" in names
        else:
            step()
    assert lean_runs == []
    if case in ("instance_patch", "class_patch", "hook"):
        assert calls == ["step"]
    assert torch.equal(params[0], before[0]) == (case == "missing_grad")
    assert not torch.equal(params[2], before[2])


def test_unsupported_optimizers_take_the_torch_step():
    model = _model()
    for optimizer in (
        _optimizer(model, fused=None, foreach=True),
        _optimizer(model, amsgrad=True),
        torch.optim.SGD(model.parameters(), lr=0.1),
    ):
        step = OptimizerStep(optimizer)
        for k in range(2):
            _backward(model, k)
            step()
            model.zero_grad(set_to_none=True)
        assert step.plan is None


def test_clipper_falls_back_for_mixed_gradients_and_the_switch(monkeypatch):
    mixed = [nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2, dtype=torch.float64))]
    for p in mixed:
        p.grad = torch.full_like(p, 3.0)
    clipper = GradClipper(mixed)
    assert not clipper.uniform
    torch.testing.assert_close(clipper(1.0).double(), torch.tensor(6.0, dtype=torch.float64))
    plain = [nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(3))]
    plain[0].grad = torch.full((2,), 4.0)  # the second has no gradient: skipped, as torch does
    calls = []
    original = torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(
        torch.nn.utils, "clip_grad_norm_", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    with fast_paths(False):
        norm = GradClipper(plain)(1.0)
    assert calls == [1]  # the switch: torch's function, and a patched one is honoured
    torch.testing.assert_close(norm, torch.tensor(32.0**0.5))
    plain[0].grad = torch.full((2,), 4.0)
    assert torch.equal(GradClipper(plain)(1.0), norm)
    assert calls == [1, 1]
    monkeypatch.undo()
    plain[0].grad = torch.full((2,), 4.0)
    assert torch.equal(GradClipper(plain)(1.0), norm)
    assert calls == [1, 1]
    torch.testing.assert_close(plain[0].grad, torch.full((2,), 4.0 / (32.0**0.5 + 1e-6)))


def test_clipper_with_a_non_contiguous_gradient_is_torch_clip():
    """A transposed gradient (where the order of its sum shows): the same norm and clipped
    gradients as torch's function."""
    torch.manual_seed(0)
    params = [nn.Parameter(torch.randn(64, 64)) for _ in range(3)]
    spread = torch.logspace(-3, 3, 64)  # magnitudes where the order of the sum shows
    grads = [(torch.randn(64, 64) * spread).t(), torch.randn(64, 64), torch.randn(64, 64)]

    def set_grads():
        for p, g in zip(params, grads, strict=True):
            p.grad = g.clone() if g.is_contiguous() else g.t().clone().t()

    set_grads()
    assert not params[0].grad.is_contiguous()
    norm = GradClipper(params)(0.5)
    clipped = [p.grad for p in params]
    set_grads()
    assert torch.equal(norm, torch.nn.utils.clip_grad_norm_(params, 0.5))
    for p, q in zip(params, clipped, strict=True):
        assert torch.equal(p.grad, q)


def test_trainer_steps_equal_torch_steps(tiny, tmp_path, monkeypatch):
    """End to end: the Trainer's lean step and clipping give the weights torch's functions give."""
    from tfx_core.training import Trainer, TrainingArguments, loop

    def train(folder):
        args = TrainingArguments(
            tmp_path / folder,
            per_device_train_batch_size=4,
            max_steps=6,
            learning_rate=1e-3,
            weight_decay=0.01,
            max_grad_norm=0.05,  # small enough to clip every step
            disable_tqdm=True,
            save_steps=6,
            logging_steps=2,
        )
        trainer = Trainer(
            tiny.bert_model(), args, train_dataset=tiny.rows(24), data_collator=tiny.collator()
        )
        trainer.train()
        return trainer

    lean = train("lean")
    monkeypatch.setattr(loop, "OptimizerStep", lambda optimizer: optimizer.step)
    monkeypatch.setattr(
        loop,
        "GradClipper",
        lambda params: functools.partial(torch.nn.utils.clip_grad_norm_, params),
    )
    plain = train("plain")
    assert [e.get("grad_norm") for e in lean.state.log_history] == [
        e.get("grad_norm") for e in plain.state.log_history
    ]
    for p, q in zip(lean.model.parameters(), plain.model.parameters(), strict=True):
        assert torch.equal(p, q)
    for name in ("optimizer.pt", "model.safetensors", "scheduler.pt"):  # the same files
        saved = [(tmp_path / run / "checkpoint-6" / name).read_bytes() for run in ("lean", "plain")]
        assert saved[0] == saved[1], name


@pytest.mark.parametrize("lean", [True, False])
def test_fused_steps_bump_weight_versions_so_laid_out_copies_refresh(lean):
    """Fused optimizer kernels write weights without bumping their in-place versions; both the
    lean step and torch's own fused step must bump them, or a cached oneDNN layout of a weight
    (an evaluation during training) would keep the weights of before the step."""
    from tfx_core.modeling.torch import onednn

    torch.manual_seed(0)
    layer = nn.Linear(512, 256)
    optimizer = torch.optim.AdamW(layer.parameters(), lr=1e-1, fused=True)
    step = OptimizerStep(optimizer)
    rows = torch.randn(300, 512)
    for _ in range(3):
        with torch.no_grad():  # lays the weight out (where oneDNN is available) and keeps it
            before = onednn.dense(rows, layer.weight, layer.bias)
        versions = [p._version for p in layer.parameters()]
        layer(rows).square().mean().backward()
        step() if lean else optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        assert all(p._version > v for p, v in zip(layer.parameters(), versions, strict=True))
        with torch.no_grad():
            after = onednn.dense(rows, layer.weight, layer.bias)
            expected = torch.nn.functional.linear(rows, layer.weight, layer.bias)
        assert not torch.equal(after, before)
        torch.testing.assert_close(after, expected, rtol=1e-5, atol=1e-5)


def test_lean_step_runs_beside_tfx_version_hook_but_not_beside_a_users_global_hook(monkeypatch):
    """tfx's own global post-step hook (bumping fused weights' versions) leaves the lean step
    on; any other global hook makes the step go through `optimizer.step()`, so it runs."""
    from torch.optim.optimizer import register_optimizer_step_post_hook

    from tfx_core.modeling.torch import fused_optimizers

    assert not fused_optimizers.other_global_post_hooks()  # ours is registered on import
    model = _model()
    step = OptimizerStep(_optimizer(model))
    _backward(model, 0)
    step()
    lean_runs: list[int] = []
    run = step.plan.run
    monkeypatch.setattr(step.plan, "run", lambda grads: lean_runs.append(1) or run(grads))
    _backward(model, 1)
    step()
    assert lean_runs == [1]
    calls: list[int] = []
    handle = register_optimizer_step_post_hook(lambda *a: calls.append(1))
    try:
        assert fused_optimizers.other_global_post_hooks()
        _backward(model, 2)
        step()
    finally:
        handle.remove()
    assert lean_runs == [1] and calls == [1]


def test_clip_coefficient_in_python_is_torchs_bitwise():
    """The CPU float32 coefficient computed in Python rounds as torch's tensor ops do."""
    from tfx_core.training.lean_step import _float32_coefficient

    generator = torch.Generator().manual_seed(0)
    totals = torch.pow(10.0, torch.empty(4000).uniform_(-8, 8, generator=generator))
    for max_norm in (1.0, 0.5, 0.1, 3.0, 0.731):
        for total in totals:
            expected = torch.clamp(max_norm / (total + 1e-6), max=1.0).item()
            assert _float32_coefficient(max_norm, total.item()) == expected


@pytest.mark.parametrize("scale", [1e-3, 0.7, 1.3, 50.0])
def test_clipper_scaled_gradients_are_torch_clips_bitwise(scale: float):
    torch.manual_seed(1)
    params = [nn.Parameter(torch.randn(33, 7)) for _ in range(4)]
    grads = [torch.randn(33, 7) * scale for _ in params]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    norm = GradClipper(params)(1.0)
    ours = [p.grad.clone() for p in params]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    assert torch.equal(norm, torch.nn.utils.clip_grad_norm_(params, 1.0))
    assert all(torch.equal(a, p.grad) for a, p in zip(ours, params, strict=True))
