"""`use_cache=False` in Flax `generate`: no preallocated cache, the whole buffer recomputed each
step, and the same ids as the cached path and as the reference (decoder-only GPT-2, BART's
causal LM, encoder-decoder BART and T5; greedy, beams, a left-padded decoder prompt)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax_reference import save_reference

from tfx_core.plugins import get_registry

transformers = pytest.importorskip("transformers")

PROMPT = np.array([[5, 6, 7, 8], [0, 0, 9, 10]])
MASK = (PROMPT != 0).astype(np.int64)
SEQ2SEQ = {
    "bart": ("BartConfig", "BartForConditionalGeneration", dict(pad_token_id=1, eos_token_id=2)),
    "t5": (
        "T5Config",
        "T5ForConditionalGeneration",
        dict(pad_token_id=0, eos_token_id=1, decoder_start_token_id=0),
    ),
}
SIZES = {
    "bart": dict(
        vocab_size=99,
        d_model=16,
        encoder_layers=1,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=20,
        decoder_ffn_dim=20,
        max_position_embeddings=40,
    ),
    "t5": dict(vocab_size=99, d_model=16, d_kv=4, d_ff=24, num_layers=2, num_heads=4),
}
OPTIONS = {
    "greedy": dict(max_new_tokens=7),
    "beams": dict(max_new_tokens=6, num_beams=3, num_return_sequences=2),
}


def _flax(model_type: str, name: str, folder):
    spec = get_registry().architecture(model_type).head_for_architecture(name)
    return spec.load("flax").from_pretrained(folder, strict=True)


def _no_cache_class(model):
    """The model's class with the cache hook failing: generation must not ask for it."""

    class NoCache(type(model)):
        def _generation_cache(self, batch, max_length, context):
            raise AssertionError("use_cache=False asked for a cache")

    return NoCache


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    folder = save_reference(tmp_path_factory.mktemp("gpt2"), "gpt2", "GPT2LMHeadModel")
    reference = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    return folder, reference, _flax("gpt2", "GPT2LMHeadModel", folder)


@pytest.fixture(scope="module", params=list(SEQ2SEQ))
def seq2seq(request, tmp_path_factory):
    family = request.param
    config_class, name, ids = SEQ2SEQ[family]
    torch.manual_seed(0)
    config = getattr(transformers, config_class)(**SIZES[family], **ids)
    folder = tmp_path_factory.mktemp(family)
    getattr(transformers, name)(config).eval().save_pretrained(folder)
    reference = getattr(transformers, name).from_pretrained(folder).eval()
    return family, folder, reference, _flax(family, name, folder)


def _source(family: str) -> tuple[np.ndarray, np.ndarray]:
    pad, eos = (0, 1) if family == "t5" else (1, 2)
    source = np.array([[4, 5, 6, 7, 8, 9, eos], [4, 11, 12, eos, pad, pad, pad]])
    return source, (source != pad).astype(np.int64)


def _reference_ids(reference, *args, **kwargs) -> np.ndarray:
    with torch.no_grad():
        tensors = [torch.tensor(a) for a in args]
        return reference.generate(*tensors, do_sample=False, use_cache=False, **kwargs).numpy()


@pytest.mark.parametrize("options", list(OPTIONS))
def test_decoder_only_ids_equal_with_and_without_cache(gpt2, options):
    _, reference, model = gpt2
    kwargs = dict(attention_mask=MASK, pad_token_id=0, **OPTIONS[options])
    cached = np.asarray(model.generate(PROMPT, **kwargs))
    recomputed = np.asarray(model.generate(PROMPT, use_cache=False, **kwargs))
    np.testing.assert_array_equal(recomputed, cached)
    kwargs.pop("attention_mask")
    np.testing.assert_array_equal(
        recomputed, _reference_ids(reference, PROMPT, attention_mask=torch.tensor(MASK), **kwargs)
    )


def test_use_cache_false_never_builds_a_cache(gpt2):
    folder, _, model = gpt2
    plain = _no_cache_class(model).from_pretrained(folder)
    got = plain.generate(PROMPT, attention_mask=MASK, max_new_tokens=4, use_cache=False)
    expected = model.generate(PROMPT, attention_mask=MASK, max_new_tokens=4)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    with pytest.raises(AssertionError, match="asked for a cache"):
        plain.generate(PROMPT, attention_mask=MASK, max_new_tokens=4)


def test_seq2seq_beam_ids_equal_with_and_without_cache(seq2seq):
    family, _, reference, model = seq2seq
    source, mask = _source(family)
    kwargs = dict(attention_mask=mask, **OPTIONS["beams"])
    cached = np.asarray(model.generate(source, **kwargs))
    recomputed = np.asarray(model.generate(source, use_cache=False, **kwargs))
    np.testing.assert_array_equal(recomputed, cached)
    kwargs.pop("attention_mask")
    expected = _reference_ids(reference, source, attention_mask=torch.tensor(mask), **kwargs)
    np.testing.assert_array_equal(recomputed, expected)


def test_seq2seq_greedy_with_a_left_padded_decoder_prompt(seq2seq):
    family, folder, reference, model = seq2seq
    source, mask = _source(family)
    start = model.generation_config.decoder_start_token_id
    prompt = np.array([[start, 7, 8], [start, 9, 10]])  # bucket 4: one column of left padding
    kwargs = dict(attention_mask=mask, decoder_input_ids=prompt, max_new_tokens=5)
    cached = np.asarray(model.generate(source, **kwargs))
    plain = _no_cache_class(model).from_pretrained(folder)
    recomputed = np.asarray(plain.generate(source, use_cache=False, **kwargs))
    np.testing.assert_array_equal(recomputed, cached)
    kwargs.pop("attention_mask")
    kwargs["decoder_input_ids"] = torch.tensor(prompt)
    expected = _reference_ids(reference, source, attention_mask=torch.tensor(mask), **kwargs)
    np.testing.assert_array_equal(recomputed, expected)


def test_bart_causal_lm_ids_equal_with_and_without_cache(tmp_path):
    torch.manual_seed(0)
    config = transformers.BartConfig(**SIZES["bart"], pad_token_id=1, is_decoder=True)
    reference = transformers.BartForCausalLM(config).eval()
    reference.save_pretrained(tmp_path)
    model = _flax("bart", "BartForCausalLM", tmp_path)
    prompt = np.where(PROMPT == 0, 1, PROMPT)
    kwargs = dict(attention_mask=MASK, pad_token_id=1, max_new_tokens=6)
    cached = np.asarray(model.generate(prompt, **kwargs))
    recomputed = np.asarray(model.generate(prompt, use_cache=False, **kwargs))
    np.testing.assert_array_equal(recomputed, cached)
