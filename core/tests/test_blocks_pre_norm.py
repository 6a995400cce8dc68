"""The pre-norm encoder layer: names, fused q/k/v equal to the module path, hooks honoured."""

from types import SimpleNamespace

import pytest
import torch

from tfx_core.modeling.torch.blocks.pre_norm_encoder import (
    CLIP_NAMES,
    VIT_NAMES,
    WAV2VEC2_NAMES,
    PreNormEncoderLayer,
)
from tfx_core.modeling.torch.fast_paths import fast_paths

CONFIG = SimpleNamespace(
    hidden_size=16,
    num_attention_heads=4,
    intermediate_size=24,
    hidden_act="gelu",
    layer_norm_eps=1e-6,
    attention_dropout=0.0,
    hidden_dropout=0.0,
)


def _layer(names, norm_first=True):
    cls = type("Layer", (PreNormEncoderLayer,), {"names": names, "norm_first": norm_first})
    torch.manual_seed(0)
    layer = cls(CONFIG).eval()
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    return layer


@pytest.mark.parametrize(
    "names, expected",
    [
        (
            VIT_NAMES,
            {
                "attention.attention.query.weight",
                "attention.output.dense.bias",
                "layernorm_before.weight",
                "intermediate.dense.weight",
                "output.dense.bias",
            },
        ),
        (
            CLIP_NAMES,
            {
                "self_attn.q_proj.weight",
                "self_attn.out_proj.weight",
                "layer_norm1.bias",
                "mlp.fc1.weight",
                "mlp.fc2.bias",
            },
        ),
        (
            WAV2VEC2_NAMES,
            {
                "attention.k_proj.bias",
                "attention.out_proj.weight",
                "final_layer_norm.weight",
                "feed_forward.intermediate_dense.weight",
            },
        ),
    ],
)
def test_checkpoint_names(names, expected):
    keys = set(_layer(names).state_dict())
    assert expected <= keys and len(keys) == 16


@pytest.mark.parametrize("norm_first", [True, False])
def test_fused_path_equals_module_path(norm_first):
    layer = _layer(VIT_NAMES, norm_first)
    hidden = torch.randn(2, 5, 16)
    bias = torch.zeros(2, 1, 5, 5)
    bias[1, :, :, 3:] = torch.finfo(torch.float32).min
    with torch.inference_mode():
        fused, _ = layer(hidden, bias)
        with fast_paths(False):
            plain, _ = layer(hidden, bias)
        assert torch.allclose(fused, plain, atol=1e-6)
        layer.to(torch.float64)
        wide, _ = layer(hidden.double(), bias.double())
        with fast_paths(False):
            wide_plain, _ = layer(hidden.double(), bias.double())
    assert torch.allclose(wide, wide_plain, atol=1e-12)
    assert torch.allclose(wide.float(), fused, atol=1e-5)


def test_hooks_and_training_are_honoured():
    layer = _layer(CLIP_NAMES)
    hidden = torch.randn(1, 4, 16)
    with torch.no_grad():
        before, _ = layer(hidden)
    handle = layer.self_attn.q_proj.register_forward_hook(lambda module, args, out: out * 0)
    with torch.no_grad():
        hooked, _ = layer(hidden)
    handle.remove()
    assert not torch.allclose(before, hooked)
    layer.train()
    out, _ = layer(hidden)
    out.sum().backward()
    assert layer.self_attn.v_proj.weight.grad is not None
