"""A researcher's edits run on every generated token: class-level and instance-level patches of
`GPT2Block.forward` and forward hooks are honoured by the one-token decode plan (which otherwise
skips the module calls), with fast paths on and with `TFX_FAST_PATHS=0`; the plan's logits equal
the modules' logits."""

import copy

import pytest
import torch

from tfx_core.modeling.torch.cache import DynamicCache
from tfx_core.modeling.torch.fast_paths import fast_paths

NEW_TOKENS = 5


@pytest.fixture()
def model(make_pair):
    return make_pair()[0]


def _generate(model, **kwargs):
    ids = torch.tensor([[5, 17, 33, 8]])
    return model.generate(
        ids,
        max_new_tokens=NEW_TOKENS,
        min_new_tokens=NEW_TOKENS,
        do_sample=False,
        output_scores=True,
        return_dict_in_generate=True,
        **kwargs,
    )


def _shifting(original, calls):
    """A patched forward: the original block's output plus 0.5 (visibly different math)."""

    def forward(self, *args, **kwargs):
        calls.append(self.attn.layer_idx)
        hidden, weights = original(self, *args, **kwargs)
        return hidden + 0.5, weights

    return forward


def _same(a, b):
    assert torch.equal(a.sequences, b.sequences)
    for x, y in zip(a.scores, b.scores):
        torch.testing.assert_close(x, y, atol=1e-5, rtol=0)  # (EOS is -inf until min_new_tokens)


def test_the_plan_runs_every_decode_step_unpatched(model, monkeypatch):
    """Without patches the decode steps run lean, and give what the modules give."""
    from tfx_core.modeling.torch.blocks.lean_decoder import DecodePlan

    steps = []
    original = DecodePlan.__call__
    monkeypatch.setattr(DecodePlan, "__call__", lambda *a: (steps.append(1), original(*a))[1])
    fast = _generate(model)
    assert len(steps) == NEW_TOKENS - 1  # the prompt goes through the modules
    steps.clear()
    with fast_paths(False):
        slow = _generate(model)
    assert steps == []
    _same(fast, slow)


@pytest.mark.parametrize("fast", [True, False])
def test_class_level_patch_runs_for_every_generated_token(model, monkeypatch, fast):
    from tfx_plugin_gpt2.modeling_gpt2 import GPT2Block

    with fast_paths(False):
        baseline = _generate(model)
    calls = []
    monkeypatch.setattr(GPT2Block, "forward", _shifting(GPT2Block.forward, calls))
    if not fast:
        monkeypatch.setenv("TFX_FAST_PATHS", "0")
    patched = _generate(model)
    layers = model.config.n_layer
    assert len(calls) == layers * NEW_TOKENS  # the prompt and every decode step, every layer
    assert not torch.equal(patched.scores[-1], baseline.scores[-1])
    with fast_paths(False):
        _same(patched, _generate(model))


@pytest.mark.parametrize("fast", [True, False])
def test_instance_level_forward_runs_for_every_generated_token(model, monkeypatch, fast):
    block = model.transformer.h[1]
    calls = []
    original = type(block).forward
    block.forward = _shifting(original, calls).__get__(block)
    if not fast:
        monkeypatch.setenv("TFX_FAST_PATHS", "0")
    patched = _generate(model)
    assert calls == [1] * NEW_TOKENS
    del block.forward
    calls.clear()
    restored = _generate(model)
    assert calls == []
    assert not torch.equal(patched.scores[-1], restored.scores[-1])


def test_a_forward_hook_fires_on_every_decode_step(model):
    calls = []
    handle = model.transformer.h[0].mlp.register_forward_hook(lambda *args: calls.append(1))
    try:
        _generate(model)
    finally:
        handle.remove()
    assert len(calls) == NEW_TOKENS


@pytest.mark.parametrize("padded", [False, True])
def test_decode_plan_logits_equal_module_logits(model, padded):
    ids = torch.tensor([[0, 0, 5, 17], [9, 33, 8, 41]])
    mask = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]]) if padded else None
    step_ids = torch.tensor([[7], [12]])
    with torch.no_grad():
        cache = DynamicCache()
        model(ids, attention_mask=mask, past_key_values=cache)
        model._prepare_for_decoding()
        plan = model.__dict__["_decode_plan"]
        assert plan is not None and plan.usable()
        if padded:
            bias = torch.zeros(2, 1, 1, 5)
            bias[0, ..., :2] = torch.finfo(torch.float32).min
            positions = torch.tensor([[2], [4]])
        else:
            bias, positions = None, None
        lean_cache = copy.deepcopy(cache)
        lean = plan(step_ids, positions, bias, lean_cache)
        step_mask = (
            None if mask is None else torch.cat([mask, torch.ones(2, 1, dtype=mask.dtype)], 1)
        )
        with fast_paths(False):
            modules = model(
                step_ids, attention_mask=step_mask, position_ids=positions, past_key_values=cache
            ).logits[:, -1]
    assert (lean - modules).abs().max().item() <= 1e-5
    assert torch.equal(lean_cache[0][0], cache[0][0])  # the plan wrote the same cache entries


def test_class_level_patch_of_lm_logits_is_honoured_on_every_step(model, monkeypatch):
    """The plan applies the output matrix itself: a patched `lm_logits` must send steps through it."""
    from tfx_plugin_gpt2.modeling_gpt2 import GPT2LMHeadModel

    baseline = _generate(model)
    calls = []
    original = GPT2LMHeadModel.lm_logits

    def lm_logits(self, hidden):
        calls.append(1)
        return original(self, hidden) * 2.0

    monkeypatch.setattr(GPT2LMHeadModel, "lm_logits", lm_logits)
    patched = _generate(model)
    assert len(calls) == NEW_TOKENS  # the prompt and every decode step
    torch.testing.assert_close(patched.scores[-1], baseline.scores[-1] * 2.0, atol=1e-4, rtol=0)
