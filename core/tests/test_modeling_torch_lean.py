"""`LeanGuard`: when a model may skip calling its modules, and when a cached plan is stale."""

import importlib

import pytest
import torch
from torch import nn

from tfx_core.modeling.torch.lean import LeanGuard, exactly
from tfx_core.modeling.torch.linear import linear


def _tree() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 2))).eval()


def test_fresh_guard_holds_at_inference_only():
    model = _tree()
    guard = LeanGuard(model)
    assert guard.same_structure()
    assert not guard.unobserved()  # autograd on
    with torch.inference_mode():
        assert guard.unobserved()
    with torch.no_grad():
        assert guard.unobserved()


@pytest.mark.parametrize(
    "change",
    [
        lambda m: setattr(m[1], "1", nn.Linear(4, 2)),  # module swapped (an adapter)
        lambda m: setattr(m[0], "weight", nn.Parameter(torch.zeros(4, 4))),  # parameter
        lambda m: m[1].register_module("extra", nn.Identity()),
        lambda m: setattr(m[1][0], "__class__", type("Norm", (nn.LayerNorm,), {})),
    ],
    ids=["module", "parameter", "register", "class"],
)
def test_structure_changes_are_seen(change):
    model = _tree()
    guard = LeanGuard(model)
    change(model)
    assert not guard.same_structure()


def test_data_changes_keep_the_structure():
    model = _tree()
    guard = LeanGuard(model)
    model.load_state_dict({k: torch.zeros_like(v) for k, v in model.state_dict().items()})
    model.to(torch.float64)
    assert guard.same_structure()


@pytest.mark.parametrize(
    "observe",
    [
        lambda m: m[1][1].register_forward_hook(lambda *a: None),
        lambda m: m[0].register_forward_pre_hook(lambda *a: None),
        lambda m: m[1][0].register_full_backward_hook(lambda *a: None),
        lambda m: nn.modules.module.register_module_forward_hook(lambda *a: None),
        lambda m: m[1].train(),
        lambda m: setattr(m[1][0], "forward", lambda x: x),
        lambda m: m[0].compile(),
    ],
    ids=[
        "hook",
        "pre-hook",
        "backward-hook",
        "global-hook",
        "training",
        "instance-forward",
        "compiled",
    ],
)
def test_observers_make_the_modules_run(observe):
    model = _tree()
    guard = LeanGuard(model)
    with torch.inference_mode():
        assert guard.unobserved()  # seen hook-free: later checks skip the hook scan...
    handle = observe(model)  # ...until a hook is registered
    with torch.inference_mode():
        assert not guard.unobserved()
    if hasattr(handle, "remove"):
        handle.remove()
        with torch.inference_mode():
            assert guard.unobserved()


def test_exactly_rejects_subclasses():
    class Adapter(nn.Linear):
        pass

    assert exactly(nn.Linear(2, 2), nn.Linear)
    assert not exactly(Adapter(2, 2), nn.Linear)


@pytest.fixture(params=["weight-major", "library"])
def product_choice(request, monkeypatch):
    """Both products `linear` may pick (it measures which is faster on this machine)."""
    linear_module = importlib.import_module("tfx_core.modeling.torch.linear")  # (the
    # package's `linear` attribute is the function)

    monkeypatch.setattr(linear_module, "_WEIGHT_MAJOR_FASTER", {})
    chosen = request.param == "weight-major"
    monkeypatch.setattr(linear_module, "_measure_weight_major", lambda *args: chosen)
    return chosen


@pytest.mark.parametrize("rows", [1, 16, 200])
def test_linear_transposed_result_matches(rows, product_choice):
    torch.manual_seed(0)
    x, weight, bias = torch.randn(rows, 256), torch.randn(512, 256), torch.randn(512)
    with torch.inference_mode():
        expected = torch.nn.functional.linear(x, weight, bias)
        for contiguous in (True, False):
            out = linear(x, weight, bias, contiguous=contiguous)
            assert out.shape == expected.shape
            assert (out - expected).abs().max() <= 1e-4
            if contiguous:
                assert out.is_contiguous()
            chained = linear(torch.relu(out), weight.t().contiguous())  # reads a view fine
            reference = torch.nn.functional.linear(torch.relu(expected), weight.t())
            assert (chained - reference).abs().max() <= 1e-3


def test_linear_measures_each_shape_once_and_draws_no_random_numbers(monkeypatch):
    linear_module = importlib.import_module("tfx_core.modeling.torch.linear")  # (the
    # package's `linear` attribute is the function)

    monkeypatch.setattr(linear_module, "_WEIGHT_MAJOR_FASTER", {})
    measured = []
    measure = linear_module._measure_weight_major

    def counting(x, rows, weight, bias):
        measured.append(rows)
        return measure(x, rows, weight, bias)

    monkeypatch.setattr(linear_module, "_measure_weight_major", counting)
    weight, bias = torch.randn(512, 256), torch.randn(512)
    state = torch.get_rng_state()
    with torch.inference_mode():
        for rows in (3, 4, 3, 1, 4, 1):  # 3 and 4 share the rows bucket 4
            out = linear(torch.ones(rows, 256), weight, bias)
            expected = torch.nn.functional.linear(torch.ones(rows, 256), weight, bias)
            assert (out - expected).abs().max() <= 1e-4
    assert measured == [3, 1]
    assert torch.equal(torch.get_rng_state(), state)
    assert set(linear_module._WEIGHT_MAJOR_FASTER.values()) <= {True, False}
