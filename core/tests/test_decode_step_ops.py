"""The decode step's fewer ops are bitwise the ops they replace: rotary turns (`turn_half`),
SDPA over grouped keys (`enable_gqa`), the fused gate-and-up product of a gated MLP, RMSNorm
with float32 statistics, one-token head splits and merges."""

import pytest
import torch
import torch.nn.functional as F

from tfx_core.config import PretrainedConfig
from tfx_core.modeling.torch.attention import attention
from tfx_core.modeling.torch.blocks.decoder import DecoderMLP
from tfx_core.modeling.torch.blocks.functional import merge_heads, repeat_kv, split_heads
from tfx_core.modeling.torch.blocks.norms import upcast_rms_norm
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.rotary import (
    RotaryAngles,
    apply_rotary,
    half_turn_tables,
    joined_heads,
    rotate_half,
    turn_half,
)

DTYPES = [torch.float32, torch.bfloat16]


def _angles(batch, length, dim, dtype):
    angles = torch.randn(batch, length, dim, generator=torch.Generator().manual_seed(3)) * 5
    return angles.cos().to(dtype), angles.sin().to(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("length", [1, 6])
def test_apply_rotary_is_bitwise_the_reference_turn(dtype, length):
    generator = torch.Generator().manual_seed(0)
    query = torch.randn(2, 4, length, 8, generator=generator).to(dtype)
    key = torch.randn(2, 2, length, 8, generator=generator).to(dtype)
    cos, sin = _angles(2, length, 8, dtype)
    c, s = cos.unsqueeze(1), sin.unsqueeze(1)
    want = (query * c + rotate_half(query) * s, key * c + rotate_half(key) * s)
    for positions in (RotaryAngles((cos, sin)), (cos, sin)):
        got = apply_rotary(query, key, positions)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [1, 3])
def test_fused_projection_slices_turn_as_one_tensor_bitwise(dtype, batch):
    """One token's query and key heads, adjacent slices of a fused projection, turn in one
    go: the same bits as turning each."""
    fused = torch.randn(batch, 4 * 8 + 2 * 8 + 2 * 8, generator=torch.Generator().manual_seed(4))
    query, key, value = fused.to(dtype).split((32, 16, 16), dim=-1)
    query, key = query.view(batch, 4, 1, 8), key.view(batch, 2, 1, 8)
    joined = joined_heads(query, key)
    assert joined is not None and joined.shape == (batch, 6, 1, 8)
    assert torch.equal(joined[:, 4:], key) and torch.equal(joined[:, :4], query)
    cos, sin = _angles(batch, 1, 8, dtype)
    c, s = cos.unsqueeze(1), sin.unsqueeze(1)
    got = apply_rotary(query, key, RotaryAngles((cos, sin)))
    assert torch.equal(got[0], query * c + rotate_half(query) * s)
    assert torch.equal(got[1], key * c + rotate_half(key) * s)
    assert joined_heads(query, key.clone()) is None  # separate memory: turned one by one
    assert joined_heads(query, value.view(batch, 2, 1, 8)) is None  # not the next heads


def test_rotary_angles_compute_the_head_tables_once():
    cos, sin = _angles(1, 3, 8, torch.float32)
    positions = RotaryAngles((cos, sin))
    first = positions.head_tables()
    assert positions.head_tables() is first
    signed = first[1]
    assert torch.equal(signed[0, 0, :, :4], -sin[0, :, :4])
    assert torch.equal(signed[0, 0, :, 4:], sin[0, :, 4:])
    x = torch.randn(1, 2, 3, 8)
    assert torch.equal(turn_half(x, *half_turn_tables(cos, sin)), turn_half(x, *first))


def test_partial_rotary_tables_keep_the_passed_channels():
    query, key = torch.randn(1, 2, 3, 8), torch.randn(1, 2, 3, 8)
    cos, sin = _angles(1, 3, 4, torch.float32)  # the first 4 of 8 channels turn
    turned_query, turned_key = apply_rotary(query, key, RotaryAngles((cos, sin)))
    assert torch.equal(turned_query[..., 4:], query[..., 4:])
    c, s = cos.unsqueeze(1), sin.unsqueeze(1)
    want = key[..., :4] * c + rotate_half(key[..., :4]) * s
    assert torch.equal(turned_key[..., :4], want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("query_length", "key_length", "masked"), [(1, 9, False), (1, 9, True), (5, 5, False)]
)
def test_grouped_keys_attend_bitwise_as_repeated_heads(dtype, query_length, key_length, masked):
    generator = torch.Generator().manual_seed(1)
    query = torch.randn(2, 8, query_length, 16, generator=generator).to(dtype)
    key = torch.randn(2, 2, key_length, 16, generator=generator).to(dtype)
    value = torch.randn(2, 2, key_length, 16, generator=generator).to(dtype)
    mask = None
    if masked:
        mask = torch.zeros(2, 1, query_length, key_length, dtype=dtype)
        mask[0, ..., :3] = torch.finfo(dtype).min
    causal = query_length == key_length
    repeated = (repeat_kv(key, 4), repeat_kv(value, 4))
    for implementation in ("sdpa", "eager"):
        want, want_weights = attention(
            query, *repeated, attention_mask=mask, is_causal=causal, implementation=implementation
        )
        got, weights = attention(
            query, key, value, attention_mask=mask, is_causal=causal, implementation=implementation
        )
        assert torch.equal(got, want)
        assert (weights is None) == (want_weights is None)
        if weights is not None:
            assert torch.equal(weights, want_weights)


class _MLPConfig(PretrainedConfig):
    model_type = "decode-step-ops-test"


def _mlp(dtype):
    config = _MLPConfig(hidden_size=64, intermediate_size=96, hidden_act="silu", mlp_bias=False)
    torch.manual_seed(0)
    return DecoderMLP(config).to(dtype).eval()


@pytest.mark.parametrize("dtype", DTYPES)
def test_gated_mlp_fuses_gate_and_up_with_the_same_parameters(dtype):
    mlp = _mlp(dtype)
    keys = list(mlp.state_dict())
    gate, up = mlp.gate_proj.weight, mlp.up_proj.weight
    hidden = torch.randn(3, 5, 64).to(dtype)
    with torch.no_grad(), fast_paths(False):
        separate = mlp(hidden)  # the modules one by one
        assert mlp.gate_up.weights() is None
    with torch.no_grad():
        fused = mlp(hidden)
        weight, _ = mlp.gate_up.weights()
    assert torch.equal(fused, separate)
    assert weight.shape == (192, 64)
    assert mlp.gate_proj.weight is gate and mlp.up_proj.weight is up
    assert gate.data_ptr() == weight.data_ptr()  # the Parameters now view the fused matrix
    assert list(mlp.state_dict()) == keys


def test_gated_mlp_lean_functions_bind_one_fused_product():
    mlp = _mlp(torch.bfloat16)
    hidden = torch.randn(2, 64).to(torch.bfloat16)
    with torch.no_grad():
        functions = mlp.lean_functions()
        assert functions["gate"] is None
        product = functions["up"](hidden)
        want = torch.cat([mlp.gate_proj(hidden), mlp.up_proj(hidden)], dim=-1)
        assert torch.equal(product, want)
        assert torch.equal(functions["down"](functions["activation"](product)), mlp(hidden))


def test_a_hook_on_the_gate_projection_runs_the_modules():
    mlp = _mlp(torch.float32)
    calls = []
    mlp.gate_proj.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        mlp(torch.randn(2, 64))
        assert mlp.gate_up.weights() is None
        assert mlp.lean_functions()["gate"] is not None
    assert calls == [1]


@pytest.mark.parametrize("eps", [1e-6, None])
def test_upcast_rms_norm_is_bitwise_the_reference_order(eps):
    generator = torch.Generator().manual_seed(2)
    weight = torch.randn(48, generator=generator).to(torch.bfloat16)
    for scale in (1e-3, 1.0, 1e3):
        hidden = (torch.randn(3, 4, 48, generator=generator) * scale).to(torch.bfloat16)
        want = weight * F.rms_norm(hidden.float(), (48,), None, eps).to(torch.bfloat16)
        assert torch.equal(upcast_rms_norm(hidden, weight, eps, (48,)), want)


def test_one_token_head_splits_and_merges_equal_the_transposed_views():
    x = torch.randn(3, 1, 40)
    split = split_heads(x, 3, 1, 5)
    assert torch.equal(split, x.view(3, 1, 5, 8).transpose(1, 2))
    assert torch.equal(merge_heads(split), x)
    rows = torch.randn(3, 40)[:, :24]  # a column slice of a fused projection, one row a token
    assert torch.equal(split_heads(rows, 3, 1, 3), rows.reshape(3, 1, 3, 8).transpose(1, 2))
