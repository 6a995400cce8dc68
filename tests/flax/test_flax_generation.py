"""Jitted generation: greedy and beam ids equal the reference's; sampling is reproducible;
prompts of different lengths in one bucket reuse one compiled program."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax_reference import save_reference

from tfx_core.errors import GenerationError
from tfx_core.modeling.flax import prompt_bucket, trace_count
from tfx_core.plugins import get_registry

PROMPT = np.array([[5, 6, 7, 8], [0, 0, 9, 10]])
MASK = (PROMPT != 0).astype(np.int64)


def _pair(tmp_path, model_type, name, **overrides):
    import transformers

    folder = save_reference(tmp_path, model_type, name, **overrides)
    reference = getattr(transformers, name).from_pretrained(folder).eval()
    spec = get_registry().architecture(model_type).head_for_architecture(name)
    return reference, spec.load("flax").from_pretrained(folder, strict=True)


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    return _pair(tmp_path_factory.mktemp("gpt2"), "gpt2", "GPT2LMHeadModel")


def _reference_generate(reference, prompt, mask, **kwargs):
    with torch.no_grad():
        out = reference.generate(
            torch.tensor(prompt), attention_mask=torch.tensor(mask), do_sample=False, **kwargs
        )
    return out.numpy()


@pytest.mark.parametrize("beams", [1, 3])
def test_gpt2_greedy_and_beam_ids_equal_reference(gpt2, beams):
    reference, model = gpt2
    kwargs = dict(max_new_tokens=9, num_beams=beams, pad_token_id=0)
    if beams > 1:
        kwargs["num_return_sequences"] = 2
    expected = _reference_generate(reference, PROMPT, MASK, **kwargs)
    got = np.asarray(model.generate(PROMPT, attention_mask=MASK, **kwargs))
    np.testing.assert_array_equal(got, expected)


def test_eos_stops_rows_and_pads_like_reference(gpt2):
    reference, model = gpt2
    free = np.asarray(model.generate(PROMPT, attention_mask=MASK, max_new_tokens=6))
    eos = int(free[0, 6])  # a token the first row emits early: make it EOS
    kwargs = dict(max_new_tokens=6, eos_token_id=eos, pad_token_id=0, repetition_penalty=1.3)
    expected = _reference_generate(reference, PROMPT, MASK, **kwargs)
    got = np.asarray(model.generate(PROMPT, attention_mask=MASK, **kwargs))
    np.testing.assert_array_equal(got, expected)


def test_no_recompilation_for_prompts_in_one_bucket(gpt2):
    _, model = gpt2
    model.generate(PROMPT, attention_mask=MASK, max_new_tokens=5)
    before = trace_count()
    for length in (1, 3, 4):
        model.generate(PROMPT[:, -length:], attention_mask=MASK[:, -length:], max_new_tokens=5)
    model.generate(PROMPT[::-1], attention_mask=MASK[::-1], max_new_tokens=5)
    assert trace_count() == before
    assert prompt_bucket(3) == prompt_bucket(16) == 16 and prompt_bucket(17) == 32


def test_sampling_is_reproducible_and_keyed(gpt2):
    _, model = gpt2
    kwargs = dict(attention_mask=MASK, max_new_tokens=8, do_sample=True, top_k=20, top_p=0.9)
    first = np.asarray(model.generate(PROMPT, seed=3, temperature=0.8, **kwargs))
    again = np.asarray(model.generate(PROMPT, seed=3, temperature=0.8, **kwargs))
    other = np.asarray(model.generate(PROMPT, seed=4, temperature=0.8, **kwargs))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    np.testing.assert_array_equal(first[:, :4], PROMPT)
    assert first.shape[0] == 2 and first.max() < 99


def test_top_k_one_sampling_is_greedy(gpt2):
    _, model = gpt2
    greedy = np.asarray(model.generate(PROMPT, attention_mask=MASK, max_new_tokens=6))
    sampled = model.generate(
        PROMPT, attention_mask=MASK, max_new_tokens=6, do_sample=True, top_k=1, seed=0
    )
    np.testing.assert_array_equal(np.asarray(sampled), greedy)


@pytest.mark.parametrize(
    ("model_type", "name"), [("bert", "BertLMHeadModel"), ("roberta", "RobertaForCausalLM")]
)
def test_encoder_decoders_generate_like_reference(tmp_path, model_type, name):
    reference, model = _pair(tmp_path, model_type, name, is_decoder=True)
    prompt = PROMPT + 3
    expected = _reference_generate(reference, prompt, np.ones_like(prompt), max_new_tokens=5)
    got = np.asarray(model.generate(prompt, max_new_tokens=5))
    np.testing.assert_array_equal(got, expected)


def test_bad_requests_raise_generation_errors(gpt2):
    _, model = gpt2
    with pytest.raises(GenerationError, match="vocabulary"):
        model.generate(np.array([[5, 500]]))
    with pytest.raises(GenerationError, match="suppress_tokens"):
        model.generate(PROMPT, suppress_tokens=[5])
    with pytest.raises(GenerationError, match="unexpected arguments"):
        model.generate(PROMPT, max_new_tokes=3)
    with pytest.raises(GenerationError, match="context"):
        model.generate(PROMPT, max_new_tokens=100)
