"""Attention with probability dropout as one autograd Function (CPU training)."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F

from tfx_core.modeling.torch.attention import attention, causal_mask
from tfx_core.modeling.torch.dropout import WIDE_DRAW_ELEMENTS, keep_mask
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.training_attention import (
    training_attention,
    uses_training_attention,
)

ATTENTION = sys.modules["tfx_core.modeling.torch.attention"]
MIN = torch.finfo(torch.float32).min


def _explicit(query, key, value, mask, p, scale, seed):
    """The math path written out, drawing the noise as the Function does (same seed)."""
    scores = torch.matmul(query, key.transpose(-1, -2)) * scale
    if mask is not None:
        scores = scores + mask
    probs = torch.softmax(scores, -1)
    if mask is not None:  # rows masked everywhere with -inf: zero weights, as SDPA
        probs = probs.masked_fill(torch.isneginf(mask).all(-1, keepdim=True), 0.0)
    torch.manual_seed(seed)
    noise = keep_mask(probs.reshape(-1, *probs.shape[2:]), p).view(probs.shape) / (1 - p)
    return torch.matmul(probs * noise, value)


def _inputs(dtype=torch.float32, q_len=5, k_len=6, heads=3, kv_heads=None, seed=0):
    generator = torch.Generator().manual_seed(seed)

    def heads_view(length, n):  # a transposed view, as the blocks' `split_heads` gives
        x = torch.randn(2, length, n * 4, generator=generator, dtype=dtype)
        return x.view(2, length, n, 4).transpose(1, 2).detach().requires_grad_()

    kv_heads = kv_heads or heads
    return heads_view(q_len, heads), heads_view(k_len, kv_heads), heads_view(k_len, kv_heads)


def _padding(dtype=torch.float32):
    mask = torch.zeros(2, 1, 1, 6, dtype=dtype)
    mask[0, ..., -2:] = torch.finfo(dtype).min
    return mask


MASKS = {
    "none": lambda dtype: None,
    "padding": _padding,
    "per_query": lambda dtype: torch.randn(2, 1, 5, 6, dtype=dtype),
    "shared": lambda dtype: torch.randn(1, 1, 5, 6, dtype=dtype),
    "per_head_strided": lambda dtype: torch.randn(2, 5, 3, 6, dtype=dtype).transpose(1, 2),
    "causal": lambda dtype: causal_mask(None, 5, 6, dtype, torch.device("cpu")),
}


@pytest.mark.parametrize("mask_kind", list(MASKS))
def test_output_and_gradients_match_the_explicit_math(mask_kind: str) -> None:
    query, key, value = _inputs()
    assert query.shape[0] * query.shape[1] * 5 * 6 < WIDE_DRAW_ELEMENTS  # the `rand_like` draw
    mask = MASKS[mask_kind](torch.float32)
    torch.manual_seed(7)
    out = training_attention(query, key, value, mask, 0.3)
    upstream = torch.randn_like(out)
    grads = torch.autograd.grad(out, (query, key, value), upstream)
    expected = _explicit(query, key, value, mask, 0.3, 0.5, seed=7)
    expected_grads = torch.autograd.grad(expected, (query, key, value), upstream)
    plain = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=0.5)
    assert not torch.allclose(out, plain)  # something was dropped
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-6)
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)


def test_rows_masked_with_minus_inf_get_zero_weights_as_sdpa() -> None:
    query, key, value = _inputs(torch.float64)
    mask = torch.zeros(2, 1, 5, 6, dtype=torch.float64)
    mask[0, 0, 1] = float("-inf")  # query 1 of batch 0 sees no key
    mask[1, 0, :, :2] = float("-inf")
    torch.manual_seed(6)
    out = training_attention(query, key, value, mask, 0.2)
    assert torch.equal(out[0, :, 1], torch.zeros_like(out[0, :, 1]))
    assert not out.isnan().any()
    torch.testing.assert_close(out, _explicit(query, key, value, mask, 0.2, 0.5, seed=6))
    out.sum().backward()
    assert all(not t.grad.isnan().any() for t in (query, key, value))

    def fn(*xs):
        torch.manual_seed(6)
        return training_attention(*xs, mask, 0.2)

    inputs = [t.detach().requires_grad_() for t in (query, key, value)]
    assert torch.autograd.gradcheck(fn, inputs)
    assert torch.autograd.gradgradcheck(fn, inputs, fast_mode=True)


def test_attention_dispatches_and_equals_the_explicit_math() -> None:
    query, key, value = _inputs()
    mask = _padding()
    torch.manual_seed(3)
    out, weights = attention(query, key, value, attention_mask=mask, dropout_p=0.2, scale=0.7)
    assert weights is None
    torch.testing.assert_close(
        out, _explicit(query, key, value, mask, 0.2, 0.7, seed=3), atol=1e-6, rtol=1e-6
    )


def test_causal_and_grouped_heads_through_attention() -> None:
    query, key, value = _inputs(q_len=6, heads=4, kv_heads=2)
    torch.manual_seed(11)
    out, _ = attention(query, key, value, is_causal=True, dropout_p=0.25)
    causal = causal_mask(None, 6, 6, torch.float32, torch.device("cpu"))
    repeated = [t.repeat_interleave(2, 1) for t in (key, value)]
    expected = _explicit(query, *repeated, causal, 0.25, 0.5, seed=11)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-6)
    upstream = torch.randn_like(out)
    got = torch.autograd.grad(out, (query, key, value), upstream)
    want = torch.autograd.grad(expected, (query, key, value), upstream)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)


def test_wide_draw_matches_the_explicit_math() -> None:
    query, key, value = _inputs(q_len=128, k_len=128, heads=4)  # 2 * 4 * 128 * 128 scores
    assert WIDE_DRAW_ELEMENTS <= 2 * 4 * 128 * 128
    causal = causal_mask(None, 128, 128, torch.float32, torch.device("cpu"))
    torch.manual_seed(9)
    out = training_attention(query, key, value, causal, 0.1)
    expected = _explicit(query, key, value, causal, 0.1, 0.5, seed=9)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-6)
    upstream = torch.randn_like(out)
    got = torch.autograd.grad(out, (query, key, value), upstream)
    want = torch.autograd.grad(expected, (query, key, value), upstream)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mask_kind", ["none", "padding", "per_query"])
def test_float64_gradcheck_and_double_backward(mask_kind: str) -> None:
    query, key, value = _inputs(torch.float64, q_len=3, k_len=6, heads=2)
    mask = MASKS[mask_kind](torch.float64)
    if mask is not None and mask.shape[-2] == 5:
        mask = mask[..., :3, :].contiguous()
    inputs = [query, key, value]
    if mask_kind == "per_query":  # a learned bias (relative positions) gets its gradient too
        mask.requires_grad_()
        inputs.append(mask)

    def fn(*xs):
        torch.manual_seed(5)  # the same noise on every call
        return training_attention(xs[0], xs[1], xs[2], xs[3] if len(xs) > 3 else mask, 0.4)

    assert torch.autograd.gradcheck(fn, inputs)
    assert torch.autograd.gradgradcheck(fn, inputs, fast_mode=True)


def test_double_backward_matches_the_explicit_math() -> None:
    query, key, value = _inputs(torch.float64)
    mask = _padding(torch.float64)
    torch.manual_seed(2)
    out = training_attention(query, key, value, mask, 0.3)
    expected = _explicit(query, key, value, mask, 0.3, 0.5, seed=2)
    grads = torch.autograd.grad(out.square().sum(), (query, key, value), create_graph=True)
    want = torch.autograd.grad(expected.square().sum(), (query, key, value), create_graph=True)
    second = torch.autograd.grad(sum(g.square().sum() for g in grads), (query, key, value))
    second_want = torch.autograd.grad(sum(g.square().sum() for g in want), (query, key, value))
    for a, b in zip((*grads, *second), (*want, *second_want)):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("rows", [256, 4 * WIDE_DRAW_ELEMENTS // 128])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_rate_and_scale(p: float, rows: int) -> None:
    # one key per row: softmax is exactly 1, so the output is the value times the noise
    query = torch.randn(8, 16, rows, 4)
    key = torch.randn(8, 16, 1, 4)
    value = torch.ones(8, 16, 1, 4)
    torch.manual_seed(0)
    out = training_attention(query, key, value, None, p)
    kept = out[..., 0] != 0
    n = kept.numel()
    sigma = (p * (1 - p) / n) ** 0.5
    assert abs(kept.double().mean().item() - (1 - p)) < 5 * sigma
    assert torch.equal(out[kept], torch.full_like(out[kept], 1 / (1 - p)))


def test_eval_and_zero_dropout_stay_on_sdpa() -> None:
    query, key, value = _inputs()
    mask = _padding()
    out, _ = attention(query, key, value, attention_mask=mask, dropout_p=0.0)
    assert torch.equal(out, F.scaled_dot_product_attention(query, key, value, attn_mask=mask))
    torch.manual_seed(1)
    full, _ = attention(query, key, value, attention_mask=mask, dropout_p=1.0)
    torch.manual_seed(1)
    assert torch.equal(
        full, F.scaled_dot_product_attention(query, key, value, attn_mask=mask, dropout_p=1.0)
    )


def test_fast_paths_off_and_other_cases_use_sdpa(monkeypatch: pytest.MonkeyPatch) -> None:
    query, key, value = _inputs()
    calls = []
    real = ATTENTION.training_attention
    monkeypatch.setattr(
        ATTENTION, "training_attention", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    attention(query, key, value, dropout_p=0.1)
    assert len(calls) == 1
    with fast_paths(False):
        torch.manual_seed(4)
        out, _ = attention(query, key, value, dropout_p=0.1)
    torch.manual_seed(4)
    assert torch.equal(out, F.scaled_dot_product_attention(query, key, value, dropout_p=0.1))
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    attention(query, key, value, dropout_p=0.1)
    monkeypatch.delenv("TFX_FAST_PATHS")
    attention(query, key, value, dropout_p=0.1, output_attentions=True)  # eager keeps its path
    attention(query, key, value, dropout_p=0.1, implementation="eager")
    attention(query, key, value, attention_mask=torch.ones(5, 6, dtype=torch.bool), dropout_p=0.1)
    attention(query.half(), key.half(), value.half(), dropout_p=0.1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        attention(query, key, value, dropout_p=0.1)
    assert len(calls) == 1


def test_not_used_under_forward_ad_or_vmap() -> None:
    query, key, value = _inputs()
    assert uses_training_attention(query, key, value, None, 0.1)
    assert not uses_training_attention(query, key, value, None, 0.0)
    assert not uses_training_attention(query, key, value, None, 1.0)
    assert not uses_training_attention(query, key, value, _padding().bool(), 0.1)
    assert not uses_training_attention(query, key, value, _padding().double(), 0.1)
    import torch.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        dual = fwAD.make_dual(query.detach(), torch.randn_like(query))
        assert not uses_training_attention(dual, key, value, None, 0.1)
        out, _ = attention(dual, key.detach(), value.detach(), dropout_p=0.1)
        assert fwAD.unpack_dual(out).tangent is not None
    seen = []

    def per_sample(q):
        seen.append(uses_training_attention(q, q, q, None, 0.1))
        return q

    torch.func.vmap(per_sample)(query.detach())
    assert seen == [False]


def test_blocks_train_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A BERT-style encoder layer in training mode reaches the Function; every weight gets a
    gradient."""
    from tfx_core.modeling.torch.blocks.encoder import EncoderLayer

    config = type(
        "Config",
        (),
        dict(
            hidden_size=16,
            num_attention_heads=2,
            intermediate_size=24,
            hidden_act="gelu",
            layer_norm_eps=1e-12,
            hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1,
            position_embedding_type="absolute",
            max_position_embeddings=32,
            is_decoder=False,
        ),
    )()
    calls = []
    real = ATTENTION.training_attention
    monkeypatch.setattr(
        ATTENTION, "training_attention", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    layer = EncoderLayer(config).train()
    hidden = torch.randn(2, 7, 16)
    layer(hidden, None)[0].sum().backward()
    assert calls and all(p.grad is not None for p in layer.parameters())
