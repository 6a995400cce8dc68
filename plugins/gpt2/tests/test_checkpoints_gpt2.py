"""Checkpoints both ways with transformers, old-checkpoint buffers, config and plugin discovery."""

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import save_file
from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config
from tfx_plugin_gpt2.modeling_gpt2 import GPT2ForSequenceClassification, GPT2LMHeadModel

from tfx_core import AutoConfig, AutoModelForCausalLM
from tfx_core.errors import ConfigError
from tfx_core.generation import GenerationConfig
from tfx_core.plugins import get_registry, reset_registry

transformers = pytest.importorskip("transformers")


def logits(model, ids):
    with torch.no_grad():
        return model(ids).logits


def test_reference_checkpoint_loads_in_tfx(make_pair, tmp_path):
    _, ref = make_pair()
    ref.generation_config.max_new_tokens = 4
    ref.save_pretrained(tmp_path)
    ours = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert isinstance(ours, GPT2LMHeadModel) and ours.load_report.is_clean
    ids = torch.randint(3, 99, (2, 6))
    assert torch.allclose(logits(ours, ids), logits(ref, ids), atol=1e-5)
    assert ours.generation_config.max_new_tokens == 4
    assert torch.equal(ours.generate(ids), ref.generate(ids))


def test_tfx_checkpoint_loads_in_reference(make_pair, tmp_path):
    ours, _ = make_pair()
    ours.generation_config = GenerationConfig(max_new_tokens=5, eos_token_id=2, pad_token_id=0)
    ids = torch.randint(3, 99, (2, 6))
    ours.generate(ids)  # generating switches to decode layouts; saving must not care
    ours.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["n_embd"] == 32 and saved["architectures"] == ["GPT2LMHeadModel"]
    ref = transformers.GPT2LMHeadModel.from_pretrained(tmp_path)
    assert torch.allclose(logits(ours, ids), logits(ref, ids), atol=1e-5)
    assert ref.generation_config.max_new_tokens == 5
    assert torch.equal(ours.generate(ids), ref.generate(ids))


def test_head_to_head_and_old_buffers(make_pair, tmp_path):
    """A base checkpoint loads into a classifier; legacy `attn.bias` buffers are ignored."""
    ours, _ = make_pair("GPT2Model")
    state = {k: v.contiguous() for k, v in ours.state_dict().items()}
    state["h.0.attn.bias"] = torch.tril(torch.ones(1, 1, 64, 64))
    state["h.0.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(state, str(tmp_path / "model.safetensors"))
    ours.config.save_pretrained(tmp_path)
    model = GPT2ForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    report = model.load_report
    assert not report.unexpected and report.missing == ["score.weight"]
    assert sorted(report.ignored_unexpected) == ["h.0.attn.bias", "h.0.attn.masked_bias"]


def test_config_aliases_and_reference_keys():
    config = GPT2Config(n_embd=64, n_head=4, n_layer=3)
    assert (config.hidden_size, config.num_attention_heads, config.num_hidden_layers) == (64, 4, 3)
    config.hidden_size = 128
    assert config.n_embd == 128 and config.max_position_embeddings == 1024
    assert GPT2Config(hidden_size=48, n_head=4).n_embd == 48
    ours = config.to_dict()
    reference = transformers.GPT2Config(n_embd=128, n_head=4, n_layer=3).to_dict()
    for key in (
        "n_embd",
        "n_layer",
        "n_head",
        "n_positions",
        "activation_function",
        "layer_norm_epsilon",
        "scale_attn_weights",
        "reorder_and_upcast_attn",
        "scale_attn_by_inverse_layer_idx",
        "n_inner",
        "bos_token_id",
        "eos_token_id",
    ):
        assert ours[key] == reference[key], key
    assert "hidden_size" not in ours
    with pytest.raises(ConfigError, match="divisible"):
        GPT2Config(n_embd=30, n_head=4)
    with pytest.raises(ConfigError, match="activation_function"):
        GPT2Config(activation_function="gelu_magic")


def test_plugin_is_discovered_lazily():
    reset_registry()
    spec = get_registry().architecture("gpt2")
    assert {h.head for h in spec.heads} == {
        "base",
        "causal-lm",
        "sequence-classification",
        "token-classification",
    }
    assert spec.head_for_architecture("GPT2LMHeadModel").head == "causal-lm"
    assert spec.tokenizer_converter == "tfx_core.tokenization.converters:convert_byte_level_bpe"
    converters = [c for c in get_registry().tokenizer_converters() if "gpt2" in c.model_types]
    assert converters and converters[0].files == ("vocab.json", "merges.txt")
    assert isinstance(AutoConfig.for_model("gpt2", n_layer=1), GPT2Config)
    code = (
        "import sys, tfx_plugin_gpt2, tfx_plugin_gpt2.plugin as p; p.tfx_architectures(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
