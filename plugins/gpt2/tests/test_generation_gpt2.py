"""generate(): token ids identical to transformers' generate, sampling, streaming, errors."""

import threading

import pytest
import torch

from tfx_core.errors import GenerationError
from tfx_core.generation import GenerationConfig, TextIteratorStreamer


def assert_same_generation(ours, ref, ids, mask, **kwargs):
    expected = ref.generate(ids, attention_mask=mask, **kwargs)
    got = ours.generate(ids, attention_mask=mask, **kwargs)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert torch.equal(got, expected)
    return got


def early_eos(ref, ids, mask, step=2):
    """An id the reference generates for the first prompt at `step`: EOS is then hit early."""
    out = ref.generate(ids, attention_mask=mask, max_new_tokens=step + 1, eos_token_id=None)
    return int(out[0, ids.shape[1] + step])


SEARCHES = [
    dict(max_new_tokens=12),
    dict(max_new_tokens=12, num_beams=3),
    dict(max_new_tokens=10, num_beams=3, num_return_sequences=3, length_penalty=0.4),
    dict(max_new_tokens=10, num_beams=4, num_return_sequences=2, early_stopping=True),
    dict(max_new_tokens=10, num_beams=3, early_stopping="never", length_penalty=1.5),
    dict(max_new_tokens=10, num_beams=2, length_penalty=-1.0, early_stopping="never"),
    dict(max_new_tokens=10, no_repeat_ngram_size=2),
    dict(max_new_tokens=10, num_beams=3, no_repeat_ngram_size=2),
    dict(max_new_tokens=10, repetition_penalty=1.5),
    dict(max_length=15, num_beams=2, repetition_penalty=0.8),
]


@pytest.mark.parametrize(
    "kwargs", SEARCHES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items())
)
@pytest.mark.parametrize("eos", ["early", "none"])
def test_greedy_and_beam_search_match_reference(make_pair, left_padded, kwargs, eos):
    ours, ref = make_pair()
    ids, mask = left_padded
    eos_id = early_eos(ref, ids, mask) if eos == "early" else None
    assert_same_generation(ours, ref, ids, mask, pad_token_id=0, eos_token_id=eos_id, **kwargs)


def test_min_new_tokens_and_several_eos_ids(make_pair, left_padded):
    ours, ref = make_pair(seed=1)
    ids, mask = left_padded
    first, second = early_eos(ref, ids, mask, 1), early_eos(ref, ids, mask, 4)
    for kwargs in (
        dict(min_new_tokens=5),
        dict(min_length=9, num_beams=3),
        dict(num_beams=2, num_return_sequences=2),
        dict(),
    ):
        out = assert_same_generation(
            ours,
            ref,
            ids,
            mask,
            pad_token_id=0,
            eos_token_id=[first, second],
            max_new_tokens=9,
            **kwargs,
        )
    assert out.shape[1] < ids.shape[1] + 9 or (out == 0).any()


def test_static_cache_and_no_padding_paths(make_pair, left_padded):
    ours, ref = make_pair(seed=2)
    ids = torch.randint(3, 99, (2, 5))
    expected = ref.generate(ids, max_new_tokens=8, pad_token_id=0)
    for cache in ("static", "dynamic"):
        got = ours.generate(ids, max_new_tokens=8, pad_token_id=0, cache_implementation=cache)
        assert torch.equal(got, expected)
    single = ours.generate(ids[:1], max_new_tokens=8)  # batch 1, config's own EOS / pad
    assert torch.equal(single, ref.generate(ids[:1], max_new_tokens=8))
    ids, mask = left_padded
    for kwargs in (dict(), dict(num_beams=2)):
        expected = ref.generate(
            ids, attention_mask=mask, max_new_tokens=6, pad_token_id=0, **kwargs
        )
        got = ours.generate(
            ids,
            attention_mask=mask,
            max_new_tokens=6,
            pad_token_id=0,
            cache_implementation="static",
            **kwargs,
        )
        assert torch.equal(got, expected)


@pytest.mark.parametrize("upcast", [False, True])
def test_half_precision_generation_runs(make_pair, left_padded, upcast):
    ours, _ = make_pair(reorder_and_upcast_attn=upcast)
    ours.to(torch.bfloat16)
    ids, mask = left_padded
    for kwargs in (dict(), dict(num_beams=2, cache_implementation="static")):
        out = ours.generate(ids, attention_mask=mask, max_new_tokens=5, pad_token_id=0, **kwargs)
        assert out.shape == (3, 12) and int(out.max()) < 99


def test_amortised_finished_check_gives_the_same_ids(make_pair, left_padded, monkeypatch):
    """On accelerators the loop checks "all finished?" every few steps; results are unchanged."""
    from tfx_core.generation import search

    ours, ref = make_pair()
    ids, mask = left_padded
    plain = ref.generate(ids, attention_mask=mask, max_new_tokens=3, eos_token_id=None)
    eos = sorted(set(plain[:, -2].tolist()))  # every row stops by its second new token
    kwargs = dict(attention_mask=mask, max_new_tokens=12, pad_token_id=0, eos_token_id=eos)
    expected = ours.generate(ids, return_dict_in_generate=True, output_scores=True, **kwargs)
    assert expected.sequences.shape[1] <= ids.shape[1] + 2
    monkeypatch.setattr(search, "finished_check_interval", lambda device: 5)
    got = ours.generate(ids, return_dict_in_generate=True, output_scores=True, **kwargs)
    assert torch.equal(got.sequences, expected.sequences)
    assert len(got.scores) == len(expected.scores)


def test_hooks_and_adapters_run_during_decoding(make_pair, left_padded):
    """The one-token decode plan skips module calls, so a hooked or swapped module turns it off."""
    ours, ref = make_pair()
    ids, mask = left_padded
    plain = ours.generate(ids, attention_mask=mask, max_new_tokens=6, pad_token_id=0)
    calls = []
    handle = ours.transformer.h[0].mlp.register_forward_hook(lambda *args: calls.append(1))
    try:
        hooked = ours.generate(ids, attention_mask=mask, max_new_tokens=6, pad_token_id=0)
    finally:
        handle.remove()
    assert torch.equal(plain, hooked)
    assert len(calls) == 6  # the prompt, then five single-token steps

    class Doubled(torch.nn.LayerNorm):
        def forward(self, x):
            return super().forward(x) * 2

    old = ours.transformer.h[1].ln_2
    ours.transformer.h[1].ln_2 = Doubled(old.normalized_shape, eps=old.eps)
    ours.transformer.h[1].ln_2.load_state_dict(old.state_dict())
    ref.transformer.h[1].ln_2.weight.data *= 2
    ref.transformer.h[1].ln_2.bias.data *= 2
    assert_same_generation(ours, ref, ids, mask, max_new_tokens=6, pad_token_id=0)


def test_scores_and_beam_outputs_match(make_pair, left_padded):
    ours, ref = make_pair()
    ids, mask = left_padded
    kwargs = dict(
        max_new_tokens=6, pad_token_id=0, return_dict_in_generate=True, output_scores=True
    )
    got = ours.generate(ids, attention_mask=mask, **kwargs)
    expected = ref.generate(ids, attention_mask=mask, **kwargs)
    assert torch.equal(got.sequences, expected.sequences)
    for a, b in zip(got.scores, expected.scores, strict=True):
        assert torch.allclose(a, b, atol=1e-5)
    got = ours.generate(ids, attention_mask=mask, num_beams=3, num_return_sequences=2, **kwargs)
    expected = ref.generate(ids, attention_mask=mask, num_beams=3, num_return_sequences=2, **kwargs)
    assert torch.equal(got.sequences, expected.sequences)
    assert torch.allclose(got.sequences_scores, expected.sequences_scores, atol=1e-5)
    assert torch.equal(got.beam_indices, expected.beam_indices.to(got.beam_indices.dtype))


def test_sampling_matches_reference_and_is_reproducible(make_pair, left_padded):
    ours, ref = make_pair()
    ids, mask = left_padded
    kwargs = dict(
        do_sample=True, max_new_tokens=10, top_k=20, top_p=0.9, temperature=0.8, pad_token_id=0
    )
    torch.manual_seed(7)  # same global RNG stream: same samples as the reference
    expected = ref.generate(ids, attention_mask=mask, **kwargs)
    torch.manual_seed(7)
    assert torch.equal(ours.generate(ids, attention_mask=mask, **kwargs), expected)

    first = ours.generate(ids, attention_mask=mask, seed=3, **kwargs)
    torch.manual_seed(0)  # a seed makes runs independent of the global RNG
    assert torch.equal(ours.generate(ids, attention_mask=mask, seed=3, **kwargs), first)
    generator = torch.Generator().manual_seed(3)
    assert torch.equal(
        ours.generate(ids, attention_mask=mask, generator=generator, **kwargs), first
    )
    several = ours.generate(ids[:1], seed=5, num_return_sequences=4, min_p=0.05, **kwargs)
    assert several.shape[0] == 4

    beam_kwargs = dict(kwargs, num_beams=2, num_return_sequences=2)
    torch.manual_seed(11)
    expected = ref.generate(ids, attention_mask=mask, **beam_kwargs)
    torch.manual_seed(11)
    assert torch.equal(ours.generate(ids, attention_mask=mask, **beam_kwargs), expected)


class DigitTokenizer:
    """Token i decodes to a short piece of text; enough to exercise streamers and stop strings."""

    def decode(self, ids, skip_special_tokens=False):
        return "".join(f" w{i}" if i % 3 else f"{i}" for i in ids)


def test_streaming_yields_the_same_text(make_pair):
    ours, _ = make_pair()
    tokenizer = DigitTokenizer()
    ids = torch.randint(3, 99, (1, 4))
    expected = ours.generate(ids, max_new_tokens=15, eos_token_id=None)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, timeout=30)
    thread = threading.Thread(
        target=ours.generate,
        kwargs=dict(input_ids=ids, max_new_tokens=15, eos_token_id=None, streamer=streamer),
    )
    thread.start()
    text = "".join(streamer)
    thread.join()
    assert text == tokenizer.decode(expected[0, 4:].tolist())


def test_stop_strings(make_pair):
    ours, _ = make_pair()
    tokenizer = DigitTokenizer()
    ids = torch.randint(3, 99, (1, 4))
    full = ours.generate(ids, max_new_tokens=15, eos_token_id=None)
    stop = tokenizer.decode([int(full[0, 7])]).strip()  # text of the 4th generated token
    out = ours.generate(
        ids, max_new_tokens=15, eos_token_id=None, stop_strings=[stop], tokenizer=tokenizer
    )
    assert out.shape[1] <= 8 and stop in tokenizer.decode(out[0, 4:].tolist())


def test_generation_config_defaults_and_overrides(make_pair):
    ours, _ = make_pair()
    assert ours.generation_config.eos_token_id == 2  # from config.json
    ours.generation_config = GenerationConfig(max_new_tokens=3, eos_token_id=None, pad_token_id=0)
    ids = torch.randint(3, 99, (1, 4))
    assert ours.generate(ids).shape == (1, 7)
    explicit = GenerationConfig(num_beams=2)  # its defaults fall back to the model's
    assert ours.generate(ids, generation_config=explicit).shape == (1, 7)
    assert ours.generate(ids, max_new_tokens=5).shape == (1, 9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_beams=0), "num_beams"),
        (dict(do_sample=True, top_p=1.5), "top_p"),
        (dict(do_sample=True, temperature=0.0), "temperature"),
        (dict(num_beams=2, num_return_sequences=3), "num_return_sequences"),
        (dict(max_new_tokens=70), "context"),
        (dict(stop_strings=["x"]), "tokenizer"),
        (dict(bogus_option=1), "bogus_option"),
        (dict(penalty_alpha=0.6, top_k=4), "penalty_alpha"),
    ],
)
def test_bad_requests_are_typed_errors(make_pair, kwargs, message):
    ours, _ = make_pair()
    with pytest.raises(GenerationError, match=message):
        ours.generate(torch.randint(3, 99, (1, 4)), **kwargs)


def test_bad_inputs_are_typed_errors(make_pair):
    ours, _ = make_pair(eos_token_id=None, bos_token_id=None)
    with pytest.raises(GenerationError, match="context"):
        ours.generate(torch.randint(3, 99, (1, 65)))
    with pytest.raises(GenerationError, match="vocabulary"):
        ours.generate(torch.tensor([[5, 500]]))
    with pytest.raises(GenerationError, match="pad token"):
        ours.generate(torch.randint(3, 99, (2, 4)), do_sample=True)
    with pytest.raises(GenerationError, match="input_ids"):
        ours.generate()
    with pytest.raises(GenerationError, match="attention_mask"):
        ours.generate(torch.ones(2, 3, dtype=torch.long), attention_mask=torch.ones(2, 4))
    streamer = TextIteratorStreamer(DigitTokenizer())
    with pytest.raises(GenerationError, match="one sequence"):
        ours.generate(torch.ones(2, 3, dtype=torch.long), streamer=streamer, pad_token_id=0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_generation_matches_cpu(make_pair, left_padded):
    ours, _ = make_pair()
    ids, mask = left_padded
    kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0)
    expected = ours.generate(ids, **kwargs)
    ours.cuda()
    for cache in ("dynamic", "static"):
        got = ours.generate(ids.cuda(), cache_implementation=cache, **kwargs)
        assert torch.equal(got.cpu(), expected)
