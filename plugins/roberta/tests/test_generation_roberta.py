"""RobertaForCausalLM.generate gives the reference's tokens (greedy and beam, with and without
left padding): generation numbers positions from 0 as the reference's `generate` does, not with
the `pad_token_id + 1` numbering of a plain forward."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_roberta.modeling_roberta import RobertaForCausalLM  # noqa: E402

SHAPE = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
    is_decoder=True,
)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roberta-gen")
    torch.manual_seed(0)
    reference = transformers.RobertaForCausalLM(transformers.RobertaConfig(**SHAPE)).eval()
    reference.save_pretrained(folder)
    return reference, RobertaForCausalLM.from_pretrained(folder)


@pytest.mark.parametrize("beams", [1, 3])
@pytest.mark.parametrize("padded", [False, True])
def test_generated_ids_equal_the_reference(pair, beams, padded):
    reference, ours = pair
    ids = torch.tensor([[1, 1, 5, 17, 33], [7, 8, 9, 10, 11]])
    if not padded:
        ids = ids[1:]
    options = dict(
        attention_mask=(ids != 1).long(),
        max_new_tokens=8,
        do_sample=False,
        num_beams=beams,
        pad_token_id=1,
    )
    assert torch.equal(ours.generate(ids, **options), reference.generate(ids, **options))
