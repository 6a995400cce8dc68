"""The shared pieces the Flax (and Keras) models call instead of their own copies: the fixed
position tables, the layer loop, the call-argument helpers."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.attention import causal_bias
from tfx_core.modeling.flax.decoder import empty_cache
from tfx_core.modeling.flax.inputs import as_encoder_output, flag, input_ids_array, optional_array
from tfx_core.modeling.flax.stack import cached_causal_bias, run_layers
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.outputs import BaseModelOutput
from tfx_core.modeling.position_tables import fairseq_table, sinusoidal_table

transformers = pytest.importorskip("transformers")


@pytest.mark.parametrize("rows, dim", [(12, 8), (9, 7)])
def test_sinusoidal_table_is_the_references_and_read_only(rows, dim):
    from transformers.models.marian.modeling_marian import MarianSinusoidalPositionalEmbedding

    reference = MarianSinusoidalPositionalEmbedding(rows, dim)
    reference._init_weight()
    table = sinusoidal_table(rows, dim)
    np.testing.assert_allclose(table, reference.weight.detach().numpy(), rtol=0, atol=1e-6)
    with pytest.raises(ValueError):
        table[0, 0] = 1.0


@pytest.mark.parametrize("dim", [8, 9])
def test_fairseq_table_matches_fairseqs_formula_with_a_zero_padding_row(dim):
    rows, pad = 10, 1
    half = dim // 2
    step = np.log(10000) / (half - 1)
    frequencies = torch.exp(torch.arange(half, dtype=torch.float32) * -step)
    angles = torch.arange(rows, dtype=torch.float32)[:, None] * frequencies[None, :]
    expected = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    if dim % 2:
        expected = torch.cat([expected, torch.zeros(rows, 1)], dim=1)
    expected[pad] = 0
    np.testing.assert_allclose(fairseq_table(rows, dim, pad), expected.numpy(), atol=1e-6)
    assert fairseq_table(rows, dim, None)[pad].any()  # no padding row without padding_idx


class _Doubling:
    """A cacheless layer: `(hidden, weights)`."""

    def __call__(self, hidden, bias):
        return hidden * 2, hidden.sum()


class _Caching:
    """A cached layer: writes its input at `index`, returns `(hidden, weights, cache)`."""

    def __call__(self, hidden, bias, cache, index):
        return hidden + 1, hidden.mean(), cache.written(hidden[:, None], hidden[:, None], index)


def test_run_layers_collects_states_weights_and_the_final_norm():
    hidden = jnp.ones((1, 3, 4))
    out, states, weights, cache = run_layers(
        [_Doubling(), _Doubling()],
        hidden,
        None,
        output_hidden_states=True,
        output_attentions=True,
        final=lambda h: h - 1,
    )
    assert cache is None
    np.testing.assert_array_equal(out, jnp.full((1, 3, 4), 3.0))
    assert [float(s[0, 0, 0]) for s in states] == [1.0, 2.0, 3.0]  # the last one after `final`
    assert [float(w) for w in weights] == [12.0, 24.0]
    quiet = run_layers([_Doubling()], hidden, None)
    assert quiet[1] is None and quiet[2] is None


def test_run_layers_threads_each_layers_cache():
    cache = empty_cache(2, 1, 1, 5, 4, jnp.float32)
    hidden = jnp.ones((1, 1, 4))
    out, _, _, new = run_layers([_Caching(), _Caching()], hidden, None, cache=cache, cache_index=2)
    assert len(new) == 2
    np.testing.assert_array_equal(new[0].key[0, 0, 2], jnp.ones(4))
    np.testing.assert_array_equal(new[1].key[0, 0, 2], jnp.full(4, 2.0))
    assert not new[1].key[0, 0, :2].any()
    np.testing.assert_array_equal(out, jnp.full((1, 1, 4), 3.0))


def test_cached_causal_bias_spans_the_cache_columns():
    mask = jnp.array([[1, 1, 1, 1, 0, 0]])
    cache = empty_cache(1, 1, 1, 6, 2, jnp.float32)
    bias = cached_causal_bias(2, mask, cache, 2)
    np.testing.assert_array_equal(bias, causal_bias(jnp.arange(2) + 2, 6, mask))
    assert bias.shape[-1] == 6
    assert cached_causal_bias(3, None).shape[-1] == 3


def test_argument_helpers():
    assert flag(None, True) is True and flag(False, True) is False
    assert optional_array(None) is None
    assert optional_array([[1, 2]]).shape == (1, 2)
    with pytest.raises(ConfigError, match="Pass input_ids"):
        input_ids_array(None)
    with pytest.raises(ConfigError, match="exactly one of decoder_input_ids"):
        check_ids_or_embeds(object(), None, None, "decoder_")
    with pytest.raises(ConfigError, match="exactly one"):
        check_ids_or_embeds(object(), [1], [1.0])
    check_ids_or_embeds(object(), [1], None)

    class Encoding:
        def encode(self, *args):
            return BaseModelOutput(last_hidden_state=args)

    states = jnp.ones((1, 2, 3))
    given = BaseModelOutput(last_hidden_state=states)
    assert as_encoder_output(Encoding(), given) is given
    assert as_encoder_output(Encoding(), (states,)).last_hidden_state is states
    assert as_encoder_output(Encoding(), None, 1, 2).last_hidden_state == (1, 2)
