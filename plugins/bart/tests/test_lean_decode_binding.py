"""The lean decoder step checks its guard once per generation and binds what stays fixed (the
sublayers, the encoder's keys/values, the position embeddings of every step): same ids and
logits as the module path and the reference, and the steps after the first only check in O(1)
that nothing appeared since."""

import pytest
import torch
from tfx_plugin_bart import modeling_bart

from tfx_core.generation import GenerationConfig
from tfx_core.generation.processors import (
    MinLengthLogitsProcessor,
    MinNewTokensLengthLogitsProcessor,
    build_logits_processors,
)
from tfx_core.modeling.torch.blocks.seq2seq_lean import Seq2SeqDecodePlan
from tfx_core.modeling.torch.cache import DynamicCache, EncoderDecoderCache
from tfx_core.modeling.torch.fast_paths import fast_paths

SOURCE = torch.tensor([[0, 5, 6, 7, 8, 9, 10, 2], [0, 11, 12, 13, 2, 1, 1, 1]])
MASK = (SOURCE != 1).long()


@pytest.fixture(scope="module")
def models(bart_reference):
    folder, reference = bart_reference(2, "bart_binding")
    ours = modeling_bart.BartForConditionalGeneration.from_pretrained(folder).eval()
    return ours, reference


def test_guard_checked_in_full_once_per_generation(models, monkeypatch):
    ours, reference = models
    checks = []
    usable = Seq2SeqDecodePlan.usable
    monkeypatch.setattr(Seq2SeqDecodePlan, "usable", lambda self: checks.append(1) or usable(self))
    options = dict(attention_mask=MASK, max_new_tokens=12, min_new_tokens=12)
    first = ours.generate(SOURCE, **options)
    assert len(checks) == 1  # 12 steps, one full check
    second = ours.generate(SOURCE, **options)
    assert len(checks) == 2  # a new generation checks again
    assert torch.equal(first, second)
    assert torch.equal(first, reference.generate(SOURCE, **options))


def test_greedy_ids_and_logits_equal_the_module_path(models):
    ours, reference = models
    options = dict(
        attention_mask=MASK,
        max_new_tokens=9,
        return_dict_in_generate=True,
        output_logits=True,
    )
    lean = ours.generate(SOURCE, **options)
    assert lean.past_key_values.lean_step[1] is not None  # the lean step ran
    with fast_paths(False):
        modules = ours.generate(SOURCE, **options)
    assert modules.past_key_values.lean_step is None  # no plan: every step ran the modules
    assert torch.equal(lean.sequences, modules.sequences)
    for mine, theirs in zip(lean.logits, modules.logits, strict=True):
        torch.testing.assert_close(mine, theirs, atol=1e-6, rtol=0)
    expected = reference.generate(SOURCE, **options)
    assert torch.equal(lean.sequences, expected.sequences)


def test_steps_past_the_position_table_read_the_module(models):
    """A cache that does not say its size gets no position table: each step reads its own
    position embedding, with the same logits."""
    ours, _ = models
    encoder = ours.get_encoder()
    with torch.no_grad():
        states = encoder(input_ids=SOURCE, attention_mask=MASK).last_hidden_state
        ours._prepare_for_decoding()
        plan = ours.__dict__["_seq2seq_plan"]
        assert plan is not None
        tokens = torch.tensor([[2], [2]])
        outputs = []
        for capacity in (0, 6):
            cache = EncoderDecoderCache(DynamicCache(capacity=capacity), static_cross=True)
            assert plan.engaged(cache, states, MASK)
            steps = [plan(tokens + step, states, MASK, cache) for step in range(6)]
            outputs.append(torch.stack(steps))
    assert torch.equal(outputs[0], outputs[1])


def test_a_hook_added_between_steps_is_noticed(models):
    ours, _ = models
    with torch.no_grad():
        states = ours.get_encoder()(input_ids=SOURCE, attention_mask=MASK).last_hidden_state
        ours._prepare_for_decoding()
        plan = ours.__dict__["_seq2seq_plan"]
        cache = EncoderDecoderCache(DynamicCache(capacity=8), static_cross=True)
        assert plan.engaged(cache, states, MASK)
        assert plan.engaged(cache, states, MASK)
        handle = ours.get_decoder().layers[1].fc1.register_forward_hook(lambda *args: None)
        try:
            assert not plan.engaged(cache, states, MASK)
        finally:
            handle.remove()
        assert plan.engaged(cache, states, MASK)  # gone again: the plan is back


def test_min_new_tokens_suppresses_once():
    """`min_new_tokens` turned into `min_length` needs one suppressing processor, not two."""
    config = GenerationConfig(min_new_tokens=4, min_length=7, eos_token_id=2)
    derived = build_logits_processors(config, prompt_length=3, eos_token_ids=[2])
    kinds = [type(processor) for processor in derived]
    assert kinds.count(MinLengthLogitsProcessor) == 1
    assert MinNewTokensLengthLogitsProcessor not in kinds
    separate = build_logits_processors(config, prompt_length=5, eos_token_ids=[2])
    assert MinNewTokensLengthLogitsProcessor in [type(processor) for processor in separate]


def test_copies_of_the_cache_leave_the_binding_behind(models):
    import copy

    ours, _ = models
    cache = ours.generate(
        SOURCE, attention_mask=MASK, max_new_tokens=3, return_dict_in_generate=True
    ).past_key_values
    assert cache.lean_step is not None
    copied = copy.deepcopy(cache)
    assert copied.lean_step is None
    for layer in range(len(cache)):
        for mine, theirs in zip(copied[layer], cache[layer], strict=True):
            assert torch.equal(mine, theirs)
