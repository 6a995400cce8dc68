"""XLA `generate` options and the encoder-based causal LMs against the reference's `generate`.

Each option is checked where it changes the ids (the test asserts the constrained ids differ
from the unconstrained ones), greedy and beam, decoder-only (GPT-2) and encoder-decoder (BART).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tfx_core.errors import GenerationError

PROMPTS = np.array([[98, 98, 41, 7, 66], [12, 86, 24, 39, 90]], np.int64)
MASK = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]], np.int64)  # left padding
TINY_BART = {
    "vocab_size": 99,
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
    "init_std": 0.5,
}


def _both(reference, model, ids=PROMPTS, mask=MASK, **options):
    with torch.no_grad():
        want = reference.generate(
            torch.from_numpy(ids), attention_mask=torch.from_numpy(mask), **options
        ).numpy()
    return model.generate(ids, attention_mask=mask, **options).numpy(), want


@pytest.mark.parametrize(
    ("model_type", "class_name"), [("bert", "BertLMHeadModel"), ("roberta", "RobertaForCausalLM")]
)
def test_encoder_causal_lm_greedy_and_beam_match_reference(
    saved_reference, tf_model_class, model_type, class_name
):
    reference, folder = saved_reference(model_type, class_name, is_decoder=True)
    model = tf_model_class(model_type, class_name).from_pretrained(folder)
    pad = 1 if model_type == "roberta" else 0
    got, want = _both(reference, model, max_new_tokens=9, pad_token_id=pad)
    np.testing.assert_array_equal(got, want)
    beam = {"max_new_tokens": 8, "num_beams": 3, "num_return_sequences": 2, "eos_token_id": 7}
    got, want = _both(reference, model, pad_token_id=pad, **beam)
    np.testing.assert_array_equal(got, want)


def test_encoder_causal_lm_needs_is_decoder(saved_reference, tf_model_class):
    _, folder = saved_reference("bert", "BertLMHeadModel")
    model = tf_model_class("bert", "BertLMHeadModel").from_pretrained(folder)
    with pytest.raises(GenerationError, match="is_decoder=True"):
        model.generate(PROMPTS, attention_mask=MASK, max_new_tokens=2)


@pytest.fixture
def gpt2_pair(saved_reference, tf_model_class):
    reference, folder = saved_reference("gpt2", "GPT2LMHeadModel", initializer_range=0.3)
    return reference, tf_model_class("gpt2", "GPT2LMHeadModel").from_pretrained(folder)


def _requests(plain: np.ndarray, prompt: int) -> list[dict]:
    """Two requests that change `plain` (the unconstrained greedy ids): penalize or ban its
    repetitions, then ban some of its tokens and delay its end."""
    new = plain[:, prompt:]
    return [
        {"repetition_penalty": 1.8, "no_repeat_ngram_size": 2},
        {
            "bad_words_ids": [[int(new[0, 1])], [int(new[1, 0]), int(new[1, 1])]],
            "min_new_tokens": 6,
            "min_length": prompt + 5,
            "eos_token_id": int(new[0, 2]),
        },
    ]


def _check_requests(reference, model, ids, mask, base, requests, beam):
    plain, want = _both(reference, model, ids, mask, **base)
    np.testing.assert_array_equal(plain, want)
    for options in requests(plain):
        got, want = _both(reference, model, ids, mask, **base, **options)
        np.testing.assert_array_equal(got, want, err_msg=str(options))
        assert not np.array_equal(got, plain), options
    # beam search with every processor at once
    every = {k: v for options in requests(plain) for k, v in options.items()}
    got, want = _both(reference, model, ids, mask, **base, **every, **beam)
    np.testing.assert_array_equal(got, want)


def test_decoder_only_options_match_reference(gpt2_pair):
    reference, model = gpt2_pair
    base = {"max_new_tokens": 10, "pad_token_id": 98}
    beam = {"num_beams": 3, "num_return_sequences": 2}
    _check_requests(reference, model, PROMPTS, MASK, base, lambda plain: _requests(plain, 5), beam)


def test_seq2seq_options_match_reference(tmp_path):
    import importlib

    import transformers

    torch.manual_seed(0)
    reference = transformers.BartForConditionalGeneration(transformers.BartConfig(**TINY_BART))
    reference.eval().save_pretrained(tmp_path)
    module = importlib.import_module("tfx_plugin_bart.modeling_tf_bart")
    model = module.TFBartForConditionalGeneration.from_pretrained(tmp_path)
    ids = np.array([[0, 5, 6, 7, 8, 2], [0, 9, 10, 2, 1, 1]])  # <s>=0, <pad>=1, </s>=2
    mask = (ids != 1).astype(np.int64)

    def requests(plain):
        return [*_requests(plain, 1), {"encoder_no_repeat_ngram_size": 1}]

    beam = {"num_beams": 3}
    _check_requests(reference, model, ids, mask, {"max_new_tokens": 9}, requests, beam)


def test_bart_causal_lm_generates_as_reference(tmp_path):
    """The BART decoder alone: positions count the prompt's padding too, as the reference's."""
    import importlib

    import transformers

    torch.manual_seed(0)
    reference = transformers.BartForCausalLM(transformers.BartConfig(**TINY_BART)).eval()
    reference.save_pretrained(tmp_path)
    module = importlib.import_module("tfx_plugin_bart.modeling_tf_bart")
    model = module.TFBartForCausalLM.from_pretrained(tmp_path)
    ids = np.array([[1, 1, 41, 7, 66], [12, 86, 24, 39, 90]])
    mask = (ids != 1).astype(np.int64)
    got, want = _both(reference, model, ids, mask, max_new_tokens=8)
    np.testing.assert_array_equal(got, want)
    got, want = _both(reference, model, ids, mask, max_new_tokens=8, num_beams=2)
    np.testing.assert_array_equal(got, want)


def test_bad_words_outside_vocabulary_raise(gpt2_pair):
    _, model = gpt2_pair
    with pytest.raises(GenerationError, match="bad_words_ids"):
        model.generate(PROMPTS, max_new_tokens=2, bad_words_ids=[[500]])
