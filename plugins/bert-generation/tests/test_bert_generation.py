"""BertGeneration as a BERT2BERT decoder: cross-attention, cache and generation vs transformers."""

from __future__ import annotations

import pytest
import torch
import transformers
from tfx_plugin_bert_generation.modeling_bert_generation import (
    BertGenerationDecoder,
    BertGenerationEncoder,
)

from tfx_core.errors import ConfigError, GenerationError
from tfx_core.modeling.torch.cache import EncoderDecoderCache

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
)


def _pair(tmp_path, **extra):
    torch.manual_seed(0)
    config = transformers.BertGenerationConfig(**TINY, **extra)
    reference = transformers.BertGenerationDecoder(config).eval()
    reference.save_pretrained(tmp_path)
    return reference, BertGenerationDecoder.from_pretrained(tmp_path, strict=True).eval()


def _inputs():
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(4, 99, (2, 7), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    states = torch.randn(2, 9, 32, generator=generator)
    states_mask = torch.ones(2, 9, dtype=torch.long)
    states_mask[0, 6:] = 0
    return dict(
        input_ids=ids,
        attention_mask=mask,
        encoder_hidden_states=states,
        encoder_attention_mask=states_mask,
    )


def test_cross_attention_decoder_matches_the_reference(tmp_path):
    reference, ours = _pair(tmp_path, is_decoder=True, add_cross_attention=True)
    inputs = _inputs()
    with torch.no_grad():
        expected = reference(**inputs, output_attentions=True, output_hidden_states=True)
        got = ours(**inputs, output_attentions=True, output_hidden_states=True)
    assert (got.logits - expected.logits).abs().max() <= 1e-5
    assert len(got.cross_attentions) == len(expected.cross_attentions) == 2
    for a, b in zip(got.cross_attentions, expected.cross_attentions):
        assert (a - b).abs().max() <= 1e-5
    for a, b in zip(got.hidden_states, expected.hidden_states):
        assert (a - b).abs().max() <= 1e-5


def test_cached_steps_equal_the_full_forward(tmp_path):
    _, ours = _pair(tmp_path, is_decoder=True, add_cross_attention=True)
    inputs = _inputs()
    ids, mask = inputs.pop("input_ids"), inputs.pop("attention_mask")
    with torch.no_grad():
        full = ours(ids, attention_mask=mask, **inputs).logits
        first = ours(ids[:, :4], attention_mask=mask[:, :4], use_cache=True, **inputs)
        cache = first.past_key_values
        assert isinstance(cache, EncoderDecoderCache)
        assert cache.cross_attention_cache.get_seq_length(0) == 9
        step = ours(ids[:, 4:5], attention_mask=mask[:, :5], past_key_values=cache, **inputs)
    assert (step.logits[:, -1] - full[:, 4]).abs().max() <= 1e-5


def test_generation_matches_the_reference(tmp_path):
    reference, ours = _pair(tmp_path, is_decoder=True)
    prompt = torch.tensor([[5, 17, 42, 8]])
    for options in (dict(do_sample=False), dict(num_beams=3, do_sample=False)):
        expected = reference.generate(prompt, max_new_tokens=6, **options)
        assert ours.generate(prompt, max_new_tokens=6, **options).tolist() == expected.tolist()


def test_round_trip_to_the_reference(tmp_path):
    _, ours = _pair(tmp_path / "a", is_decoder=True, add_cross_attention=True)
    ours.save_pretrained(tmp_path / "b")
    back = transformers.BertGenerationDecoder.from_pretrained(tmp_path / "b").eval()
    inputs = _inputs()
    with torch.no_grad():
        assert (back(**inputs).logits - ours(**inputs).logits).abs().max() <= 1e-5
    encoder = BertGenerationEncoder.from_pretrained(tmp_path / "b")
    assert encoder.config.add_cross_attention and encoder(
        inputs["input_ids"]
    ).last_hidden_state.shape == (2, 7, 32)


def test_clear_errors(tmp_path):
    _, ours = _pair(tmp_path)
    with pytest.raises(GenerationError, match="is_decoder=True"):
        ours.generate(torch.tensor([[5, 6]]), max_new_tokens=2)
    config = transformers.BertGenerationConfig(**TINY, is_decoder=True)
    config.save_pretrained(tmp_path / "plain")
    plain = BertGenerationDecoder(ours.config_class.from_pretrained(tmp_path / "plain"))
    with pytest.raises(ConfigError, match="add_cross_attention=True"):
        plain(**_inputs())
    with pytest.raises(ConfigError, match="is_decoder"):
        BertGenerationEncoder(ours.config_class(**TINY, add_cross_attention=True))
