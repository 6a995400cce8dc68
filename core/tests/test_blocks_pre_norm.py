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


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("fast", [True, False])
def test_first_rows_equal_the_full_layers_first_rows(norm_first, fast):
    layer = _layer(WAV2VEC2_NAMES, norm_first)
    hidden = torch.randn(2, 6, 16)
    bias = torch.zeros(2, 1, 6, 6)
    bias[1, :, :, 4:] = torch.finfo(torch.float32).min
    with torch.inference_mode(), fast_paths(fast):
        full, _ = layer(hidden, bias)
        first, _ = layer(hidden, bias, first_rows=2)
    assert first.shape == (2, 2, 16)
    assert torch.allclose(first, full[:, :2], atol=1e-6)


def test_large_products_take_onednn_and_match_the_module_path(monkeypatch):
    from tfx_core.modeling.torch import onednn as onednn_linear

    if not onednn_linear.onednn_available():
        pytest.skip("PyTorch built without oneDNN")
    config = {**vars(CONFIG), "hidden_size": 256, "intermediate_size": 512}
    cls = type("Layer", (PreNormEncoderLayer,), {"names": VIT_NAMES})
    torch.manual_seed(0)
    layer = cls(type(CONFIG)(**config)).eval()
    taken = []
    original = onednn_linear.uses_onednn
    monkeypatch.setattr(
        onednn_linear,
        "uses_onednn",
        lambda x, w, *more: taken.append(original(x, w, *more)) or taken[-1],
    )
    hidden = torch.randn(2, 150, 256)
    with torch.inference_mode():
        fast, _ = layer(hidden)
        assert taken and all(taken)  # fused q/k/v, output, both feed-forward products
        with fast_paths(False):
            plain, _ = layer(hidden)
    assert torch.allclose(fast, plain, atol=1e-5)


def test_run_layers_prunes_the_last_layer_only_when_unobserved(monkeypatch):
    from tfx_core.modeling.torch.blocks.pre_norm_encoder import run_layers

    layers = torch.nn.ModuleList([_layer(VIT_NAMES), _layer(VIT_NAMES)])
    hidden = torch.randn(2, 6, 16)
    with torch.inference_mode():
        full, _, _ = run_layers(layers, hidden)
        first, _, _ = run_layers(layers, hidden, last_layer_rows=1)
        assert first.shape == (2, 1, 16) and torch.allclose(first, full[:, :1], atol=1e-6)
        assert run_layers(layers, hidden, last_layer_rows=1, output_hidden_states=True)[
            0
        ].shape == (2, 6, 16)
        with fast_paths(False):
            assert run_layers(layers, hidden, last_layer_rows=1)[0].shape == (2, 6, 16)
        handle = layers[1].layernorm_after.register_forward_pre_hook(lambda module, args: None)
        assert run_layers(layers, hidden, last_layer_rows=1)[0].shape == (2, 6, 16)
        handle.remove()
        original = PreNormEncoderLayer.forward
        calls = []
        monkeypatch.setattr(
            PreNormEncoderLayer,
            "forward",
            lambda self, *args: calls.append(len(args)) or original(self, *args),
        )
        assert run_layers(layers, hidden, last_layer_rows=1)[0].shape == (2, 6, 16)
        assert calls == [4, 4]  # a patched forward is not asked for first rows


@pytest.mark.parametrize("qkv_bias", [True, False])
@pytest.mark.parametrize("bias_shape", [None, (3, 1, 1, 9), (1, 2, 9, 9)])
def test_few_queries_fold_keys_and_values_into_the_queries(monkeypatch, qkv_bias, bias_shape):
    from tfx_core.modeling.torch.blocks import pre_norm_encoder

    config = SimpleNamespace(**{**vars(CONFIG), "hidden_size": 32, "num_attention_heads": 2})
    config.qkv_bias = qkv_bias
    cls = type("Layer", (PreNormEncoderLayer,), {"names": VIT_NAMES})
    torch.manual_seed(0)
    layer = cls(config).eval()
    hidden = torch.randn(3, 9, 32) * 2
    bias = None
    if bias_shape is not None:
        bias = torch.randn(bias_shape)
        if bias_shape[1] == 1:  # padding: the second sequence keeps its first 5 positions
            bias.zero_()[1, ..., 5:] = torch.finfo(torch.float32).min
    folded = []
    original = pre_norm_encoder.few_queries_context
    monkeypatch.setattr(
        pre_norm_encoder,
        "few_queries_context",
        lambda *args: folded.append(original(*args)) or folded[-1],
    )
    with torch.inference_mode():
        full, _ = layer(hidden, bias)
        first, _ = layer(hidden, bias, first_rows=2)
        assert len(folded) == 1 and folded[0] is not None  # the folded path ran
        torch.testing.assert_close(first, full[:, :2], atol=2e-6, rtol=0)
        with fast_paths(False):  # the modules' path: projections called, nothing folded
            plain, _ = layer(hidden, bias, first_rows=2)
        assert folded[-1] is None
        torch.testing.assert_close(plain, first, atol=2e-6, rtol=0)
        layer.to(torch.float64)
        wide, _ = layer(hidden.double(), None if bias is None else bias.double(), first_rows=2)
        assert folded[-1] is not None
        with fast_paths(False):
            wide_plain, _ = layer(
                hidden.double(), None if bias is None else bias.double(), first_rows=2
            )
    torch.testing.assert_close(wide, wide_plain, atol=1e-12, rtol=0)


def test_few_queries_fold_only_where_it_saves_work():
    from tfx_core.modeling.torch.blocks.pre_norm_encoder import few_queries_context

    config = SimpleNamespace(**{**vars(CONFIG), "hidden_size": 32, "num_attention_heads": 2})
    layer = type("Layer", (PreNormEncoderLayer,), {"names": VIT_NAMES})(config).eval()
    projections = layer.attention.attention
    hidden = torch.randn(2, 9, 32)
    with torch.no_grad():
        assert few_queries_context(projections, hidden, 2, 2) is not None
        assert few_queries_context(projections, hidden, 3, 2) is None  # 3 * 2 heads * 8 > 32
        assert few_queries_context(projections, hidden[:, :2], 2, 2) is None  # every row
        assert few_queries_context(projections, hidden.half(), 1, 2) is None
        own = type("Own", (type(projections),), {"project": lambda self, *args: None})
        projections.__class__ = own  # projections of their own (VideoMAE's biases): not folded
        assert few_queries_context(projections, hidden, 1, 2) is None
        projections.__class__ = own.__base__
    assert few_queries_context(projections, hidden, 1, 2) is None  # grad on: no fused weights
