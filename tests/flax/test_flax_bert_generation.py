"""KV-cached jitted generation for the BERT-style causal LMs (`is_decoder=True`): ids equal the
reference's with left padding, cached logits equal recomputed ones, one compile per bucket."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax_reference import PAD, save_reference

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import trace_count
from tfx_core.modeling.flax.generation_programs import mask_positions
from tfx_core.plugins import get_registry

MODELS = [("bert", "BertLMHeadModel"), ("roberta", "RobertaForCausalLM")]
MASK = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 0, 1]])


def _prompt(model_type: str) -> np.ndarray:
    ids = np.array([[5, 6, 7, 8, 9], [4, 4, 9, 10, 11], [3, 3, 3, 3, 12]])
    return np.where(MASK == 1, ids, PAD[model_type])


def _load(folder, model_type, name):
    import transformers

    reference = getattr(transformers, name).from_pretrained(folder).eval()
    spec = get_registry().architecture(model_type).head_for_architecture(name)
    return reference, spec.load("flax").from_pretrained(folder, strict=True)


@pytest.fixture(scope="module", params=MODELS, ids=[m for m, _ in MODELS])
def pair(request, tmp_path_factory):
    model_type, name = request.param
    # initializer_range 0.1: attention sharp enough that a misplaced cached key changes the ids
    # (at 0.02 it is near-uniform and hides such a bug)
    folder = save_reference(
        tmp_path_factory.mktemp(model_type),
        model_type,
        name,
        is_decoder=True,
        initializer_range=0.1,
    )
    reference, model = _load(folder, model_type, name)
    return model_type, folder, reference, model


@pytest.mark.parametrize("beams", [1, 3])
def test_greedy_and_beam_ids_equal_reference_with_left_padding(pair, beams):
    model_type, _, reference, model = pair
    prompt = _prompt(model_type)
    kwargs = dict(max_new_tokens=8, num_beams=beams, pad_token_id=PAD[model_type])
    if beams > 1:
        kwargs["num_return_sequences"] = 2
    assert model._init_cache(1, 4) is not None  # the cached path is the one under test
    with torch.no_grad():
        expected = reference.generate(
            torch.tensor(prompt), attention_mask=torch.tensor(MASK), do_sample=False, **kwargs
        ).numpy()
    got = np.asarray(model.generate(prompt, attention_mask=MASK, **kwargs))
    np.testing.assert_array_equal(got, expected)


def test_cached_step_logits_equal_recomputed(pair):
    model_type, _, _, model = pair
    prompt, total, steps = _prompt(model_type), 16, 6
    bucket = prompt.shape[1]
    ids = jnp.zeros((3, total), jnp.int32).at[:, :bucket].set(prompt)
    keys = jnp.zeros((3, total), jnp.int32).at[:, :bucket].set(MASK)
    cache = model._init_cache(3, total)
    logits, cache = model._decode_step(
        ids[:, :bucket], mask_positions(keys)[:, :bucket], keys, cache, 0
    )
    for cur in range(bucket, bucket + steps):
        positions = mask_positions(keys)
        full, none = model._decode_step(ids, positions, keys, None, cur - 1)
        assert none is None
        np.testing.assert_allclose(np.asarray(logits), np.asarray(full), atol=1e-5, rtol=0)
        token = jnp.argmax(logits, axis=-1).astype(jnp.int32)
        ids, keys = ids.at[:, cur].set(token), keys.at[:, cur].set(1)
        positions = mask_positions(keys)
        logits, cache = model._decode_step(
            ids[:, cur : cur + 1], positions[:, cur : cur + 1], keys, cache, cur
        )


def test_sampling_cached_equals_uncached(pair, monkeypatch):
    """`use_cache=False`: each step recomputes the buffer, never asking for a cache."""
    model_type, _, _, model = pair
    kwargs = dict(attention_mask=MASK, max_new_tokens=8, do_sample=True, top_k=20, top_p=0.9)
    cached = [np.asarray(model.generate(_prompt(model_type), seed=s, **kwargs)) for s in (1, 2)]

    def no_cache(self, batch, max_length, context):
        raise AssertionError("use_cache=False asked for a cache")

    monkeypatch.setattr(type(model), "_generation_cache", no_cache)
    for seed, expected in zip((1, 2), cached):
        recomputed = model.generate(_prompt(model_type), seed=seed, use_cache=False, **kwargs)
        np.testing.assert_array_equal(np.asarray(recomputed), expected)


def test_one_compile_per_bucket(pair):
    model_type, _, _, model = pair
    prompt = _prompt(model_type)
    model.generate(prompt, attention_mask=MASK, max_new_tokens=4)
    before = trace_count()
    for length in (1, 3, 5):
        model.generate(prompt[:, -length:], attention_mask=MASK[:, -length:], max_new_tokens=4)
    model.generate(prompt[::-1], attention_mask=MASK[::-1], max_new_tokens=4)
    assert trace_count() == before
    long = np.tile(prompt, (1, 4))  # 20 tokens: the next bucket (32), compiled once
    for _ in range(2):
        model.generate(long, attention_mask=np.tile(MASK, (1, 4)), max_new_tokens=4)
    assert trace_count() == before + 1


def test_cache_call_without_positions_matches_full_forward(pair):
    """Direct use: a prefix into the cache, then the rest; positions default from the cache
    index (BERT) or the ids plus the cached length (RoBERTa), as in the reference."""
    model_type, _, _, model = pair
    ids = jnp.asarray(_prompt(model_type)[:1].repeat(2, axis=1) % 90 + 3)
    length = ids.shape[1]
    full = model(input_ids=ids).logits
    cache = model._init_cache(1, length)
    mask = jnp.ones((1, length), jnp.int32)
    first = model(input_ids=ids[:, :4], attention_mask=mask, cache=cache, cache_index=0)
    rest = model(
        input_ids=ids[:, 4:], attention_mask=mask, cache=first.past_key_values, cache_index=4
    )
    got = jnp.concatenate([first.logits, rest.logits], axis=1)
    np.testing.assert_allclose(np.asarray(got), np.asarray(full), atol=1e-5, rtol=0)


def test_encoder_gets_no_cache_and_generates_like_reference(tmp_path):
    """Without is_decoder the attention is bidirectional: no cache, each step recomputes (the
    reference does the same), and passing a cache is a ConfigError."""
    folder = save_reference(tmp_path, "bert", "BertLMHeadModel")
    reference, model = _load(folder, "bert", "BertLMHeadModel")
    assert model._init_cache(1, 8) is None
    prompt = _prompt("bert")[:1]
    with torch.no_grad():
        expected = reference.generate(torch.tensor(prompt), max_new_tokens=4, do_sample=False)
    got = np.asarray(model.generate(prompt, max_new_tokens=4))
    np.testing.assert_array_equal(got, expected.numpy())
    base = model.bert
    cache = base.encoder.init_cache(1, 8, jnp.float32)
    with pytest.raises(ConfigError, match="is_decoder"):
        base(input_ids=jnp.asarray(prompt), cache=cache)


def test_cache_survives_jit(pair):
    """The cache is a pytree in and out of a jitted step (nothing stored on the module)."""
    _, _, _, model = pair
    from flax import nnx

    graphdef, state = nnx.split(model)

    @jax.jit
    def step(state, ids, cache, index):
        merged = nnx.merge(graphdef, state)
        out = merged(input_ids=ids, cache=cache, cache_index=index)
        return out.logits, out.past_key_values

    cache = model._init_cache(1, 8)
    ids = jnp.asarray([[5, 6, 7]])
    logits, cache = step(state, ids, cache, 0)
    _, cache = step(state, ids[:, :1] + 1, cache, 3)
    assert cache[0].key.shape[2] == 8
    assert float(jnp.abs(cache[0].key[:, :, 4:]).max()) == 0.0
    assert bool(jnp.all(jnp.abs(cache[0].key[:, :, :4]).sum(axis=(0, 1, 3)) > 0))
    np.testing.assert_allclose(
        np.asarray(logits), np.asarray(model(input_ids=ids).logits), atol=1e-5, rtol=0
    )
