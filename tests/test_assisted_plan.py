"""Assisted decoding's checks (k + 1 positions of one sequence) run through the decode plan.

`LeanDecoding._decode_forward_positions` runs them as a prompt through `DecodePlan` (float32
products on laid-out copies from 2 rows on, the output matrix over the kept rows only) when the
plan may run; GPT-2 (Conv1D) and anything the guard sees go through the modules. Small random
checkpoints (weights large enough that the laid-out float32 products run: gate/up, down and
the output matrix have >= 2**16 elements) are loaded by both libraries.
"""

import copy
import os
import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
for _plugin in ("gpt2", "llama", "mistral", "qwen2"):
    pytest.importorskip(f"tfx_plugin_{_plugin}")

from tfx_core import AutoModelForCausalLM  # noqa: E402
from tfx_core.generation.config import GenerationConfig  # noqa: E402
from tfx_core.modeling.torch.blocks.lean_decoder import DecodePlan  # noqa: E402
from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")

SPECIAL = dict(bos_token_id=1, eos_token_id=2, pad_token_id=0)
DECODER = dict(
    vocab_size=512,
    hidden_size=128,
    intermediate_size=512,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=256,
    **SPECIAL,
)
CONFIGS = {
    "gpt2": (
        transformers.GPT2Config,
        transformers.GPT2LMHeadModel,
        dict(vocab_size=512, n_positions=256, n_embd=128, n_head=4, **SPECIAL),
    ),
    "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM, DECODER),
    "mistral": (  # a sliding window longer than prompt + output: assisted decoding runs
        transformers.MistralConfig,
        transformers.MistralForCausalLM,
        dict(DECODER, sliding_window=200),
    ),
    "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM, DECODER),  # qkv biases
}
CASES = ["gpt2", "llama", "llama-bf16", "mistral", "qwen2"]


def _load(folder, kind, dtype, seed, layers):
    config_class, model_class, fields = CONFIGS[kind]
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        depth = {"n_layer": layers} if kind == "gpt2" else {"num_hidden_layers": layers}
        config = config_class(**fields, **depth)
        reference = model_class(config)
        if kind == "qwen2":  # random biases, so the check sees them (the reference's init is 0)
            for layer in reference.model.layers:
                for name in ("q_proj", "k_proj", "v_proj"):
                    torch.nn.init.normal_(getattr(layer.self_attn, name).bias, std=0.5)
        reference.save_pretrained(folder)
        reference = model_class.from_pretrained(folder, dtype=dtype).eval()
    return AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).eval(), reference


@pytest.fixture(scope="module", params=CASES)
def case(request, tmp_path_factory):
    """(kind, ours, reference, our assistant, reference assistant, prompt)."""
    kind, _, precision = request.param.partition("-")
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    ours, reference = _load(tmp_path_factory.mktemp(kind), kind, dtype, 0, 2)
    helpers = _load(tmp_path_factory.mktemp(kind + "-helper"), kind, dtype, 1, 1)
    seed = torch.tensor([[5, 9, 13, 7, 22, 31, 40, 11]])
    continuation = ours.generate(seed, max_new_tokens=24)[:, seed.shape[1] :]
    prompt = torch.cat([seed, continuation, seed], dim=1)  # greedy decoding copies the prompt
    return kind, ours, reference, *helpers, prompt


def _count_plan_checks(monkeypatch):
    """Row counts of the checks that ran through `DecodePlan.check_positions`."""
    calls = []
    original = DecodePlan.check_positions

    def counted(plan, input_ids, cache, num_logits):
        calls.append(input_ids.shape[1])
        return original(plan, input_ids, cache, num_logits)

    monkeypatch.setattr(DecodePlan, "check_positions", counted)
    return calls


def _reference(reference, ids, **kwargs):
    assistant = kwargs.get("assistant_model")
    saved = None if assistant is None else copy.deepcopy(assistant.generation_config)
    try:
        with torch.no_grad():
            return reference.generate(ids, **kwargs)[0].tolist()
    finally:
        if saved is not None:
            assistant.generation_config = saved


def test_checks_through_the_plan_give_plain_and_reference_ids(case, monkeypatch):
    kind, ours, reference, helper, reference_helper, prompt = case
    kwargs = dict(max_new_tokens=20)
    plain = ours.generate(prompt, **kwargs)[0].tolist()
    checks = _count_plan_checks(monkeypatch)
    lookup = ours.generate(prompt, prompt_lookup_num_tokens=6, **kwargs)[0].tolist()
    lookup_checks = list(checks)
    assisted = ours.generate(prompt, assistant_model=helper, **kwargs)[0].tolist()
    assert lookup == plain == assisted
    assert plain == _reference(reference, prompt, **kwargs)
    assert plain == _reference(reference, prompt, assistant_model=reference_helper, **kwargs)
    # (the reference's prompt lookup may run past max_new_tokens; tfx never does)
    expected = _reference(reference, prompt, prompt_lookup_num_tokens=6, **kwargs)
    assert plain == expected[: len(plain)]
    if kind == "gpt2":  # Conv1D projections: checks go through the modules
        assert checks == []
    else:  # the prompt (+ candidates), then rounds with accepted candidates
        assert lookup_checks and lookup_checks[0] > prompt.shape[1], lookup_checks
        assert max(lookup_checks[1:]) > 1, lookup_checks
        assert len(checks) > len(lookup_checks)  # the assistant's rounds too


def _prepare(model):
    """Build the model's decode plan, as `generate` does (without autograd)."""
    with torch.no_grad():
        model._prepare_for_decoding()


def _caches(model, prompt):
    """Two equal caches holding `prompt` (filled through the modules)."""
    cache = model._make_generation_cache(GenerationConfig(), 1, 0)
    with torch.no_grad():
        model(input_ids=prompt, past_key_values=cache, use_cache=True)
    return cache, copy.deepcopy(cache)


def _module_logits(model, ids, cache, keep):
    with torch.no_grad():
        out = model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=keep)
    return out.logits[:, -keep:]


@pytest.mark.parametrize("rows", [1, 2, 5, 11])
def test_plan_logits_match_the_modules(case, rows, monkeypatch):
    kind, ours, _, _, _, prompt = case
    if kind == "gpt2" or ours.dtype != torch.float32:
        pytest.skip("float32 plan models")
    _prepare(ours)
    checks = _count_plan_checks(monkeypatch)
    planned, modular = _caches(ours, prompt)
    new = torch.arange(40, 40 + rows)[None]
    keep = min(rows, 4)
    with torch.no_grad():
        got = ours._decode_forward_positions(new, cache=planned, num_logits=keep)
    expected = _module_logits(ours, new, modular, keep)
    assert checks == [rows]
    assert got.shape == expected.shape == (1, keep, 512)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    assert planned.get_seq_length() == modular.get_seq_length() == prompt.shape[1] + rows
    # the next check reads the plan's cache like the modules' one
    more = torch.tensor([[7, 8, 9]])
    with torch.no_grad():
        got = ours._decode_forward_positions(more, cache=planned, num_logits=3)
    torch.testing.assert_close(got, _module_logits(ours, more, modular, 3), rtol=0, atol=1e-5)


def _hook(model):
    return model.base_model.decoder_layers()[0].register_forward_hook(lambda *_: None)


def _patched_forward(model):
    mlp = model.base_model.decoder_layers()[0].mlp
    original = mlp.forward
    mlp.forward = lambda hidden: original(hidden) * 2  # an instance forward the plan cannot see

    class Undo:
        def remove(self):
            del mlp.forward

    return Undo()


@pytest.mark.parametrize("change", ["hook", "patched-forward", "fast-paths-off"])
def test_guarded_checks_go_through_the_modules(case, change, monkeypatch):
    kind, ours, _, _, _, prompt = case
    if kind == "gpt2" or ours.dtype != torch.float32:
        pytest.skip("float32 plan models")
    new = torch.tensor([[40, 41, 42, 43]])
    if change == "fast-paths-off":
        monkeypatch.setitem(os.environ, "TFX_FAST_PATHS", "0")
        _prepare(ours)
        assert ours.__dict__["_decode_plan"] is None
    else:
        _prepare(ours)
    undo = _hook(ours) if change == "hook" else None
    undo = _patched_forward(ours) if change == "patched-forward" else undo
    checks = _count_plan_checks(monkeypatch)
    try:
        planned, modular = _caches(ours, prompt)
        with torch.no_grad():
            got = ours._decode_forward_positions(new, cache=planned, num_logits=4)
        with fast_paths(False):
            expected = _module_logits(ours, new, modular, 4)
    finally:
        if undo is not None:
            undo.remove()
    assert checks == []
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    if change == "patched-forward":  # the patch's doubled MLP output is seen
        _prepare(ours)
        planned, _ = _caches(ours, prompt)
        with torch.no_grad():
            unpatched = ours._decode_forward_positions(new, cache=planned, num_logits=4)
        assert (unpatched - got).abs().max() > 1e-3
