"""ALBERT's layer sharing against the reference: head masks, hidden states, the lean path."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_albert.modeling_albert import AlbertModel  # noqa: E402

SHARED = {
    "vocab_size": 99,
    "embedding_size": 16,
    "hidden_size": 32,
    "num_hidden_layers": 4,
    "num_hidden_groups": 2,
    "inner_group_num": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 32,
}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("albert")
    torch.manual_seed(0)
    transformers.AlbertModel(transformers.AlbertConfig(**SHARED)).save_pretrained(folder)
    reference = transformers.AlbertModel.from_pretrained(folder, attn_implementation="eager")
    return AlbertModel.from_pretrained(folder).eval(), reference.eval()


def _inputs():
    ids = torch.randint(3, 99, (2, 6), generator=torch.Generator().manual_seed(0))
    return {"input_ids": ids, "attention_mask": torch.tensor([[1] * 6, [1] * 4 + [0] * 2])}


def test_head_mask_and_states_follow_the_shared_schedule(pair):
    ours, reference = pair
    head_mask = torch.rand(4, 4, generator=torch.Generator().manual_seed(1))
    options = {"head_mask": head_mask, "output_hidden_states": True, "output_attentions": True}
    with torch.no_grad():
        mine, theirs = ours(**_inputs(), **options), reference(**_inputs(), **options)
    assert len(mine.hidden_states) == len(theirs.hidden_states) == 5
    assert len(mine.attentions) == len(theirs.attentions) == 8
    for a, b in zip((mine.last_hidden_state, *mine.hidden_states, *mine.attentions),
                    (theirs.last_hidden_state, *theirs.hidden_states, *theirs.attentions)):  # fmt: skip
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_shared_layers_run_lean_and_agree_with_the_modules(pair):
    from tfx_core.modeling.torch.fast_paths import fast_paths

    ours, reference = pair
    with torch.no_grad():
        assert ours.encoder.lean_layers() is not None  # 8 layer runs over 4 modules
        lean = ours(**_inputs()).last_hidden_state
        with fast_paths(False):
            plain = ours(**_inputs()).last_hidden_state
        torch.testing.assert_close(lean, plain, atol=1e-5, rtol=0)
        torch.testing.assert_close(
            lean, reference(**_inputs()).last_hidden_state, atol=1e-5, rtol=0
        )
