"""T5 generation against transformers' `generate` on tiny random weights (ids identical)."""

import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_t5 import modeling_mt5, modeling_t5  # noqa: E402
from tfx_plugin_t5.configuration_t5 import MT5Config, T5Config  # noqa: E402

# the reference's generate needs as many decoder layers as encoder layers (its cache is sized
# by num_layers), so both stacks have 2 here
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
SEARCHES = {
    "greedy": {},
    "beam4": {"num_beams": 4},
    "beam4-options": {
        "num_beams": 4,
        "length_penalty": 0.6,
        "no_repeat_ngram_size": 2,
        "num_return_sequences": 2,
    },
    "sampling": {"do_sample": True, "top_k": 20, "top_p": 0.9, "temperature": 0.8},
}


def make_pair(family, **overrides):
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        if family == "mt5":
            reference = transformers.MT5ForConditionalGeneration(transformers.MT5Config(**fields))
            ours = modeling_mt5.MT5ForConditionalGeneration(MT5Config(**fields))
        else:
            reference = transformers.T5ForConditionalGeneration(transformers.T5Config(**fields))
            ours = modeling_t5.T5ForConditionalGeneration(T5Config(**fields))
    ours.load_state_dict(reference.state_dict(), strict=False)
    return ours.eval(), reference.eval()


@pytest.mark.parametrize("search", list(SEARCHES))
@pytest.mark.parametrize(
    "family, overrides",
    [("t5", {"feed_forward_proj": "relu"}), ("mt5", {})],
    ids=["t5-v1.0", "mt5"],
)
def test_generate_matches_reference(family, overrides, search):
    ours, reference = make_pair(family, **overrides)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 99, (3, 9), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, -3:] = 0
    mask[2, :2] = 0
    options = dict(attention_mask=mask, max_new_tokens=12, **SEARCHES[search])
    with torch.no_grad():
        torch.manual_seed(5)
        want = reference.generate(ids, **options)
        torch.manual_seed(5)
        got = ours.generate(ids, **options)
    assert got.shape == want.shape and torch.equal(got, want)
    assert (got[:, 0] == 0).all()  # decoding starts at decoder_start_token_id (T5: the pad id)
