"""Flax `generate` options inside the jitted loop: bad words, n-gram and repetition rules equal
to the reference's ids, beam sampling, streaming through a host callback, and seq2seq
generation from given `encoder_outputs`."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax_reference import save_reference

from tfx_core.errors import GenerationError
from tfx_core.plugins import get_registry

transformers = pytest.importorskip("transformers")

PROMPT = np.array([[5, 6, 7, 8], [0, 0, 9, 10]])
MASK = (PROMPT != 0).astype(np.int64)


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    folder = save_reference(
        tmp_path_factory.mktemp("gpt2-options"), "gpt2", "GPT2LMHeadModel", n_layer=1
    )
    reference = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    spec = get_registry().architecture("gpt2").head_for_architecture("GPT2LMHeadModel")
    return reference, spec.load("flax").from_pretrained(folder, strict=True)


def _reference(reference, prompt, mask, **kwargs):
    with torch.no_grad():
        out = reference.generate(
            torch.tensor(prompt), attention_mask=torch.tensor(mask), pad_token_id=0, **kwargs
        )
    return out.numpy()


def test_bad_words_ngrams_and_repetition_equal_reference(gpt2):
    reference, model = gpt2
    free = np.asarray(model.generate(PROMPT, attention_mask=MASK, max_new_tokens=6))
    # ban the first row's first new token outright, and the second row's second new token
    # after its first (a two-token sequence)
    bad = [[int(free[0, 4])], [int(free[1, 4]), int(free[1, 5])]]
    kwargs = dict(
        max_new_tokens=6,
        do_sample=False,
        bad_words_ids=bad,
        no_repeat_ngram_size=2,
        repetition_penalty=1.5,
    )
    expected = _reference(reference, PROMPT, MASK, **kwargs)
    got = np.asarray(model.generate(PROMPT, attention_mask=MASK, **kwargs))
    np.testing.assert_array_equal(got, expected)
    assert got[0, 4] != bad[0][0]


def test_beam_sampling_is_seeded_and_cold_sampling_is_beam_search(gpt2):
    reference, model = gpt2
    kwargs = dict(max_new_tokens=5, num_beams=3, do_sample=True, top_k=0)
    first = np.asarray(model.generate(PROMPT, attention_mask=MASK, seed=3, **kwargs))
    again = np.asarray(model.generate(PROMPT, attention_mask=MASK, seed=3, **kwargs))
    np.testing.assert_array_equal(first, again)
    assert first.shape == (2, 9) and first.max() < 99
    # near-zero temperature: the sampled beams are the beam search's
    cold = model.generate(PROMPT, attention_mask=MASK, seed=3, temperature=1e-4, **kwargs)
    expected = _reference(reference, PROMPT, MASK, max_new_tokens=5, num_beams=3, do_sample=False)
    np.testing.assert_array_equal(np.asarray(cold), expected)


class Recorder:
    def __init__(self) -> None:
        self.puts: list[list[int]] = []
        self.ended = 0

    def put(self, value) -> None:
        self.puts.append(np.asarray(value).reshape(-1).tolist())

    def end(self) -> None:
        self.ended += 1


def test_streamer_gets_the_prompt_then_each_token(gpt2):
    reference, model = gpt2
    recorder = Recorder()
    prompt = PROMPT[:1]
    got = np.asarray(model.generate(prompt, max_new_tokens=5, streamer=recorder))
    np.testing.assert_array_equal(
        got, _reference(reference, prompt, np.ones_like(prompt), max_new_tokens=5)
    )
    assert recorder.puts[0] == prompt[0].tolist()
    assert [token for put in recorder.puts[1:] for token in put] == got[0, 4:].tolist()
    assert all(len(put) == 1 for put in recorder.puts[1:]) and recorder.ended == 1
    with pytest.raises(GenerationError, match="one sequence"):
        model.generate(PROMPT, max_new_tokens=2, streamer=recorder)
    with pytest.raises(GenerationError, match="put"):
        model.generate(prompt, max_new_tokens=2, streamer=object())
    with pytest.raises(GenerationError, match="vocabulary"):
        model.generate(prompt, max_new_tokens=2, bad_words_ids=[[500]])
    with pytest.raises(GenerationError, match="lists"):
        model.generate(prompt, max_new_tokens=2, bad_words_ids=[5])


@pytest.fixture(scope="module")
def bart(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bart-options")
    torch.manual_seed(0)
    config = transformers.BartConfig(
        vocab_size=99,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=20,
        decoder_ffn_dim=20,
        max_position_embeddings=40,
    )
    transformers.BartForConditionalGeneration(config).save_pretrained(folder)
    from tfx_core import FlaxAutoModelForSeq2SeqLM

    reference = transformers.BartForConditionalGeneration.from_pretrained(folder).eval()
    return reference, FlaxAutoModelForSeq2SeqLM.from_pretrained(folder)


def test_seq2seq_from_encoder_outputs_and_streaming(bart):
    reference, model = bart
    source = np.array([[0, 5, 6, 7, 8, 2], [0, 9, 10, 2, 1, 1]])
    mask = (source != 1).astype(np.int64)
    with torch.no_grad():
        expected = reference.generate(
            torch.tensor(source), attention_mask=torch.tensor(mask), max_new_tokens=6
        ).numpy()
        states = reference.get_encoder()(
            input_ids=torch.tensor(source), attention_mask=torch.tensor(mask)
        )
    got = model.generate(encoder_outputs=states, attention_mask=mask, max_new_tokens=6)
    np.testing.assert_array_equal(np.asarray(got), expected)
    own = model.model.encode(source, mask)  # the Flax encoder's output serves as well
    got = model.generate(encoder_outputs=own, attention_mask=mask, max_new_tokens=6)
    np.testing.assert_array_equal(np.asarray(got), expected)
    with pytest.raises(GenerationError, match="encoder_outputs must hold"):
        model.generate(encoder_outputs=np.zeros((2, 6, 5), np.float32), max_new_tokens=2)

    recorder = Recorder()
    one = model.generate(source[:1], attention_mask=mask[:1], max_new_tokens=6, streamer=recorder)
    assert [t for put in recorder.puts for t in put] == np.asarray(one)[0].tolist()
    assert recorder.puts[0] == [2] and recorder.ended == 1  # the decoder start token first
