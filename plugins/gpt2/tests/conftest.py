"""Tiny random GPT-2 pairs: a transformers reference and tfx's model with the same weights."""

import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

TINY = dict(
    vocab_size=99,
    n_positions=64,
    n_embd=32,
    n_layer=2,
    n_head=4,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    bos_token_id=1,
    eos_token_id=2,
)


def _make_pair(head: str = "GPT2LMHeadModel", seed: int = 0, **overrides):
    """(ours, reference) in eval mode, sharing random weights."""
    from tfx_plugin_gpt2 import modeling_gpt2
    from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config

    fields = {**TINY, **overrides}
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = getattr(transformers, head)(transformers.GPT2Config(**fields)).eval()
    ours = getattr(modeling_gpt2, head)(GPT2Config(**fields)).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    return ours, reference


@pytest.fixture
def make_pair():
    """`make_pair(head="GPT2LMHeadModel", seed=0, **config_overrides) -> (ours, reference)`."""
    return _make_pair


@pytest.fixture(autouse=True)
def _quiet_reference():
    transformers.logging.set_verbosity_error()
    yield


@pytest.fixture
def left_padded():
    """Three prompts of lengths 7, 4 and 1, left-padded with the pad id 0."""
    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 99, (3, 7), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    mask[2, :6] = 0
    ids[mask == 0] = 0
    return ids, mask
