"""oneDNN-packed products in the lean encoder plan: same numbers as the modules, used once the
plan is reused, and rebuilt when the weights they copy change (loading, optimizer, init, dtype)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import tfx_core.modeling.torch.onednn as packed_module
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.onednn import packed_linear

tfx_bert = pytest.importorskip("tfx_plugin_bert.modeling_bert")

TOL = 1e-5
pytestmark = pytest.mark.skipif(
    not torch.backends.mkldnn.is_available(), reason="PyTorch built without oneDNN"
)


def _model() -> nn.Module:
    config = tfx_bert.BertConfig(
        vocab_size=50,
        hidden_size=256,  # 256 x 256 weights: large enough to be packed
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=320,
        max_position_embeddings=32,
        num_labels=3,
    )
    torch.manual_seed(0)
    return tfx_bert.BertForSequenceClassification(config).eval()


INPUTS = {"input_ids": torch.arange(1, 11).view(1, 10) % 50}


def _logits(model: nn.Module, fast: bool = True) -> torch.Tensor:
    with fast_paths(fast), torch.inference_mode():
        return model(**INPUTS).logits


def _plan(model: nn.Module):
    return model.bert.encoder.__dict__.get("_lean_plan")


def _packed_products(model: nn.Module) -> int:
    """How many of the plan's products run from packed weights."""
    layers = _plan(model).layers or []
    products = [f for layer in layers for f in (layer.qkv, layer.intermediate, layer.output)]
    return sum(map(packed_module.is_packed, products))


def _packed(model: nn.Module) -> torch.Tensor:
    """Forwards until the plan is packed; the packed path's logits."""
    for _ in range(3):
        logits = _logits(model)
    assert _packed_products(model) == 6  # 2 layers: query/key/value, intermediate, output
    return logits


def test_packed_linear_matches_f_linear():
    torch.manual_seed(0)
    weight, bias = torch.randn(300, 256) * 0.05, torch.randn(300)
    product = packed_linear(weight, bias)
    x = torch.randn(2, 7, 256)
    assert product is not None
    torch.testing.assert_close(product(x), F.linear(x, weight, bias), rtol=0, atol=TOL)
    assert packed_linear(weight.double(), None) is None


def test_plan_packs_on_reuse_and_matches_modules():
    model = _model()
    _logits(model)
    assert _packed_products(model) == 0  # a model called once pays no packing
    packed = _packed(model)
    torch.testing.assert_close(packed, _logits(model, fast=False), rtol=0, atol=TOL)


@pytest.mark.parametrize(
    "change",
    ["load_state_dict", "optimizer", "init", "query"],
)
def test_packed_weights_follow_in_place_changes(change):
    model = _model()
    before = _packed(model)
    if change == "load_state_dict":
        state = {k: v * 1.5 for k, v in model.state_dict().items()}
        model.load_state_dict(state)
    elif change == "optimizer":
        model.train()
        model(**INPUTS, labels=torch.tensor([1])).loss.backward()
        torch.optim.SGD(model.parameters(), lr=1.0).step()
        model.eval()
    elif change == "init":
        nn.init.normal_(model.bert.encoder.layer[0].intermediate.dense.weight)
    else:  # one projection of the fused query/key/value matrix, in place
        with torch.no_grad():
            model.bert.encoder.layer[1].attention.self.value.weight.mul_(-2.0)
    after = _logits(model)
    assert (after - before).abs().max() > 1e-4  # the change is visible ...
    torch.testing.assert_close(after, _logits(model, fast=False), rtol=0, atol=TOL)  # ... exactly
    torch.testing.assert_close(_packed(model), after, rtol=0, atol=TOL)  # and repacked


def test_other_dtype_is_not_packed():
    model = _model()
    _packed(model)
    model.double()
    for _ in range(3):
        logits = _logits(model)
    assert logits.dtype == torch.float64 and _packed_products(model) == 0
    torch.testing.assert_close(logits, _logits(model, fast=False), rtol=0, atol=1e-10)


@pytest.mark.parametrize("rows", [1, 8, 32, 64, 128])
def test_bf16_decode_products_give_f_linear_bits_at_any_row_count(rows):
    """A bf16 decode product is `F.linear`'s bits: on the laid-out copy up to
    `HALF_PACKED_MAX_ROWS` rows (where oneDNN picks the same kernel), `F.linear` beyond (a
    batch's prompt: on an AMX machine the laid-out copy differed from 64 rows on)."""
    if not packed_module.onednn_available():
        pytest.skip("oneDNN is not available")
    torch.manual_seed(0)
    weight = torch.randn(1536, 1024).bfloat16()
    product = packed_module.decode_linear(weight)
    x = torch.randn(rows, 1024).bfloat16()
    with torch.inference_mode():
        assert torch.equal(product(x), F.linear(x, weight))
