"""The pre-norm ViT stack's hooks: layer scale on the fused path, `run_layers`' per-layer bias
and `between` step, stochastic depth drawn as the reference draws it."""

from types import SimpleNamespace

import pytest
import torch

from tfx_core.modeling.torch.blocks.mix_transformer import DropPath
from tfx_core.modeling.torch.blocks.pre_norm_encoder import PreNormEncoderLayer, run_layers
from tfx_core.modeling.torch.blocks.vision_transformer import LayerScaleLayer
from tfx_core.modeling.torch.fast_paths import fast_paths

CONFIG = SimpleNamespace(
    hidden_size=16,
    num_attention_heads=4,
    intermediate_size=24,
    hidden_act="gelu",
    layer_norm_eps=1e-6,
    attention_probs_dropout_prob=0.0,
    hidden_dropout_prob=0.0,
    layer_scale_init_value=0.1,
)


def _perturbed(layer):
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    return layer.eval()


def _by_hand(layer, hidden):
    """The layer-scale layer written out: x + l1 * attn(ln1(x)); h + l2 * mlp(ln2(h))."""
    attended, _ = layer.attention_block(layer.layernorm_before(hidden))
    hidden = hidden + layer.lambda_1 * attended
    out = layer.feed_forward_block(layer.layernorm_after(hidden))
    return hidden + layer.lambda_2 * out


@pytest.mark.parametrize("fast", [True, False])
def test_layer_scale_matches_the_written_out_layer(fast):
    layer = _perturbed(LayerScaleLayer(CONFIG))
    hidden = torch.randn(2, 7, 16)
    with torch.no_grad():
        expected = _by_hand(layer, hidden)
        with fast_paths(fast):
            assert layer.fuses_products() is fast
            got, _ = layer(hidden)
            first, _ = layer(hidden, first_rows=2)
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(first, expected[:, :2], atol=1e-6, rtol=0)
    plain = LayerScaleLayer(SimpleNamespace(**{**vars(CONFIG), "layer_scale_init_value": 0.0}))
    assert plain.lambda_1 is None and not list(plain.drop_path.parameters())


def test_run_layers_takes_a_bias_per_layer_and_a_step_between_layers():
    layers = torch.nn.ModuleList(_perturbed(PreNormEncoderLayer(CONFIG)) for _ in range(3))
    hidden = torch.randn(2, 5, 16)
    biases = [torch.randn(1, 4, 5, 5) for _ in layers]
    shift = torch.randn(3, 1, 5, 16)
    with torch.no_grad():
        last, states, _ = run_layers(
            layers,
            hidden,
            attention_bias=biases,
            output_hidden_states=True,
            between=lambda index, h: h + shift[index],
        )
        expected, outputs = hidden, [hidden]
        for index, layer in enumerate(layers):
            expected = layer(expected, biases[index])[0]
            outputs.append(expected)
            if index < 2:  # not after the last layer
                expected = expected + shift[index]
    torch.testing.assert_close(last, expected, atol=0, rtol=0)
    assert len(states) == 4
    for got, want in zip(states, outputs):  # the layers' outputs, before the step
        torch.testing.assert_close(got, want, atol=0, rtol=0)


def test_drop_path_draws_the_reference_samples():
    beit = pytest.importorskip("transformers.models.beit.modeling_beit")
    drop = DropPath(0.3).train()
    hidden = torch.randn(64, 3, 4)
    torch.manual_seed(7)
    got = drop(hidden)
    torch.manual_seed(7)
    expected = beit.drop_path(hidden, 0.3, training=True)
    torch.testing.assert_close(got, expected, atol=0, rtol=0)
    assert (got == 0).all(dim=(1, 2)).any()  # some samples dropped: a real check
    assert torch.equal(drop.eval()(hidden), hidden)
