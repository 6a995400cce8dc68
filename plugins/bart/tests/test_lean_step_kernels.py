"""What the lean decoder step binds for speed keeps the module path's results: torch's own GELU
kernel for the small feed-forward rows, the token table read directly, each step's position
row picked without an op, and a final-logits bias skipped only when it is all zeros."""

import pytest
import torch
from tfx_plugin_bart import modeling_bart

from tfx_core.modeling.torch.activations import gelu
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import ScaledEmbedding
from tfx_core.modeling.torch.blocks.seq2seq_lean import token_embedding
from tfx_core.modeling.torch.fast_paths import fast_paths

SOURCE = torch.tensor([[0, 5, 6, 7, 8, 9, 10, 2], [0, 11, 12, 13, 2, 1, 1, 1]])
MASK = (SOURCE != 1).long()
OPTIONS = dict(
    attention_mask=MASK,
    max_new_tokens=8,
    min_new_tokens=8,
    return_dict_in_generate=True,
    output_logits=True,
)


def _load(bart_reference, name, prepare=None):
    folder, reference = bart_reference(5, name, prepare)
    return modeling_bart.BartForConditionalGeneration.from_pretrained(folder).eval(), reference


def _bound(output) -> tuple:
    """The generation's plan and the keywords its lean step was bound with."""
    plan, step = output.past_key_values.lean_step
    assert step is not None  # the lean step ran
    return plan, step.keywords


def _same_as_modules_and_reference(ours, reference) -> tuple:
    lean = ours.generate(SOURCE, **OPTIONS)
    with fast_paths(False):
        modules = ours.generate(SOURCE, **OPTIONS)
    expected = reference.generate(SOURCE, **OPTIONS)
    assert torch.equal(lean.sequences, modules.sequences)
    assert torch.equal(lean.sequences, expected.sequences)
    for mine, theirs, ref in zip(lean.logits, modules.logits, expected.logits, strict=True):
        torch.testing.assert_close(mine, theirs, atol=1e-6, rtol=0)
        torch.testing.assert_close(mine, ref, atol=1e-5, rtol=0)
    return _bound(lean)


def test_zero_logits_bias_is_skipped_and_gelu_runs_torchs_kernel(bart_reference):
    ours, reference = _load(bart_reference, "bart_zero_bias")
    assert not ours.final_logits_bias.any()
    plan, bound = _same_as_modules_and_reference(ours, reference)
    assert bound["bias"] is None
    assert all(layer.activation is gelu for layer in plan.layers)
    assert len(bound["positions"]) >= 8  # a row view for every step of the generation


def test_a_nonzero_logits_bias_is_added(bart_reference):
    def prepare(reference):
        reference.final_logits_bias.copy_(torch.randn(reference.final_logits_bias.shape))

    ours, reference = _load(bart_reference, "bart_nonzero_bias", prepare)
    _, bound = _same_as_modules_and_reference(ours, reference)
    assert bound["bias"] is not None


@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_token_embedding_reads_the_table_only_when_that_is_the_forward(scale):
    module = ScaledEmbedding(50, 8, padding_idx=1, embed_scale=scale)
    ids = torch.tensor([3, 1, 49])
    embed = token_embedding(module)
    assert (getattr(embed, "func", None) is torch.embedding) == (scale == 1.0)
    with torch.no_grad():
        assert torch.equal(embed(ids), module(ids))
