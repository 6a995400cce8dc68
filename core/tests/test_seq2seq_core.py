"""Core seq2seq pieces: the encoder-decoder cache, label shifting, the seq2seq config."""

import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch import shift_tokens_right, shift_tokens_right_mbart
from tfx_core.modeling.torch.cache import CrossAttentionCache, DynamicCache, EncoderDecoderCache
from tfx_core.seq2seq_config import Seq2SeqConfig


def _kv(batch: int, length: int, fill: float) -> tuple[torch.Tensor, torch.Tensor]:
    base = torch.arange(batch, dtype=torch.float32)[:, None, None, None] + fill
    keys = base.expand(batch, 2, length, 4).clone()
    return keys, keys + 100


def test_encoder_decoder_cache_lengths_and_legacy_round_trip():
    cache = EncoderDecoderCache()
    assert cache.get_seq_length() == 0
    cache.update(*_kv(2, 3, 0.0), 0)
    cache.cross_attention_cache.update(*_kv(2, 5, 0.5), 0)
    assert cache.get_seq_length() == 3  # decoded positions, not the encoder's
    assert cache.cross_attention_cache.get_seq_length(0) == 5
    assert 0 in cache.cross_attention_cache and 1 not in cache.cross_attention_cache
    legacy = cache.to_legacy_cache()
    assert len(legacy) == 1 and len(legacy[0]) == 4
    again = EncoderDecoderCache.from_legacy_cache(legacy)
    for a, b in zip(again[0], legacy[0], strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("static_cross", [False, True])
def test_encoder_decoder_cache_reorders_beams(static_cross):
    cache = EncoderDecoderCache(DynamicCache(), CrossAttentionCache(), static_cross=static_cross)
    cache.update(*_kv(3, 2, 0.0), 0)
    cross_keys, _ = _kv(3, 4, 0.0)
    cache.cross_attention_cache.update(cross_keys, cross_keys, 0)
    cache.reorder(torch.tensor([2, 2, 0]))
    self_keys = cache.self_attention_cache[0][0]
    assert self_keys[:, 0, 0, 0].tolist() == [2.0, 2.0, 0.0]
    reordered = cache.cross_attention_cache.get(0)[0][:, 0, 0, 0].tolist()
    assert reordered == ([0.0, 1.0, 2.0] if static_cross else [2.0, 2.0, 0.0])


def test_shift_tokens_right_matches_the_reference():
    from transformers.models.bart.modeling_bart import shift_tokens_right as reference
    from transformers.models.mbart.modeling_mbart import shift_tokens_right as reference_mbart

    labels = torch.tensor([[5, 6, 7, 2, -100, -100], [5, 6, 7, 8, 9, 250004]])
    assert torch.equal(shift_tokens_right(labels, 1, 2), reference(labels, 1, 2))
    assert torch.equal(shift_tokens_right_mbart(labels, 1), reference_mbart(labels, 1))
    assert shift_tokens_right_mbart(labels, 1)[1, 0] == 250004  # the language code leads


def test_shift_tokens_right_needs_its_ids():
    labels = torch.tensor([[5, 6]])
    with pytest.raises(ConfigError, match="decoder_start_token_id"):
        shift_tokens_right(labels, 1, None)
    with pytest.raises(ConfigError, match="pad_token_id"):
        shift_tokens_right(labels, None, 2)
    with pytest.raises(ConfigError, match="pad_token_id"):
        shift_tokens_right_mbart(labels, None)


def test_seq2seq_config_defaults_and_validation():
    config = Seq2SeqConfig(d_model=16, encoder_attention_heads=4, decoder_attention_heads=2)
    assert config.hidden_size == 16 and config.num_attention_heads == 4
    assert config.is_encoder_decoder and config.decoder_start_token_id == 2
    assert config.num_labels == 3
    assert Seq2SeqConfig(id2label={0: "a", 1: "b"}).num_labels == 2
    with pytest.raises(ConfigError, match="decoder_attention_heads"):
        Seq2SeqConfig(d_model=16, encoder_attention_heads=4, decoder_attention_heads=3)
    with pytest.raises(ConfigError, match="dropout"):
        Seq2SeqConfig(dropout=1.5)
    with pytest.raises(ConfigError, match="encoder_layers"):
        Seq2SeqConfig(encoder_layers=0)
