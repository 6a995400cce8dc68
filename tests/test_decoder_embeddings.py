"""The core `DecoderModel.embed` default, as each GPT-family plugin configures it: token types,
explicit position ids and bf16 inputs equal to the reference, the context bound a typed error."""

import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_core.errors import ConfigError  # noqa: E402
from tfx_core.utils.imports import import_string  # noqa: E402

GPT = dict(vocab_size=99, n_positions=24, n_embd=32, n_layer=2, n_head=4)
PAIRS = {
    "gpt2": ("GPT2LMHeadModel", "GPT2Config", "tfx_plugin_gpt2.modeling_gpt2", GPT),
    "openai-gpt": (
        "OpenAIGPTLMHeadModel",
        "OpenAIGPTConfig",
        "tfx_plugin_openai_gpt.modeling_openai_gpt",
        GPT,
    ),
    "ctrl": ("CTRLLMHeadModel", "CTRLConfig", "tfx_plugin_ctrl.modeling_ctrl", dict(GPT, dff=48)),
    "gptj": (
        "GPTJForCausalLM",
        "GPTJConfig",
        "tfx_plugin_gptj.modeling_gptj",
        dict(GPT, rotary_dim=4),
    ),
    "gpt-neo": (
        "GPTNeoForCausalLM",
        "GPTNeoConfig",
        "tfx_plugin_gpt_neo.modeling_gpt_neo",
        dict(
            vocab_size=99,
            max_position_embeddings=24,
            hidden_size=32,
            num_layers=2,
            num_heads=4,
            attention_types=[[["global", "local"], 1]],
            window_size=4,
        ),
    ),
}


def make_pair(name):
    head, config_name, module, fields = PAIRS[name]
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = getattr(transformers, head)(getattr(transformers, config_name)(**fields))
    ours_class = import_string(f"{module}:{head}")
    ours = ours_class(ours_class.config_class(**fields)).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert not result.missing_keys
    return ours, reference.eval()


@pytest.mark.parametrize("name", PAIRS)
def test_token_types_and_position_ids_match_reference(name):
    ours, reference = make_pair(name)
    generator = torch.Generator().manual_seed(2)
    ids = torch.randint(0, 99, (2, 7), generator=generator)
    types = torch.randint(0, 99, (2, 7), generator=generator)
    positions = torch.tensor([[3, 4, 5, 6, 7, 8, 9], [0, 0, 1, 2, 3, 4, 5]])
    with torch.no_grad():
        for kwargs in ({"token_type_ids": types}, {"position_ids": positions}):
            got, want = ours(ids, **kwargs).logits, reference(ids, **kwargs).logits
            assert (got - want).abs().max() <= 1e-5, kwargs


@pytest.mark.parametrize("name", ["gpt2", "gpt-neo"])
def test_half_precision_embeddings_match_reference(name):
    ours, reference = make_pair(name)
    ours, reference = ours.to(torch.bfloat16), reference.to(torch.bfloat16)
    ids = torch.randint(0, 99, (1, 6), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        got = ours.base_model.embed(ids, None, None, None, 0)
        want = reference.base_model(ids, output_hidden_states=True).hidden_states[0]
    assert got.dtype == torch.bfloat16 and torch.equal(got, want)


@pytest.mark.parametrize("name", PAIRS)
def test_inputs_past_the_context_are_config_errors(name):
    ours, _ = make_pair(name)
    with pytest.raises(ConfigError, match="shorten the input"):
        ours(torch.zeros(1, 25, dtype=torch.long))
