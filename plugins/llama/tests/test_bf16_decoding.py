"""Llama in bfloat16 against transformers in bfloat16: the same casts in the same order, so
greedy ids are identical; the decode plan's laid-out bf16 weights follow weight changes."""

import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_llama import modeling_llama  # noqa: E402
from tfx_plugin_llama.configuration_llama import LlamaConfig  # noqa: E402

from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402
from tfx_core.modeling.torch.onednn import packable  # noqa: E402

# projections of at least 2**16 elements, so the decode plan lays them out for oneDNN
SHAPE = dict(
    vocab_size=2048,  # an output matrix of 2**19 elements: split-K size in float32
    hidden_size=256,
    intermediate_size=512,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)


def bf16_pair(**overrides):
    fields = {**SHAPE, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = transformers.LlamaForCausalLM(transformers.LlamaConfig(**fields))
    reference = reference.to(torch.bfloat16).eval()
    ours = modeling_llama.LlamaForCausalLM(LlamaConfig(**fields)).to(torch.bfloat16).eval()
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def prompts(batch):
    ids = torch.randint(
        3, SHAPE["vocab_size"], (batch, 7), generator=torch.Generator().manual_seed(5)
    )
    return ids, torch.ones_like(ids)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch", [1, 3])
def test_greedy_logits_and_ids_match_the_reference_in_bf16(threads, batch):
    ours, reference = bf16_pair(tie_word_embeddings=batch == 3)
    ids, mask = prompts(batch)
    kwargs = dict(
        attention_mask=mask,
        max_new_tokens=12,
        min_new_tokens=12,
        do_sample=False,
        pad_token_id=0,
        output_logits=True,
        return_dict_in_generate=True,
    )
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            want = reference.generate(ids, **kwargs)
            got = ours.generate(ids, **kwargs)
            with fast_paths(False):
                slow = ours.generate(ids, **kwargs)
    finally:
        torch.set_num_threads(previous)
    for run in (slow, got):  # every step's logits bitwise, so the ids cannot drift later
        assert torch.equal(run.sequences, want.sequences)
        assert all(map(torch.equal, run.logits, want.logits))


def test_bf16_decode_plan_logits_equal_the_modules_bitwise():
    ours, _ = bf16_pair()
    ids, _ = prompts(2)
    with torch.no_grad():
        ours._prepare_for_decoding()
        plan = ours.__dict__["_decode_plan"]
        assert plan is not None
        if packable(ours.lm_head.weight):  # this CPU runs oneDNN's bf16 product
            assert plan.head.func.__name__ == "_packed_half"
        from tfx_core.modeling.torch.cache import DynamicCache

        cache_a, cache_b = DynamicCache(), DynamicCache()
        ours(ids, past_key_values=cache_a, use_cache=True)
        ours(ids, past_key_values=cache_b, use_cache=True)
        step = ids[:, -1:]
        lean = plan(step, None, None, cache_a)
        with fast_paths(False):
            modules = ours(step, past_key_values=cache_b, use_cache=True).logits[:, -1]
    assert lean.dtype == torch.bfloat16
    assert torch.equal(lean, modules)


def test_laid_out_weights_follow_in_place_weight_changes():
    ours, _ = bf16_pair()
    ids, mask = prompts(1)
    kwargs = dict(attention_mask=mask, max_new_tokens=6, do_sample=False, pad_token_id=0)
    with torch.no_grad():
        ours.generate(ids, **kwargs)  # lays the weights out
        state = ours.state_dict()
        generator = torch.Generator().manual_seed(9)
        for name in ("model.layers.0.self_attn.k_proj.weight", "model.layers.1.mlp.up_proj.weight"):
            fresh = torch.randn(state[name].shape, generator=generator).to(torch.bfloat16)
            state[name] = fresh
        ours.load_state_dict(state)  # copies in place: same Parameters, same memory
        got = ours.generate(ids, output_scores=True, return_dict_in_generate=True, **kwargs)
        with fast_paths(False):
            want = ours.generate(ids, output_scores=True, return_dict_in_generate=True, **kwargs)
    assert torch.equal(got.sequences, want.sequences)
    for lean, modules in zip(got.scores, want.scores):
        assert torch.equal(lean, modules)


@pytest.mark.parametrize("moved", [False, True], ids=["loaded-as-bf16", "moved-to-bf16"])
def test_rotary_table_is_rounded_as_the_reference_rounds_it(tmp_path, moved):
    """`from_pretrained(dtype=bf16)` keeps the frequencies float32, `.to(bf16)` rounds them: in
    both libraries, so the logits agree bitwise either way."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.LlamaForCausalLM(transformers.LlamaConfig(**SHAPE)).save_pretrained(tmp_path)
    dtype = torch.float32 if moved else torch.bfloat16
    reference = transformers.LlamaForCausalLM.from_pretrained(tmp_path, dtype=dtype)
    ours = modeling_llama.LlamaForCausalLM.from_pretrained(tmp_path, dtype=dtype)
    if moved:
        reference, ours = reference.to(torch.bfloat16), ours.to(torch.bfloat16)
    ids, _ = prompts(2)
    with torch.no_grad():
        assert torch.equal(ours.eval()(ids).logits, reference.eval()(ids).logits)


@pytest.mark.parametrize("cache", [None, "static"])
def test_bf16_prompts_run_through_the_decode_plan_bitwise(cache, monkeypatch):
    """A bf16 prompt (left padded here) runs through the plan: its logits are the reference's
    and the modules' bits, and the later steps follow."""
    from tfx_core.modeling.torch.blocks.lean_decoder import DecodePlan

    lengths = []
    step = DecodePlan.__call__
    monkeypatch.setattr(
        DecodePlan,
        "__call__",
        lambda plan, ids, *rest: (lengths.append(ids.shape[1]), step(plan, ids, *rest))[1],
    )
    ours, reference = bf16_pair()
    ids, mask = prompts(3)
    ids[0, :3], mask[0, :3] = 0, 0
    kwargs = dict(
        attention_mask=mask,
        max_new_tokens=8,
        min_new_tokens=8,
        do_sample=False,
        pad_token_id=0,
        output_logits=True,
        return_dict_in_generate=True,
        cache_implementation=cache,
    )
    with torch.no_grad():
        want = reference.generate(ids, **kwargs)
        got = ours.generate(ids, **kwargs)
        assert lengths[0] == ids.shape[1] and lengths.count(1) == 7
        with fast_paths(False):
            modules = ours.generate(ids, **kwargs)
    for run in (got, modules):
        assert torch.equal(run.sequences, want.sequences)
        assert all(map(torch.equal, run.logits, want.logits))


def test_float32_prompts_stay_on_the_modules():
    """float32 plan products round differently from `F.linear` over many rows: prompts keep
    the modules there."""
    ours, _ = bf16_pair()
    ours = ours.float()
    with torch.no_grad():
        ours._prepare_for_decoding()
    plan = ours.__dict__["_decode_plan"]
    ids, _ = prompts(1)
    assert plan.takes(ids[:, :1], None) and not plan.takes(ids, None)


def test_batched_prompt_of_many_rows_keeps_the_reference_bits():
    """A prompt of 8 x 16 = 128 rows: fused and laid-out bf16 products stop at 32 rows (on an
    AMX machine, a fused query/key/value product over 128 rows of width 512 did not give the
    separate products' bits, and greedy ids drifted from the reference's)."""
    ours, reference = bf16_pair(
        hidden_size=512, intermediate_size=1024, num_attention_heads=8, num_key_value_heads=2
    )
    ids = torch.randint(3, SHAPE["vocab_size"], (8, 16), generator=torch.Generator().manual_seed(9))
    kwargs = dict(
        attention_mask=torch.ones_like(ids),
        max_new_tokens=4,
        min_new_tokens=4,
        do_sample=False,
        pad_token_id=0,
        output_logits=True,
        return_dict_in_generate=True,
    )
    with torch.no_grad():
        want = reference.generate(ids, **kwargs)
        got = ours.generate(ids, **kwargs)
    assert torch.equal(got.sequences, want.sequences)
    assert all(map(torch.equal, got.logits, want.logits))
