"""Assisted decoding (prompt lookup, assistant models) gives plain greedy's ids and the
reference's, with fewer main-model forwards.

Tiny random GPT-2 and Llama checkpoints (fp32) are loaded by both libraries. A main-model
"check" forward is counted by wrapping `assisted.forward_positions` (assisted decoding runs one
per round; plain decoding runs one forward per new token).
"""

import copy
import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_gpt2")
pytest.importorskip("tfx_plugin_llama")

from tfx_core import AutoModelForCausalLM  # noqa: E402
from tfx_core.errors import GenerationError  # noqa: E402
from tfx_core.generation import assisted  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")

SPECIAL = dict(bos_token_id=1, eos_token_id=2, pad_token_id=0)
GPT2 = dict(vocab_size=64, n_positions=128, n_embd=32, n_layer=2, n_head=4, initializer_range=0.3)
GPT2.update(SPECIAL)
LLAMA = dict(
    vocab_size=64,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=128,
    **SPECIAL,
)


def _pair(folder, kind, seed, **overrides):
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        if kind == "gpt2":
            config = transformers.GPT2Config(**{**GPT2, **overrides})
            reference = transformers.GPT2LMHeadModel(config).eval()
        else:
            config = transformers.LlamaConfig(**{**LLAMA, **overrides})
            reference = transformers.LlamaForCausalLM(config).eval()
    reference.save_pretrained(folder)
    return AutoModelForCausalLM.from_pretrained(folder).eval(), reference


@pytest.fixture(scope="module", params=["gpt2", "llama"])
def models(request, tmp_path_factory):
    """(ours, reference, our assistant, reference assistant): the assistant has one layer."""
    kind = request.param
    main = _pair(tmp_path_factory.mktemp(kind), kind, 0)
    layers = {"n_layer": 1} if kind == "gpt2" else {"num_hidden_layers": 1}
    helper = _pair(tmp_path_factory.mktemp(kind + "-assistant"), kind, 1, **layers)
    return (*main, *helper)


@pytest.fixture(scope="module")
def prompt(models):
    """A prompt that the greedy continuation copies: a seed, its greedy continuation, the seed."""
    ours = models[0]
    seed = torch.tensor([[5, 9, 13, 7, 22, 31]])
    continuation = ours.generate(seed, max_new_tokens=24)[:, 6:]
    return torch.cat([seed, continuation, seed], dim=1)


def _count_checks(model, monkeypatch):
    """The `num_logits` of each check forward of `model` (one per assisted round)."""
    calls = []
    original = assisted.forward_positions

    def counted(checked, *args, **kwargs):
        if checked is model:
            calls.append(kwargs["num_logits"])
        return original(checked, *args, **kwargs)

    monkeypatch.setattr(assisted, "forward_positions", counted)
    return calls


def _reference(reference, ids, **kwargs):
    """The reference's ids; its assistant's generation config (which it edits) is restored."""
    assistant = kwargs.get("assistant_model")
    saved = None if assistant is None else copy.deepcopy(assistant.generation_config)
    try:
        with torch.no_grad():
            return reference.generate(ids, **kwargs)
    finally:
        if saved is not None:
            assistant.generation_config = saved


def test_prompt_lookup_greedy_gives_plain_and_reference_ids(models, prompt, monkeypatch):
    ours, reference, *_ = models
    kwargs = dict(max_new_tokens=24)
    plain = ours.generate(prompt, **kwargs)
    checks = _count_checks(ours, monkeypatch)
    got = ours.generate(prompt, prompt_lookup_num_tokens=8, **kwargs)
    assert got.tolist() == plain.tolist()
    assert got.tolist() == _reference(reference, prompt, **kwargs).tolist()
    expected = _reference(reference, prompt, prompt_lookup_num_tokens=8, **kwargs)
    # (the reference's prompt lookup may run past max_new_tokens; tfx never does)
    assert got.tolist()[0] == expected.tolist()[0][: got.shape[1]]
    assert got.shape[1] - prompt.shape[1] == 24
    assert len(checks) < 24 and max(checks) > 1, checks  # candidates were accepted
    if ours.config.model_type == "llama":  # its continuation copies the prompt
        assert len(checks) <= 24 / 2, checks


@pytest.mark.parametrize("own", [False, True], ids=["small-assistant", "self-assistant"])
def test_assistant_greedy_gives_plain_and_reference_ids(models, prompt, monkeypatch, own):
    ours, reference, helper, reference_helper = models
    if own:  # drafts never stop for low confidence: all 19 in one round (+1 from the check)
        helper, reference_helper = ours, reference
        for model in (ours, reference):
            monkeypatch.setattr(model.generation_config, "assistant_confidence_threshold", 0.0)
    kwargs = dict(max_new_tokens=20)
    plain = ours.generate(prompt, **kwargs)
    checks = _count_checks(ours, monkeypatch)
    got = ours.generate(prompt, assistant_model=helper, **kwargs)
    expected = _reference(reference, prompt, assistant_model=reference_helper, **kwargs)
    assert got.tolist() == plain.tolist() == expected.tolist()
    if own:
        assert checks == [20]


@pytest.mark.parametrize("max_new_tokens", [1, 2, 3, 7])
@pytest.mark.parametrize("source", ["lookup", "assistant"])
def test_max_new_tokens_is_never_exceeded(models, prompt, max_new_tokens, source):
    ours, reference, helper, _ = models
    extra = (
        dict(prompt_lookup_num_tokens=10) if source == "lookup" else dict(assistant_model=helper)
    )
    kwargs = dict(max_new_tokens=max_new_tokens)
    got = ours.generate(prompt, **extra, **kwargs)
    assert got.tolist() == _reference(reference, prompt, **kwargs).tolist()


@pytest.mark.parametrize("source", ["lookup", "assistant", "self"])
def test_eos_inside_the_candidates_ends_the_sequence(models, prompt, source):
    ours, reference, helper, reference_helper = models
    plain = ours.generate(prompt, max_new_tokens=24)[0, prompt.shape[1] :]
    generated = plain.tolist()
    eos = next(t for i, t in enumerate(generated) if i >= 4 and t not in generated[:i])
    kwargs = dict(max_new_tokens=24, eos_token_id=eos, pad_token_id=0)
    if source == "lookup":
        extra, reference_extra = (
            dict(prompt_lookup_num_tokens=10),
            dict(prompt_lookup_num_tokens=10),
        )
    elif source == "assistant":
        extra, reference_extra = (
            dict(assistant_model=helper),
            dict(assistant_model=reference_helper),
        )
    else:
        extra, reference_extra = dict(assistant_model=ours), dict(assistant_model=reference)
    got = ours.generate(prompt, **extra, **kwargs)
    assert got[0, -1].item() == eos
    assert got.tolist() == _reference(reference, prompt, **reference_extra, **kwargs).tolist()
    assert got.tolist() == _reference(reference, prompt, **kwargs).tolist()


@pytest.mark.parametrize(
    "processor", [dict(repetition_penalty=1.4), dict(no_repeat_ngram_size=3)], ids=str
)
@pytest.mark.parametrize("source", ["lookup", "assistant"])
def test_processors_apply_per_position_as_the_reference(models, prompt, processor, source):
    ours, reference, helper, reference_helper = models
    kwargs = dict(max_new_tokens=16, **processor)
    if source == "lookup":
        got = ours.generate(prompt, prompt_lookup_num_tokens=6, **kwargs)
        expected = _reference(reference, prompt, prompt_lookup_num_tokens=6, **kwargs)
        expected = expected[:, : got.shape[1]]
    else:
        got = ours.generate(prompt, assistant_model=helper, **kwargs)
        expected = _reference(reference, prompt, assistant_model=reference_helper, **kwargs)
    assert got.tolist() == expected.tolist()
    assert got.tolist() == ours.generate(prompt, **kwargs).tolist()


def test_scores_streamer_and_left_padding(models, prompt, monkeypatch):
    ours, reference, *_ = models
    kwargs = dict(max_new_tokens=12, return_dict_in_generate=True)
    kwargs.update(output_scores=True, output_logits=True)
    plain = ours.generate(prompt, **kwargs)

    class Collect:
        def __init__(self):
            self.chunks = []

        def put(self, value):
            self.chunks.append(value.view(-1).tolist())

        def end(self):
            self.chunks.append("end")

    streamer = Collect()
    checks = _count_checks(ours, monkeypatch)
    got = ours.generate(prompt, prompt_lookup_num_tokens=5, streamer=streamer, **kwargs)
    assert got.sequences.tolist() == plain.sequences.tolist()
    assert len(got.scores) == len(got.logits) == 12
    for ours_scores, plain_scores in zip(got.scores, plain.scores, strict=True):
        torch.testing.assert_close(ours_scores, plain_scores, rtol=1e-4, atol=1e-5)
    assert streamer.chunks[0] == prompt[0].tolist() and streamer.chunks[-1] == "end"
    streamed = [t for chunk in streamer.chunks[1:-1] for t in chunk]
    assert streamed == got.sequences[0, prompt.shape[1] :].tolist()
    assert len(streamer.chunks) - 2 == len(checks)  # one chunk of accepted tokens a round

    padded = torch.cat([torch.zeros(1, 3, dtype=torch.long), prompt], dim=1)
    mask = torch.cat([torch.zeros(1, 3, dtype=torch.long), torch.ones_like(prompt)], dim=1)
    args = dict(attention_mask=mask, max_new_tokens=12, pad_token_id=0)
    expected = ours.generate(padded, **args).tolist()
    assert ours.generate(padded, prompt_lookup_num_tokens=5, **args).tolist() == expected
    assert ours.generate(padded, assistant_model=ours, **args).tolist() == expected
    assert expected == reference.generate(padded, **args).tolist()


def test_prompt_lookup_sampling_matches_the_reference(models, prompt):
    ours, reference, helper, reference_helper = models
    kwargs = dict(max_new_tokens=12, do_sample=True, top_k=0)
    torch.manual_seed(11)
    expected = _reference(reference, prompt, prompt_lookup_num_tokens=4, **kwargs)
    torch.manual_seed(11)
    got = ours.generate(prompt, prompt_lookup_num_tokens=4, **kwargs)
    assert got.tolist()[0] == expected.tolist()[0][: got.shape[1]]
    torch.manual_seed(12)
    expected = _reference(reference, prompt, assistant_model=reference_helper, **kwargs)
    torch.manual_seed(12)
    got = ours.generate(prompt, assistant_model=helper, **kwargs)
    assert got.tolist() == expected.tolist()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch=2), "batch size 1"),
        (dict(num_beams=2), "num_beams=1"),
        (dict(num_return_sequences=2, do_sample=True), "num_return_sequences=1"),
        (dict(cache_implementation="static"), "static cache"),
        (dict(prompt_lookup_num_tokens=0), "positive int"),
        (dict(prompt_lookup_num_tokens=3, max_matching_ngram_size=-1), "positive int"),
        (dict(guidance_scale=1.5), "guidance"),
    ],
    ids=str,
)
def test_unsupported_requests_are_typed_errors(models, prompt, kwargs, message):
    ours, *_ = models
    kwargs = dict(kwargs)
    ids = prompt.repeat(kwargs.pop("batch", 1), 1)
    kwargs.setdefault("prompt_lookup_num_tokens", 4)
    with pytest.raises(GenerationError, match=message):
        ours.generate(ids, max_new_tokens=4, **kwargs)


@pytest.mark.parametrize("window", [8, 128])
def test_sliding_window_models_fall_back_or_assist(tmp_path, prompt, window, monkeypatch):
    """A window shorter than the output: the cache cannot be cropped, plain decoding runs;
    a longer one: assisted decoding runs. Either way, the reference's ids."""
    pytest.importorskip("tfx_plugin_mistral")
    fields = dict(LLAMA, sliding_window=window)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.MistralForCausalLM(transformers.MistralConfig(**fields)).eval()
    reference.save_pretrained(tmp_path)
    ours = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    kwargs = dict(max_new_tokens=10, prompt_lookup_num_tokens=6)
    checks = _count_checks(ours, monkeypatch)
    got = ours.generate(prompt, **kwargs)
    assert (len(checks) > 0) == (window == 128)
    assert got.tolist() == _reference(reference, prompt, max_new_tokens=10).tolist()
