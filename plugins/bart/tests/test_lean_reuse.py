"""What `generate` keeps between calls, and the encoder's lean layers.

The seq2seq decode plan is reused by the next `generate` while nothing it bound changed (same
modules, tensors, attribute values, thread count); hooks and patches added between calls are
still honoured. The encoder runs its layers on bound tensors with the modules' exact results
unless something observes them. The decode thread decision and the generation config copy are
cheap and still correct."""

import copy

import pytest
import torch
import transformers
from tfx_plugin_bart import modeling_bart

from tfx_core.generation import GenerationConfig
from tfx_core.modeling.torch.blocks import seq2seq_lean_encoder
from tfx_core.modeling.torch.fast_paths import fast_paths

SOURCE = torch.tensor([[0, 5, 6, 7, 8, 9, 10, 2], [0, 11, 12, 13, 2, 1, 1, 1]])
MASK = (SOURCE != 1).long()
OPTIONS = dict(attention_mask=MASK, max_new_tokens=10, min_new_tokens=10)


@pytest.fixture(scope="module")
def folder(bart_reference):
    return bart_reference(3, "bart_reuse")


@pytest.fixture
def models(folder):
    path, reference = folder
    return modeling_bart.BartForConditionalGeneration.from_pretrained(path).eval(), reference


def _plan(model):
    return model.__dict__.get("_seq2seq_plan")


def _logits(model, lean=True):
    options = dict(OPTIONS, return_dict_in_generate=True, output_logits=True)
    with fast_paths(lean):
        return torch.stack(model.generate(SOURCE, **options).logits)


def test_the_plan_serves_the_next_generate(models):
    ours, reference = models
    first = ours.generate(SOURCE, **OPTIONS)
    plan = _plan(ours)
    assert plan is not None
    second = ours.generate(SOURCE[:1], max_new_tokens=6)
    assert _plan(ours) is plan
    assert torch.equal(first, reference.generate(SOURCE, **OPTIONS))
    assert torch.equal(second, reference.generate(SOURCE[:1], max_new_tokens=6))


def test_a_hook_added_between_generates_is_honoured(models):
    ours, _ = models
    options = dict(OPTIONS, return_dict_in_generate=True)
    lean = ours.generate(SOURCE, **options)
    assert lean.past_key_values.lean_step[1] is not None
    calls = []
    layer = ours.model.decoder.layers[1]
    handle = layer.fc2.register_forward_hook(lambda *args: calls.append(1))
    try:
        hooked = ours.generate(SOURCE, **options)
    finally:
        handle.remove()
    assert len(calls) == 10  # every step ran the modules
    assert hooked.past_key_values.lean_step[1] is None
    again = ours.generate(SOURCE, **options)
    assert again.past_key_values.lean_step[1] is not None  # removed: the lean steps are back
    assert torch.equal(hooked.sequences, lean.sequences)
    assert torch.equal(again.sequences, lean.sequences)


def test_a_class_patch_between_generates_is_honoured(models, monkeypatch):
    ours, _ = models
    expected = ours.generate(SOURCE, **OPTIONS)
    assert _plan(ours) is not None
    calls = []
    original = modeling_bart.BartDecoderLayer.forward

    def patched(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(modeling_bart.BartDecoderLayer, "forward", patched)
    assert torch.equal(ours.generate(SOURCE, **OPTIONS), expected)
    assert len(calls) == 2 * 10  # both layers, every step
    assert _plan(ours) is None  # the patched class is not trusted: no plan


def test_changed_tensors_or_attributes_rebuild_the_plan(models):
    ours, _ = models
    ours.generate(SOURCE, **OPTIONS)
    plan = _plan(ours)
    layer = ours.model.decoder.layers[0]
    layer.activation_fn = torch.relu  # an attribute the plan binds, swapped on the instance
    lean = _logits(ours)
    rebuilt = _plan(ours)
    assert rebuilt is not None and rebuilt is not plan
    torch.testing.assert_close(lean, _logits(ours, lean=False), atol=1e-6, rtol=0)
    ours.generate(SOURCE, **OPTIONS)
    plan = _plan(ours)
    ours.to(torch.float64)  # every parameter moves to new memory
    lean = _logits(ours)
    rebuilt = _plan(ours)
    assert rebuilt is not None and rebuilt is not plan
    torch.testing.assert_close(lean, _logits(ours, lean=False), atol=1e-9, rtol=0)


def test_weights_loaded_in_place_are_read(models, bart_tiny):
    ours, _ = models
    ours.generate(SOURCE, **OPTIONS)
    plan = _plan(ours)
    torch.manual_seed(4)
    other = transformers.BartForConditionalGeneration(transformers.BartConfig(**bart_tiny)).eval()
    ours.load_state_dict(other.state_dict(), strict=False)  # copied into the same memory
    assert torch.equal(ours.generate(SOURCE, **OPTIONS), other.generate(SOURCE, **OPTIONS))
    assert _plan(ours) is not None and _plan(ours) is not plan


def test_the_encoder_layers_run_lean_with_the_modules_results(models):
    ours, reference = models
    encoder = ours.get_encoder()
    with torch.no_grad():
        lean = encoder(input_ids=SOURCE, attention_mask=MASK).last_hidden_state
        assert encoder.__dict__["_lean_encoder_plan"].layers is not None
        with fast_paths(False):
            modules = encoder(input_ids=SOURCE, attention_mask=MASK).last_hidden_state
        expected = reference.get_encoder()(input_ids=SOURCE, attention_mask=MASK)
    assert torch.equal(lean, modules)
    torch.testing.assert_close(lean, expected.last_hidden_state, atol=1e-5, rtol=0)


def test_the_encoder_calls_its_modules_when_observed(models, monkeypatch, bart_tiny):
    ours, _ = models
    encoder = ours.get_encoder()
    with torch.no_grad():
        expected = encoder(input_ids=SOURCE, attention_mask=MASK).last_hidden_state
        calls = []
        handle = encoder.layers[0].self_attn.register_forward_hook(lambda *args: calls.append(1))
        try:
            hooked = encoder(input_ids=SOURCE, attention_mask=MASK).last_hidden_state
        finally:
            handle.remove()
        assert calls == [1]
        original = modeling_bart.BartEncoderLayer.forward

        def patched(self, *args, **kwargs):
            calls.append(2)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(modeling_bart.BartEncoderLayer, "forward", patched)
        patched_out = encoder(input_ids=SOURCE, attention_mask=MASK).last_hidden_state
        assert calls == [1, 2, 2]
        monkeypatch.undo()
        states = encoder(input_ids=SOURCE, attention_mask=MASK, output_hidden_states=True)
    assert len(states.hidden_states) == bart_tiny["encoder_layers"] + 1  # (modules: all states)
    for other in (hooked, patched_out, states.last_hidden_state):
        assert torch.equal(other, expected)


def test_lean_layers_only_without_autograd_or_training(models):
    ours, _ = models
    encoder = ours.get_encoder()
    assert seq2seq_lean_encoder.lean_encoder_layers(encoder) is None  # autograd on
    with torch.no_grad():
        assert seq2seq_lean_encoder.lean_encoder_layers(encoder) is not None
        encoder.train()
        try:
            assert seq2seq_lean_encoder.lean_encoder_layers(encoder) is None
        finally:
            encoder.eval()


def test_decode_threads_follow_swapped_weights(models):
    ours, _ = models
    small = ours._parameter_bytes()
    assert ours._decode_num_threads() == 1
    big = torch.nn.Parameter(torch.zeros(2048, 1024))  # 8 MiB: past SMALL_MODEL_BYTES
    ours.model.decoder.layers[0].fc1.weight = big
    assert ours._parameter_bytes() > small
    assert ours._decode_num_threads() is None
    ours.to(torch.float16)
    assert ours._parameter_bytes() < small + big.numel() * 4


def test_generation_config_deep_copies_are_independent():
    config = GenerationConfig(eos_token_id=[2, 3], bad_words_ids=[[5], [6, 7]], max_new_tokens=4)
    clone = copy.deepcopy(config)
    assert clone == config and clone is not config
    assert clone.bad_words_ids is not config.bad_words_ids
    clone.bad_words_ids[0].append(9)
    clone.eos_token_id.append(4)
    assert config.bad_words_ids == [[5], [6, 7]] and config.eos_token_id == [2, 3]
    assert copy.deepcopy(config).to_dict() == config.to_dict()
