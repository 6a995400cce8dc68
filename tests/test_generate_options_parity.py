"""generate() options beyond greedy/sampling/beams give the reference's token ids.

A tiny random GPT-2 written by transformers is loaded by both libraries; each request runs in
both and the ids must be identical (sampling requests reseed the global RNG identically).
"""

import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_gpt2")

from tfx_core import AutoModelForCausalLM  # noqa: E402
from tfx_core.errors import GenerationError  # noqa: E402

TINY = dict(vocab_size=64, n_positions=64, n_embd=32, n_layer=2, n_head=4, bos_token_id=1)
TINY.update(eos_token_id=2, pad_token_id=0, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one torch thread is fastest, and immune to a busy machine's contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpt2")
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.GPT2LMHeadModel(transformers.GPT2Config(**TINY)).eval()
    reference.save_pretrained(folder)
    transformers.logging.set_verbosity_error()
    return AutoModelForCausalLM.from_pretrained(folder).eval(), reference


@pytest.fixture(scope="module")
def prompt():
    ids = torch.randint(3, 64, (2, 6), generator=torch.Generator().manual_seed(5))
    mask = torch.ones_like(ids)
    mask[1, :2] = 0  # left padding
    ids[mask == 0] = 0
    return ids, mask


def only_even(batch_id, ids):
    return list(range(4, 64, 2)) if len(ids) % 2 else list(range(3, 64, 2))


REQUESTS = {
    "bad-words": dict(bad_words_ids=[[7], [9, 10]]),
    "bad-words-beams": dict(bad_words_ids=[[7], [12, 13]], num_beams=3),
    "sequence-bias": dict(sequence_bias=[[[11], 5.0], [[20, 21], 9.0]]),
    "exp-decay": dict(exponential_decay_length_penalty=(2, 3.0), max_new_tokens=12),
    "renormalize-beams": dict(renormalize_logits=True, num_beams=2),
    "remove-invalid": dict(remove_invalid_values=True),
    "prefix": dict(prefix_allowed_tokens_fn=only_even),
    "prefix-beams": dict(prefix_allowed_tokens_fn=only_even, num_beams=2),
    "typical": dict(do_sample=True, typical_p=0.7, top_k=0),
    "epsilon": dict(do_sample=True, epsilon_cutoff=0.02, top_k=0),
    "eta": dict(do_sample=True, eta_cutoff=0.01, top_k=0),
    "guidance": dict(guidance_scale=1.5),
    "guidance-negative": dict(guidance_scale=2.0, negative_prompt="yes"),
    "max-time": dict(max_time=60.0),
    "watermark": dict(watermarking_config={"bias": 4.0, "seeding_scheme": "lefthash"}),
    "inputs-keyword": dict(use_inputs_keyword=True),
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_same_ids_as_reference(models, prompt, name):
    ours, reference = models
    kwargs = dict(REQUESTS[name])
    ids, mask = prompt
    kwargs.setdefault("max_new_tokens", 8)
    if kwargs.pop("negative_prompt", None):
        kwargs["negative_prompt_ids"] = torch.tensor([[5, 6], [7, 8]])
    prompt_key = "inputs" if kwargs.pop("use_inputs_keyword", False) else "input_ids"
    call = {prompt_key: ids, "attention_mask": mask, **kwargs}
    reference_call = dict(call)
    if "watermarking_config" in call:  # the reference takes its config object
        options = call["watermarking_config"]
        reference_call["watermarking_config"] = transformers.WatermarkingConfig(**options)
    torch.manual_seed(3)
    with torch.no_grad():
        expected = reference.generate(**reference_call)
    torch.manual_seed(3)
    got = ours.generate(**call)
    assert got.tolist() == expected.tolist()


def test_use_model_defaults_false_ignores_the_model_generation_config(models, prompt):
    ours, reference = models
    ids, mask = prompt
    ours.generation_config.no_repeat_ngram_size = 1
    reference.generation_config.no_repeat_ngram_size = 1
    try:
        for flag in (None, False):
            explicit = type(ours.generation_config)(max_new_tokens=6, pad_token_id=0)
            got = ours.generate(
                ids, attention_mask=mask, generation_config=explicit, use_model_defaults=flag
            )
            ref_config = transformers.GenerationConfig(max_new_tokens=6, pad_token_id=0)
            expected = reference.generate(
                ids, attention_mask=mask, generation_config=ref_config, use_model_defaults=flag
            )
            assert got.tolist() == expected.tolist(), flag
    finally:
        ours.generation_config.no_repeat_ngram_size = 0
        reference.generation_config.no_repeat_ngram_size = 0


def test_assistant_model_gives_the_main_model_s_ids(models, prompt):
    ours, reference = models
    ids, _ = prompt
    ids = ids[:1]
    expected = reference.generate(ids, max_new_tokens=8, assistant_model=reference)
    assert ours.generate(ids, max_new_tokens=8, assistant_model=ours).tolist() == expected.tolist()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(synced_gpus=True), "synced_gpus"),
        (dict(negative_prompt_ids=torch.tensor([[5]])), "guidance_scale"),
        (dict(assistant_model=object()), "assistant_model"),
        (dict(prefix_allowed_tokens_fn=[1, 2]), "prefix_allowed_tokens_fn"),
        (dict(bad_words_ids=[[99]]), "vocabulary"),
        (dict(sequence_bias="x"), "sequence_bias"),
    ],
)
def test_bad_options_are_typed_errors(models, prompt, kwargs, message):
    ours, _ = models
    with pytest.raises(GenerationError, match=message):
        ours.generate(prompt[0][:1], max_new_tokens=2, **kwargs)
