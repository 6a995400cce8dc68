"""The shared Flax BERT-style base model (`tfx_core.modeling.flax.encoder_model`) with BERT's and
RoBERTa's switches: position numbering equal to the reference's, the longest input each
accepts, and typed errors for what it does not build."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx
from tfx_plugin_bert.configuration_bert import BertConfig
from tfx_plugin_bert.modeling_flax_bert import FlaxBertModel
from tfx_plugin_roberta.configuration_roberta import RobertaConfig
from tfx_plugin_roberta.modeling_flax_roberta import FlaxRobertaModel

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.encoder_model import offset_position_ids

transformers = pytest.importorskip("transformers")

SIZES = dict(
    vocab_size=50,
    hidden_size=8,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=16,
    max_position_embeddings=10,
)
MODELS = {"bert": (BertConfig, FlaxBertModel, 10), "roberta": (RobertaConfig, FlaxRobertaModel, 8)}


@pytest.mark.parametrize("past", [0, 3])
def test_offset_positions_equal_the_reference(past):
    from transformers.models.roberta.modeling_roberta import create_position_ids_from_input_ids

    ids = np.array([[0, 5, 6, 7, 2, 1, 1], [1, 1, 0, 8, 9, 10, 2]])
    expected = create_position_ids_from_input_ids(torch.tensor(ids), 1, past).numpy()
    np.testing.assert_array_equal(
        np.asarray(offset_position_ids(jnp.asarray(ids), 1, past)), expected
    )


@pytest.mark.parametrize("family", list(MODELS))
def test_longest_input_and_typed_errors(family):
    config_class, model_class, longest = MODELS[family]
    model = model_class(config_class(**SIZES, pad_token_id=1), rngs=nnx.Rngs(0))
    ids = jnp.full((1, longest), 5)
    assert model(input_ids=ids).last_hidden_state.shape == (1, longest, 8)
    with pytest.raises(ConfigError, match=f"handles at most {longest} "):
        model(input_ids=jnp.full((1, longest + 1), 5))
    with pytest.raises(ConfigError, match="Pass input_ids"):
        model(attention_mask=jnp.ones((1, 3)))
    for field, value in [
        ("position_embedding_type", "relative_key"),
        ("add_cross_attention", True),
    ]:
        config = config_class(**SIZES, pad_token_id=1, is_decoder=True, **{field: value})
        with pytest.raises(ConfigError, match=field):
            model_class(config, rngs=nnx.Rngs(0))
