"""BART-family `...ForCausalLM` in Flax against the reference PyTorch classes.

Tiny random checkpoints saved by `transformers`: logits and loss with padding, cross-attention
to given encoder states, greedy and beam ids (left-padded prompts, jitted) equal to the
reference's `generate`, and the Flax-saved folder loaded back by `transformers`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tfx_core.plugins import get_registry

transformers = pytest.importorskip("transformers")

TINY = dict(
    vocab_size=99,
    d_model=16,
    decoder_layers=2,
    encoder_layers=2,  # the reference sizes its cache by encoder_layers: keep them equal
    decoder_attention_heads=2,
    encoder_attention_heads=2,
    decoder_ffn_dim=20,
    encoder_ffn_dim=20,
    max_position_embeddings=40,
    scale_embedding=True,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
)
#: (model_type, config class, reference class)
FAMILY = [
    ("bart", "BartConfig", "BartForCausalLM"),
    ("mbart", "MBartConfig", "MBartForCausalLM"),
    ("marian", "MarianConfig", "MarianForCausalLM"),
    ("pegasus", "PegasusConfig", "PegasusForCausalLM"),
    ("blenderbot", "BlenderbotConfig", "BlenderbotForCausalLM"),
    ("blenderbot-small", "BlenderbotSmallConfig", "BlenderbotSmallForCausalLM"),
]
IDS = np.array([[0, 5, 6, 7, 8, 2], [0, 9, 10, 2, 1, 1]])  # the second row right-padded
MASK = (IDS != 1).astype(np.int64)


def _pair(folder, model_type: str, config_class: str, name: str, **overrides):
    torch.manual_seed(0)
    config = getattr(transformers, config_class)(**{**TINY, **overrides})
    reference = getattr(transformers, name)(config).eval()
    reference.save_pretrained(folder)
    head = get_registry().architecture(model_type).head_for_architecture(name)
    return reference, head.load("flax").from_pretrained(folder, strict=True)


@pytest.mark.parametrize(("model_type", "config_class", "name"), FAMILY, ids=[f[2] for f in FAMILY])
def test_logits_and_loss_match_reference(tmp_path, model_type, config_class, name):
    reference, model = _pair(tmp_path, model_type, config_class, name)
    assert type(model).__name__ == f"Flax{name}"
    with torch.no_grad():
        expected = reference(
            input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK), labels=torch.tensor(IDS)
        )
    got = model(input_ids=IDS, attention_mask=MASK, labels=IDS)
    np.testing.assert_allclose(np.asarray(got.logits), expected.logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(float(got.loss), float(expected.loss), atol=1e-5)


def test_cross_attention_to_given_encoder_states(tmp_path):
    reference, model = _pair(tmp_path, *FAMILY[0])
    states = np.random.RandomState(0).randn(2, 4, 16).astype(np.float32)
    states_mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]])
    with torch.no_grad():
        expected = reference(
            input_ids=torch.tensor(IDS),
            attention_mask=torch.tensor(MASK),
            encoder_hidden_states=torch.tensor(states),
            encoder_attention_mask=torch.tensor(states_mask),
        ).logits.numpy()
    got = model(
        input_ids=IDS,
        attention_mask=MASK,
        encoder_hidden_states=states,
        encoder_attention_mask=states_mask,
    ).logits
    np.testing.assert_allclose(np.asarray(got), expected, atol=1e-5)


@pytest.mark.parametrize("family", [FAMILY[0], FAMILY[3]], ids=["bart", "pegasus"])
def test_greedy_and_beam_ids_equal_reference_and_round_trip(tmp_path, family):
    """Left-padded prompts; positions count the caller's padding, as the reference's do."""
    reference, model = _pair(tmp_path, *family, decoder_layers=1, encoder_layers=1)
    prompt = np.array([[1, 1, 0, 5, 6], [0, 7, 8, 9, 10]])
    mask = (prompt != 1).astype(np.int64)
    for options in (dict(max_new_tokens=8), dict(max_new_tokens=6, num_beams=3)):
        with torch.no_grad():
            expected = reference.generate(
                torch.tensor(prompt), attention_mask=torch.tensor(mask), do_sample=False, **options
            ).numpy()
        got = model.generate(prompt, attention_mask=mask, **options)
        np.testing.assert_array_equal(np.asarray(got), expected)
    model.save_pretrained(tmp_path / "flax")
    again = getattr(transformers, family[2]).from_pretrained(tmp_path / "flax").eval()
    with torch.no_grad():
        tensors = dict(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK))
        np.testing.assert_allclose(
            again(**tensors).logits.numpy(), reference(**tensors).logits.numpy(), atol=1e-6
        )
