"""T5's lean decoder step (`lean_t5.py`): taken in greedy and beam search, equal to the module
path and to the reference, and left for the modules as soon as something observes them."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_t5 import lean_t5, modeling_t5  # noqa: E402
from tfx_plugin_t5.layers_t5 import T5LayerFF  # noqa: E402

from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402

TINY = dict(
    vocab_size=99,
    d_model=32,
    d_kv=8,
    d_ff=37,
    num_layers=2,
    num_heads=4,
    relative_attention_num_buckets=8,
    relative_attention_max_distance=20,
    decoder_start_token_id=0,
)
SOURCE = torch.tensor([[5, 6, 7, 8, 9, 10, 1], [11, 12, 13, 1, 0, 0, 0]])
MASK = (torch.arange(7) < torch.tensor([[7], [4]])).long()
SEARCHES = {
    "greedy": dict(max_new_tokens=9, min_new_tokens=5),
    "beam": dict(num_beams=3, num_return_sequences=2, max_new_tokens=8, length_penalty=0.7),
}


@pytest.fixture(scope="module", params=["relu", "gated-gelu"])
def models(request, tmp_path_factory):
    """v1.0 (tied head, rescaled) and v1.1 (gated, untied) checkpoints saved by the reference."""
    torch.manual_seed(3)
    config = transformers.T5Config(
        **TINY,
        feed_forward_proj=request.param,
        tie_word_embeddings=request.param == "relu",
    )
    reference = transformers.T5ForConditionalGeneration(config).eval()
    folder = tmp_path_factory.mktemp(f"t5_{request.param}")
    reference.save_pretrained(folder)
    return modeling_t5.T5ForConditionalGeneration.from_pretrained(folder).eval(), reference


@pytest.fixture
def plan_calls(monkeypatch):
    calls = []
    plan_step = lean_t5.T5DecodePlan.__call__

    def counted(self, *args):
        calls.append(1)
        return plan_step(self, *args)

    monkeypatch.setattr(lean_t5.T5DecodePlan, "__call__", counted)
    return calls


@pytest.mark.parametrize("search", SEARCHES)
def test_lean_steps_equal_modules_and_reference(models, plan_calls, search):
    ours, reference = models
    options = dict(SEARCHES[search], return_dict_in_generate=True, output_logits=True)
    lean = ours.generate(SOURCE, attention_mask=MASK, **options)
    assert len(plan_calls) == len(lean.logits)  # every step, the first included
    with fast_paths(False):
        modules = ours.generate(SOURCE, attention_mask=MASK, **options)
    assert len(plan_calls) == len(lean.logits)
    assert torch.equal(lean.sequences, modules.sequences)
    for mine, theirs in zip(lean.logits, modules.logits):
        torch.testing.assert_close(mine, theirs, atol=1e-6, rtol=0)
    expected = reference.generate(SOURCE, attention_mask=MASK, **options)
    assert torch.equal(lean.sequences, expected.sequences)


def test_beams_keep_cross_keys_values_once_per_source(models):
    ours, _ = models
    cache = ours.generate(
        SOURCE, attention_mask=MASK, return_dict_in_generate=True, **SEARCHES["beam"]
    ).past_key_values
    key, value = cache.grouped_cross_attention_cache.get(0)
    assert key.shape[0] == value.shape[0] == SOURCE.shape[0]
    assert cache[0][2].shape[0] == 3 * SOURCE.shape[0]  # the legacy view has every beam's rows


def test_hook_or_patch_sends_steps_through_the_modules(models, plan_calls, monkeypatch):
    ours, reference = models
    expected = reference.generate(SOURCE, attention_mask=MASK, **SEARCHES["greedy"])
    fired = []
    handle = ours.decoder.block[1].layer[-1].register_forward_hook(lambda *args: fired.append(1))
    try:
        hooked = ours.generate(SOURCE, attention_mask=MASK, **SEARCHES["greedy"])
    finally:
        handle.remove()
    assert plan_calls == [] and len(fired) == hooked.shape[1] - 1
    assert torch.equal(hooked, expected)

    forward = T5LayerFF.forward
    patched_calls = []

    def patched(self, hidden_states):
        patched_calls.append(1)
        return forward(self, hidden_states)

    monkeypatch.setattr(T5LayerFF, "forward", patched)
    assert torch.equal(ours.generate(SOURCE, attention_mask=MASK, **SEARCHES["greedy"]), expected)
    assert plan_calls == [] and patched_calls
