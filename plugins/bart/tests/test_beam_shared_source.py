"""Beam search on the lean decoder step: the encoder's keys/values are kept once per source
(beams share them) and the scores buffer is reused; ids and scores match the module path and
the reference."""

import pytest
import torch
import transformers
from tfx_plugin_bart import modeling_bart

from tfx_core.modeling.torch.fast_paths import fast_paths

SOURCE = torch.tensor([[0, 5, 6, 7, 8, 9, 10, 2], [0, 11, 12, 13, 2, 1, 1, 1]])
OPTIONS = dict(
    attention_mask=(SOURCE != 1).long(),
    num_beams=3,
    num_return_sequences=2,
    max_new_tokens=10,
    min_new_tokens=4,
    return_dict_in_generate=True,
    output_scores=True,
)


@pytest.fixture(scope="module")
def models(bart_reference):
    folder, reference = bart_reference(1, "bart_shared")
    ours = modeling_bart.BartForConditionalGeneration.from_pretrained(folder).eval()
    return ours, reference


def test_cross_keys_values_kept_once_per_source(models, bart_tiny):
    ours, _ = models
    cache = ours.generate(SOURCE, **OPTIONS).past_key_values
    assert cache.group == 3
    assert cache.cross_attention_cache.layers == {}  # the lean step never filled per-beam rows
    key, value = cache.grouped_cross_attention_cache.get(0)
    assert key.shape[0] == value.shape[0] == SOURCE.shape[0]
    with fast_paths(False):
        module_cache = ours.generate(SOURCE, **OPTIONS).past_key_values
    assert module_cache.grouped_cross_attention_cache.layers == {}
    # the legacy view repeats the shared rows for every beam, equal to the module path's
    for layer in range(bart_tiny["decoder_layers"]):
        for shared, full in zip(cache[layer][2:], module_cache[layer][2:]):
            assert shared.shape == full.shape
            torch.testing.assert_close(shared, full, rtol=0, atol=1e-6)


def test_shared_source_beams_match_modules_and_reference(models):
    ours, reference = models
    lean = ours.generate(SOURCE, **OPTIONS)
    with fast_paths(False):
        modules = ours.generate(SOURCE, **OPTIONS)
    expected = reference.generate(SOURCE, **OPTIONS)
    assert torch.equal(lean.sequences, modules.sequences)
    assert torch.equal(lean.sequences, expected.sequences)
    torch.testing.assert_close(lean.sequences_scores, expected.sequences_scores, atol=1e-5, rtol=0)
    assert len(lean.scores) == len(expected.scores)
    for step, (mine, theirs) in enumerate(zip(lean.scores, expected.scores)):
        finite = torch.isfinite(theirs)
        assert torch.equal(torch.isfinite(mine), finite), step
        torch.testing.assert_close(mine[finite], theirs[finite], atol=1e-5, rtol=0)


def test_hook_added_mid_generation_falls_back_to_full_rows(models):
    """A forward hook appearing after the first steps sends the rest through the modules, which
    build their own per-beam cross keys/values: the ids stay the reference's."""
    ours, reference = models
    calls = []
    layer = ours.get_decoder().layers[0]

    def observe(module, args, output):
        calls.append(1)

    class AddHookAfterTwoSteps(transformers.LogitsProcessor):
        steps = 0

        def __call__(self, input_ids, scores):
            self.steps += 1
            if self.steps == 2:
                self.handle = layer.register_forward_hook(observe)
            return scores

    hooker = AddHookAfterTwoSteps()
    options = dict(OPTIONS, return_dict_in_generate=False, output_scores=False)
    try:
        mixed = ours.generate(SOURCE, logits_processor=[hooker], **options)
    finally:
        hooker.handle.remove()
    assert calls  # the module path ran after the hook appeared
    assert torch.equal(mixed, reference.generate(SOURCE, **options))
