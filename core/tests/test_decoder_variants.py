"""Decoder-block switches for older decoders: a per-layer attention window (GPT-Neo's local
layers), the parallel residual (GPT-J), the post-norm layer (OpenAI GPT), interleaved partial
rotary embeddings (GPT-J), an output bias in the decode plan's head (GPT-J, CTRL)."""

import pytest
import torch
import torch.nn.functional as F

from tfx_core.config import PretrainedConfig
from tfx_core.modeling.torch.blocks.functional import (
    causal_self_attention,
    parallel_residual_layer,
    post_norm_layer,
    pre_norm_layer,
)
from tfx_core.modeling.torch.cache import DynamicCache
from tfx_core.modeling.torch.conv1d import output_layout_product
from tfx_core.modeling.torch.masks import sliding_window_bias
from tfx_core.modeling.torch.rotary import (
    RotaryEmbedding,
    apply_interleaved_rotary,
    rotary_dim,
    rotate_pairs,
)


def _projections(hidden=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(3 * hidden, hidden, generator=generator) / 4
    out = torch.randn(hidden, hidden, generator=generator) / 4
    return (lambda x: F.linear(x, weight)), (lambda x: F.linear(x, out))


def test_window_masks_keys_behind_it_with_and_without_cache():
    qkv, output = _projections()
    x = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(1))
    args = dict(qkv=qkv, output=output, heads=4, kv_heads=4, layer_idx=0)
    full, _ = causal_self_attention(x, is_causal=True, window=3, **args)
    bias, _ = sliding_window_bias(None, True, 3, 0, 7, x)
    explicit, _ = causal_self_attention(x, bias=bias, **args)
    assert torch.allclose(full, explicit, atol=1e-6)
    unwindowed, _ = causal_self_attention(x, is_causal=True, **args)
    assert torch.allclose(full[:, :3], unwindowed[:, :3], atol=1e-6)  # inside the window
    assert not torch.allclose(full[:, 3:], unwindowed[:, 3:], atol=1e-3)
    cache = DynamicCache()
    steps = [causal_self_attention(x[:, :4], cache=cache, is_causal=True, window=3, **args)[0]]
    for position in range(4, 7):  # one token at a time, the window applied against the cache
        token = x[:, position : position + 1]
        steps.append(causal_self_attention(token, cache=cache, window=3, **args)[0])
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-6)


def test_layer_functions_combine_sublayers_as_documented():
    x = torch.randn(2, 3, 4)
    norm1, norm2 = (lambda t: t * 2), (lambda t: t - 1)
    attention = lambda t: (t + 10, None)  # noqa: E731
    mlp = lambda t: t * 3  # noqa: E731
    parallel, _, _ = parallel_residual_layer(x, norm1, attention, None, mlp)
    assert torch.allclose(parallel, (2 * x + 10) + 3 * (2 * x) + x)
    post, _, _ = post_norm_layer(x, norm1, attention, norm2, mlp)
    h = 2 * (x + x + 10)
    assert torch.allclose(post, (h + 3 * h) - 1)
    pre, _, _ = pre_norm_layer(x, norm1, attention, norm2, mlp)
    h = x + 2 * x + 10
    assert torch.allclose(pre, h + 3 * (h - 1))


class _Config(PretrainedConfig):
    model_type = "tiny-rotary-variant-test"


def test_interleaved_partial_rotary_matches_gptj():
    gptj = pytest.importorskip("transformers.models.gptj.modeling_gptj")
    config = _Config(
        hidden_size=32, num_attention_heads=4, rotary_dim=4, max_position_embeddings=16
    )
    assert rotary_dim(config) == 4
    table = RotaryEmbedding(config)
    table.interleaved = True
    positions = torch.tensor([[0, 1, 5, 9]])
    cos, sin = table(positions, torch.float32)
    query = torch.randn(1, 4, 4, 8)  # [batch, heads, length, head_dim]: 4 of 8 channels turn
    turned, _ = apply_interleaved_rotary(query, query, (cos, sin))
    sincos = gptj.create_sinusoidal_positions(16, 4)[positions]
    ref_sin, ref_cos = sincos.split(2, dim=-1)
    heads_last = query.transpose(1, 2)
    rotated = gptj.apply_rotary_pos_emb(heads_last[..., :4], ref_sin, ref_cos)
    want = torch.cat([rotated, heads_last[..., 4:]], dim=-1).transpose(1, 2)
    assert torch.allclose(turned, want, atol=1e-6)
    assert torch.equal(
        rotate_pairs(torch.tensor([1.0, 2.0, 3.0, 4.0])), torch.tensor([-2.0, 1, -4, 3])
    )


def test_output_product_adds_a_bias():
    weight, bias = torch.randn(10, 8), torch.randn(10)
    x = torch.randn(3, 8)
    assert torch.allclose(output_layout_product(weight, bias)(x), F.linear(x, weight, bias))
    assert torch.allclose(output_layout_product(weight)(x), F.linear(x, weight))
