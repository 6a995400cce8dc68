"""`SpeechEncoderConfig`: Wav2Vec2 / HuBERT configs read and check the reference's fields."""

from __future__ import annotations

import pytest
import transformers
from tfx_plugin_hubert.configuration_hubert import HubertConfig
from tfx_plugin_wav2vec2.configuration_wav2vec2 import Wav2Vec2Config

from tfx_core.errors import ConfigError

PAIRS = [
    (HubertConfig, transformers.HubertConfig),
    (Wav2Vec2Config, transformers.Wav2Vec2Config),
]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_fields_and_defaults_match_reference(ours, theirs):
    config, reference = ours(), theirs()
    for key in ours.defaults:
        assert getattr(config, key) == getattr(reference, key), key
    assert config.num_feat_extract_layers == reference.num_feat_extract_layers
    assert config.inputs_to_logits_ratio == reference.inputs_to_logits_ratio


@pytest.mark.parametrize(
    ("ours", "flag"), [(HubertConfig, "conv_pos_batch_norm"), (Wav2Vec2Config, "add_adapter")]
)
def test_unsupported_flags_raise(ours, flag):
    with pytest.raises(ConfigError, match=flag):
        ours(**{flag: True})


@pytest.mark.parametrize("ours", [HubertConfig, Wav2Vec2Config])
def test_bad_shapes_raise(ours):
    with pytest.raises(ConfigError, match="conv_dim"):
        ours(conv_dim=[8, 8], conv_stride=[2], conv_kernel=[3, 3])
    with pytest.raises(ConfigError, match="divisible"):
        ours(hidden_size=30, num_attention_heads=4)
