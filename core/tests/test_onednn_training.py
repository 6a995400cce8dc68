"""`training_linear`: products under autograd on oneDNN, equal to `F.linear`'s forward and
gradients, taken only where they apply, and invisible to patches, checkpointing and AD modes."""

import pytest
import torch
import torch.nn.functional as F

from tfx_core.encoder_config import EncoderConfig
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.linear import Linear, linear
from tfx_core.modeling.torch.onednn_training import (
    TRAIN_ROWS,
    onednn_available,
    uses_onednn_training,
)

pytestmark = pytest.mark.skipif(not onednn_available(), reason="PyTorch built without oneDNN")

ONEDNN = "_TrainingLinearBackward"


def _relative(a: torch.Tensor, reference: torch.Tensor) -> float:
    return ((a.double() - reference).abs().max() / reference.abs().max()).item()


def _case(shape, out_features, bias=True, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=generator).requires_grad_()
    weight = (torch.randn(out_features, shape[-1], generator=generator) * 0.05).requires_grad_()
    b = torch.randn(out_features, generator=generator).requires_grad_() if bias else None
    return x, weight, b


@pytest.mark.parametrize(
    ("shape", "out_features", "bias"),
    [
        ((1024, 384), 1152, True),
        ((16, 64, 384), 384, True),  # 3-D, MiniLM's attention products
        ((4, 64, 1536), 384, True),  # the feed-forward output
        ((300, 384), 1536, False),
        ((257, 512), 200, True),  # odd sizes
    ],
)
def test_forward_and_gradients_equal_float64_products(shape, out_features, bias):
    x, weight, b = _case(shape, out_features, bias)
    out = linear(x, weight, b)
    assert type(out.grad_fn).__name__ == ONEDNN
    grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    grads = torch.autograd.grad(out, [t for t in (x, weight, b) if t is not None], grad)

    x64, w64, g64 = x.detach().double(), weight.detach().double(), grad.double()
    flat, g_flat = x64.reshape(-1, shape[-1]), g64.reshape(-1, out_features)
    expected_out = x64 @ w64.T + (b.detach().double() if bias else 0)
    expected = [(g_flat @ w64).view(shape), g_flat.T @ flat]
    if bias:
        expected.append(g_flat.sum(0))
    assert _relative(out, expected_out) <= 1e-5
    for got, want in zip(grads, expected, strict=True):
        assert got.shape == want.shape
        assert _relative(got, want) <= 1e-5
    reference = F.linear(x, weight, b)  # and the standard autograd's, to the same bound
    ref_grads = torch.autograd.grad(reference, [t for t in (x, weight, b) if t is not None], grad)
    for got, want in zip(grads, ref_grads, strict=True):
        assert _relative(got, want.double()) <= 1e-5


def test_non_contiguous_input_and_expanded_output_gradient():
    _, weight, b = _case((300, 384), 512)
    x = torch.randn(384, 300).T.requires_grad_()  # [300, 384] with a column stride
    out = linear(x, weight, b)
    assert type(out.grad_fn).__name__ == ONEDNN
    out.sum().backward()  # `.sum()` hands back an expanded (stride 0) gradient
    grads = [t.grad.clone() for t in (x, weight, b)]
    for t in (x, weight, b):
        t.grad = None
    F.linear(x, weight, b).sum().backward()
    for got, t in zip(grads, (x, weight, b), strict=True):
        assert _relative(got, t.grad.double()) <= 1e-5


def test_gradients_only_for_what_requires_them():
    x, weight, b = _case((512, 384), 384)
    frozen = weight.detach()
    out = linear(x, frozen, b.detach())  # input only (e.g. frozen layers under an adapter)
    assert type(out.grad_fn).__name__ == ONEDNN
    out.square().sum().backward()
    assert x.grad is not None and frozen.grad is None
    expected = torch.autograd.grad(F.linear(x, frozen, b.detach()).square().sum(), x)[0]
    assert _relative(x.grad, expected.double()) <= 1e-5

    plain = x.detach()  # the first layer's input: no gradient wanted
    out = linear(plain, weight, b)
    assert type(out.grad_fn).__name__ == ONEDNN
    out.square().sum().backward()
    assert plain.grad is None and weight.grad is not None and b.grad is not None
    w_grad, b_grad = torch.autograd.grad(F.linear(plain, weight, b).square().sum(), (weight, b))
    assert _relative(weight.grad, w_grad.double()) <= 1e-5
    assert _relative(b.grad, b_grad.double()) <= 1e-5


def test_other_products_keep_f_linear(monkeypatch):
    x, weight, b = _case((512, 384), 384)
    assert uses_onednn_training(x, weight)
    assert not uses_onednn_training(x[: TRAIN_ROWS - 1], weight)  # few rows
    assert not uses_onednn_training(x.detach(), weight.detach())  # nothing to differentiate
    assert not uses_onednn_training(x.double(), weight.double())
    assert not uses_onednn_training(x[:, :100], weight)  # mismatch: F.linear's error
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not uses_onednn_training(x, weight)
    with fast_paths(False):
        assert not uses_onednn_training(x, weight)
        assert type(linear(x, weight, b).grad_fn).__name__ == "AddmmBackward0"
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    assert type(linear(x, weight, b).grad_fn).__name__ == "AddmmBackward0"
    monkeypatch.delenv("TFX_FAST_PATHS")
    assert type(linear(x[:, :8], weight[:, :8]).grad_fn).__name__ == "MmBackward0"  # small
    traced = torch.jit.trace(Linear(384, 384), x, check_trace=False)  # keeps the standard op
    assert "mkldnn" not in str(traced.graph) and "linear" in str(traced.graph)


def test_patched_forward_of_a_layer_is_honoured(monkeypatch):
    layer = Linear(384, 384)
    x = torch.randn(512, 384, requires_grad=True)
    assert type(layer(x).grad_fn).__name__ == ONEDNN
    layer.forward = lambda t: t * 2  # instance-level patch
    assert torch.equal(layer(x), x * 2)
    del layer.forward
    monkeypatch.setattr(Linear, "forward", lambda self, t: t * 3)  # class-level patch
    assert torch.equal(layer(x), x * 3)


def test_double_backward_and_forward_mode_equal_f_linear():
    x, weight, b = _case((300, 384), 384)
    results = []
    for fn in (linear, F.linear):
        out = fn(x, weight, b)
        (grad_x,) = torch.autograd.grad(out.square().sum(), x, create_graph=True)
        results.append(torch.autograd.grad(grad_x.square().sum(), (x, weight)))
    for got, want in zip(*results, strict=True):
        assert _relative(got, want.double()) <= 1e-5

    tangents = [torch.randn_like(t) for t in (x, weight, b)]
    with torch.autograd.forward_ad.dual_level():
        duals = [
            torch.autograd.forward_ad.make_dual(t.detach(), d)
            for t, d in zip((x, weight, b), tangents, strict=True)
        ]
        duals[1].requires_grad_()  # keeps autograd recording: the oneDNN path
        out = linear(*duals)
        assert type(out.grad_fn).__name__ == ONEDNN
        got = torch.autograd.forward_ad.unpack_dual(out).tangent
        want = torch.autograd.forward_ad.unpack_dual(F.linear(*duals)).tangent
    assert _relative(got, want.double()) <= 1e-5


class _Model(blocks.EncoderModel, PreTrainedModel):
    config_class = EncoderConfig
    base_model_prefix = "tiny"
    encoder_class = blocks.Encoder


def _encoder_gradients(checkpointing: dict | None = None, onednn: bool = True) -> list:
    config = EncoderConfig(
        vocab_size=100,
        hidden_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=512,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    model = _Model(config).train()
    if checkpointing is not None:
        model.gradient_checkpointing_enable(checkpointing)
    ids = torch.randint(3, 100, (4, 64), generator=torch.Generator().manual_seed(0))
    seen = []
    dense = model.encoder.layer[1].output.dense
    dense.register_forward_hook(lambda m, args, out: seen.append(type(out.grad_fn).__name__))
    hidden = model(input_ids=ids).last_hidden_state
    weights = torch.randn(hidden.shape, generator=torch.Generator().manual_seed(1))
    (hidden * weights).sum().backward()  # (the norm makes a plain sum of squares constant)
    assert (
        seen[-1] == ONEDNN
    ) == onednn  # (with reentrant checkpointing: recomputed with autograd)
    # (softmax ignores a key bias: its gradient is rounding noise around zero)
    named = model.named_parameters()
    return [p.grad for n, p in named if p.grad is not None and not n.endswith("key.bias")]


@pytest.mark.parametrize("checkpointing", [None, {"use_reentrant": True}, {"use_reentrant": False}])
def test_encoder_training_gradients_equal_the_standard_products(monkeypatch, checkpointing):
    got = _encoder_gradients(checkpointing)
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    want = _encoder_gradients(onednn=False)
    for a, b in zip(got, want, strict=True):
        assert _relative(a, b.double()) <= 1e-5
