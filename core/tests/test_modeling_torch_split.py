"""The pieces moved into the core this session: `FusedProjections.heads`, the split of
`base.py` (old import paths keep working), `sinusoidal_positions`, token-type-free embeddings."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from tfx_core.config import PretrainedConfig  # noqa: E402
from tfx_core.modeling.torch.blocks.encoder_model import (  # noqa: E402
    EncoderEmbeddings,
    sinusoidal_positions,
)
from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402
from tfx_core.modeling.torch.projections import FusedProjections  # noqa: E402


class _Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.q, self.k, self.v = (nn.Linear(8, 8) for _ in range(3))
        self.projections = FusedProjections(self, ("q", "k", "v"))


def test_fused_heads_equal_the_modules_heads() -> None:
    torch.manual_seed(0)
    attention, hidden = _Attention(), torch.randn(2, 5, 8)
    with torch.no_grad():
        with fast_paths(False):
            modules = attention.projections.heads(hidden, 2)
        fused = attention.projections.heads(hidden, 2)
    assert attention.projections.parameters()  # the fused product was used
    for a, b in zip(modules, fused, strict=True):
        assert a.shape == (2, 2, 5, 4)
        torch.testing.assert_close(a, b)
    expected = attention.k(hidden).view(2, 5, 2, 4).transpose(1, 2)
    torch.testing.assert_close(fused[1], expected.detach())


def test_old_import_paths_of_base_still_work() -> None:
    from tfx_core.modeling.torch import PreTrainedModel, meta_parameters, resolve_dtype
    from tfx_core.modeling.torch.base import LEGACY_RENAMES, gc_paused
    from tfx_core.modeling.torch.base import PreTrainedModel as Base
    from tfx_core.modeling.torch.loading import LoadingMixin
    from tfx_core.modeling.torch.saving import SavingMixin

    assert Base is PreTrainedModel and issubclass(Base, (LoadingMixin, SavingMixin))
    assert resolve_dtype("bf16", PretrainedConfig()) is torch.bfloat16
    assert LEGACY_RENAMES.apply("a.LayerNorm.gamma") == "a.LayerNorm.weight"
    with meta_parameters(), gc_paused():
        assert nn.Linear(2, 2).weight.device.type == "meta"
    assert nn.Linear(2, 2).weight.device.type == "cpu"


def test_sinusoidal_positions_interleave_sin_and_cos() -> None:
    table = sinusoidal_positions(6, 4)
    assert table.shape == (6, 4) and table.dtype == torch.float32
    position, dim = 3, 2  # column 2 (even): sin(p / 10000^(2/4)); column 3 (odd): its cos
    angle = torch.tensor(position / 10000 ** (2 / 4))
    torch.testing.assert_close(table[position, dim], torch.sin(angle))
    torch.testing.assert_close(table[position, dim + 1], torch.cos(angle))


def test_embeddings_without_token_types() -> None:
    class NoTypes(EncoderEmbeddings):
        token_types = False
        dropout_field = "dropout"

    config = PretrainedConfig(
        vocab_size=11, hidden_size=4, max_position_embeddings=8, dropout=0.0, pad_token_id=0
    )
    embeddings = NoTypes(config).eval()
    assert not hasattr(embeddings, "token_type_embeddings")
    assert embeddings.LayerNorm.eps == NoTypes.default_layer_norm_eps
    ids = torch.tensor([[1, 2, 3]])
    expected = embeddings.LayerNorm(
        embeddings.word_embeddings(ids) + embeddings.position_embeddings.weight[:3]
    )
    torch.testing.assert_close(embeddings(ids), expected)
