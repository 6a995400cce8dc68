"""The core training dropout: ATen's semantics with a cheaper mask draw."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.dropout import (
    WIDE_DRAW_ELEMENTS,
    Dropout,
    dropout,
    keep_mask,
    uses_fast_dropout,
)
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.lean import is_trusted


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_kept_fraction_and_scale(p: float) -> None:
    torch.manual_seed(0)
    x = torch.rand(1000, 1000) + 0.5  # no zeros, so zeros in the output are dropped positions
    y = dropout(x, p)
    kept = y != 0
    assert abs(kept.double().mean().item() - (1 - p)) < 0.005
    scale = torch.tensor(1 / (1 - p), dtype=torch.float32)
    assert torch.equal(y[kept], x[kept] * scale)
    # same noise values as ATen's `bernoulli_(1 - p).div_(1 - p)`
    reference = F.dropout(x, p, training=True)
    assert torch.equal(torch.unique(y / x), torch.unique(reference / x))


@pytest.mark.parametrize("n", [WIDE_DRAW_ELEMENTS - 1, WIDE_DRAW_ELEMENTS, 2_000_001])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_keep_mask_rate_both_draws(n: int, p: float) -> None:
    """`rand_like` below `WIDE_DRAW_ELEMENTS`, 16-bit quarters of 64-bit draws from there (n not
    a multiple of four too)."""
    torch.manual_seed(0)
    mask = keep_mask(torch.empty(n), p)
    assert mask.shape == (n,) and mask.dtype == torch.float32
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    sigma = (p * (1 - p) / n) ** 0.5
    assert abs(mask.double().mean().item() - (1 - p)) < 5 * sigma
    if n > WIDE_DRAW_ELEMENTS:  # neighbouring quarters of a draw are independent
        pairs = mask[: n // 2 * 2].view(-1, 2).double()
        both = (pairs[:, 0] * pairs[:, 1]).mean().item()
        assert abs(both - (1 - p) ** 2) < 5 * (p * (2 - p) * (1 - p) ** 2 / len(pairs)) ** 0.5
    torch.manual_seed(0)
    assert torch.equal(keep_mask(torch.empty(n), p), mask)


def test_gradient_is_the_scaled_mask() -> None:
    torch.manual_seed(1)
    x = (torch.rand(64, 384) + 0.5).requires_grad_()
    y = dropout(x, 0.1)
    upstream = torch.randn_like(y)
    y.backward(upstream)
    noise = (y != 0).float() * torch.tensor(1 / 0.9, dtype=torch.float32)
    assert torch.equal(x.grad, upstream * noise)


def test_edges_follow_f_dropout() -> None:
    x = torch.randn(8, 16)
    assert torch.equal(dropout(x, 0.0), x)
    assert torch.equal(dropout(x, 1.0), torch.zeros_like(x))
    assert torch.equal(dropout(x, 0.3, training=False), x)
    with pytest.raises(ValueError):
        dropout(x, 1.5)
    assert not uses_fast_dropout(x, 0.0)
    assert not uses_fast_dropout(x, 1.0)
    assert not uses_fast_dropout(x.half(), 0.1)
    assert not uses_fast_dropout(x, 0.1, training=False)
    assert uses_fast_dropout(x, 0.1)


def test_fast_paths_off_is_f_dropout(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.randn(32, 32)
    with fast_paths(False):
        assert not uses_fast_dropout(x, 0.1)
        torch.manual_seed(3)
        ours = dropout(x, 0.1)
    torch.manual_seed(3)
    assert torch.equal(ours, F.dropout(x, 0.1, training=True))
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    torch.manual_seed(4)
    ours = Dropout(0.2)(x)
    torch.manual_seed(4)
    assert torch.equal(ours, F.dropout(x, 0.2, training=True))


def test_same_seed_same_mask() -> None:
    x = torch.randn(16, 64, 384)
    torch.manual_seed(5)
    first = dropout(x, 0.1)
    torch.manual_seed(5)
    assert torch.equal(dropout(x, 0.1), first)


def test_module_matches_nn_dropout() -> None:
    module, reference = Dropout(0.1), nn.Dropout(0.1)
    assert repr(module) == repr(reference)
    assert isinstance(module, nn.Dropout)
    assert list(module.parameters()) == [] and module.state_dict() == {}
    assert is_trusted(module)
    x = torch.randn(4, 8)
    assert torch.equal(module.eval()(x), x)
    inplace = Dropout(0.5, inplace=True).train()
    y = x.clone()
    out = inplace(y)
    assert out.data_ptr() == y.data_ptr()  # in place, as F.dropout


def test_bert_encoder_uses_it() -> None:
    from tfx_plugin_bert.modeling_bert import BertConfig, BertModel

    config = BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
    )
    model = BertModel(config)
    layer = model.encoder.layer[0]
    for module in (model.embeddings.dropout, layer.attention.output.dropout, layer.output.dropout):
        assert type(module) is Dropout
    ids = torch.randint(0, 99, (2, 7))
    model.eval()
    expected = model(ids).last_hidden_state
    with fast_paths(False):
        assert torch.equal(model(ids).last_hidden_state, expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [WIDE_DRAW_ELEMENTS - 1, WIDE_DRAW_ELEMENTS + 3])
def test_noise_values_are_atens_in_each_dtype_and_draw(dtype: torch.dtype, n: int) -> None:
    """Both draws give ATen's noise `1 / (1 - p)` in `x`'s own dtype (not float32's)."""
    torch.manual_seed(2)
    x = torch.rand(n, dtype=dtype) + 0.5
    y = dropout(x, 0.1)
    kept = y != 0
    scale = torch.ones((), dtype=dtype) / torch.tensor(0.9, dtype=dtype)
    assert torch.equal(y[kept], x[kept] * scale)
    assert abs(kept.double().mean().item() - 0.9) < 5 * (0.09 / n) ** 0.5
