"""XLA-compiled generation against the reference's PyTorch `generate` on the same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tfx_core.errors import GenerationError

PROMPTS = np.array([[98, 98, 41, 7, 66], [12, 86, 24, 39, 90]], np.int64)
MASK = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]], np.int64)  # left padding, as for generation


@pytest.fixture
def gpt2_pair(saved_reference, tf_model_class):
    reference, folder = saved_reference("gpt2", "GPT2LMHeadModel")
    return reference, tf_model_class("gpt2", "GPT2LMHeadModel").from_pretrained(folder)


def test_greedy_ids_match_reference_without_recompiling(gpt2_pair):
    reference, model = gpt2_pair
    with torch.no_grad():
        want = reference.generate(
            torch.from_numpy(PROMPTS),
            attention_mask=torch.from_numpy(MASK),
            max_new_tokens=10,
            do_sample=False,
            pad_token_id=98,
        ).numpy()
    got = model.generate(PROMPTS, attention_mask=MASK, max_new_tokens=10).numpy()
    np.testing.assert_array_equal(got, want)

    # a shorter prompt and fewer new tokens fall in the same buckets: the same compiled loop
    (loop,) = model._xla_loops.values()
    shorter = model.generate(PROMPTS[:, 1:], attention_mask=MASK[:, 1:], max_new_tokens=7)
    with torch.no_grad():
        want = reference.generate(
            torch.from_numpy(PROMPTS[:, 1:]),
            attention_mask=torch.from_numpy(MASK[:, 1:]),
            max_new_tokens=7,
            do_sample=False,
            pad_token_id=98,
        ).numpy()
    np.testing.assert_array_equal(shorter.numpy(), want)
    assert len(model._xla_loops) == 1
    assert loop.experimental_get_tracing_count() == 1

    # the sampling loop with top_k=1 picks what greedy picks
    same = model.generate(
        PROMPTS, attention_mask=MASK, max_new_tokens=10, do_sample=True, top_k=1, seed=1
    )
    np.testing.assert_array_equal(same.numpy(), got)


def test_top_k_and_top_p_filtering():
    import tensorflow as tf

    from tfx_core.modeling.keras.generation import filter_logits

    logits = tf.math.log(tf.constant([[0.5, 0.3, 0.15, 0.05]]))

    def kept(out):
        return (out.numpy()[0] > -1e30).tolist()

    assert kept(filter_logits(logits, top_k=2, top_p=1.0)) == [True, True, False, False]
    assert kept(filter_logits(logits, top_k=0, top_p=0.7)) == [True, True, False, False]
    assert kept(filter_logits(logits, top_k=0, top_p=0.5)) == [True, False, False, False]
    assert kept(filter_logits(logits, top_k=0, top_p=0.81)) == [True, True, True, False]


def test_bad_requests_raise_typed_errors(gpt2_pair):
    _, model = gpt2_pair
    with pytest.raises(GenerationError, match="outside the vocabulary"):
        model.generate(np.array([[5, 500]]), max_new_tokens=2)
    with pytest.raises(GenerationError, match="context"):
        model.generate(PROMPTS, max_new_tokens=100)
    with pytest.raises(GenerationError, match="encoder_no_repeat_ngram_size"):
        model.generate(PROMPTS, max_new_tokens=2, encoder_no_repeat_ngram_size=2)


@pytest.mark.parametrize(
    "options",
    [
        {"num_beams": 4, "num_return_sequences": 2, "length_penalty": 0.5, "eos_token_id": 36},
        {"num_beams": 3, "early_stopping": True, "eos_token_id": 93},
    ],
    ids=["eos-two-returned", "early-stopping"],
)
def test_beam_search_ids_match_reference(saved_reference, tf_model_class, options):
    reference, folder = saved_reference("gpt2", "GPT2LMHeadModel", initializer_range=0.5)
    model = tf_model_class("gpt2", "GPT2LMHeadModel").from_pretrained(folder)
    pad = options["eos_token_id"]
    with torch.no_grad():
        want = reference.generate(
            torch.from_numpy(PROMPTS),
            attention_mask=torch.from_numpy(MASK),
            max_new_tokens=12,
            do_sample=False,
            pad_token_id=pad,
            **options,
        ).numpy()
    got = model.generate(
        PROMPTS, attention_mask=MASK, max_new_tokens=12, pad_token_id=pad, **options
    )
    np.testing.assert_array_equal(got.numpy(), want)
