"""The core decoder blocks: a Llama-style layer (GQA, gated MLP, RMSNorm, separate projections)
decodes the same through its lean plan and its modules; cross-attention matches the reference's
BART attention and projects the encoder once; the split-K product equals the plain one."""

import pytest
import torch
from torch import nn

from tfx_core.config import PretrainedConfig
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import CrossAttention, CrossAttentionCache, DecoderLayer
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.lean_decoder import DecodePlan, LeanDecoding
from tfx_core.modeling.torch.conv1d import Conv1D, split_k_matmul
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.heads import CausalLMHead
from tfx_core.modeling.torch.lean import trusted_forward


class TinyConfig(PretrainedConfig):
    model_type = "tiny-decoder-test"


def _config(**fields):
    base = dict(
        vocab_size=50,
        hidden_size=32,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=40,
        num_hidden_layers=2,
        hidden_act="silu",
        rms_norm_eps=1e-6,
        attention_bias=False,
        mlp_bias=False,
        max_position_embeddings=64,
    )
    return TinyConfig(**{**base, **fields})


@trusted_forward
class TinyModel(DecoderModel, PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "model"

    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(
            DecoderLayer(config, i) for i in range(config.num_hidden_layers)
        )
        self.norm = nn.RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.post_init()

    def embed(self, input_ids, inputs_embeds, position_ids, token_type_ids, past_length):
        return self.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds

    def forward(self, input_ids=None, **kwargs):
        return self.decoder_forward(input_ids, **kwargs)


@trusted_forward
class TinyForCausalLM(LeanDecoding, GenerationMixin, CausalLMHead, PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "model"
    base_model_class = TinyModel

    def build_head(self, config):
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)

    def get_output_embeddings(self):
        return self.lm_head


@pytest.fixture()
def tiny():
    torch.manual_seed(0)
    return TinyForCausalLM(_config(tie_word_embeddings=False)).eval()


def test_llama_style_layer_has_the_checkpoint_names(tiny):
    keys = set(tiny.state_dict())
    for name in (
        "model.layers.0.input_layernorm.weight",
        "model.layers.0.self_attn.q_proj.weight",
        "model.layers.0.self_attn.k_proj.weight",
        "model.layers.0.self_attn.o_proj.weight",
        "model.layers.0.post_attention_layernorm.weight",
        "model.layers.0.mlp.gate_proj.weight",
        "model.layers.0.mlp.up_proj.weight",
        "model.layers.0.mlp.down_proj.weight",
        "model.norm.weight",
    ):
        assert name in keys
    assert tiny.model.layers[0].self_attn.k_proj.weight.shape == (16, 32)  # 2 kv heads of 8
    assert "model.layers.0.self_attn.q_proj.bias" not in keys


def test_llama_style_generation_is_the_same_lean_and_through_modules(tiny, monkeypatch):
    steps = []
    original = DecodePlan.__call__
    monkeypatch.setattr(DecodePlan, "__call__", lambda *a: (steps.append(1), original(*a))[1])
    ids = torch.tensor([[0, 3, 9, 4], [7, 1, 2, 8]])
    mask = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])
    kwargs = dict(attention_mask=mask, max_new_tokens=6, do_sample=False, pad_token_id=0)
    fast = tiny.generate(ids, output_scores=True, return_dict_in_generate=True, **kwargs)
    assert len(steps) == 5
    with fast_paths(False):
        slow = tiny.generate(ids, output_scores=True, return_dict_in_generate=True, **kwargs)
    assert torch.equal(fast.sequences, slow.sequences)
    for a, b in zip(fast.scores, slow.scores):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_llama_style_forward_is_the_same_with_fused_projections(tiny):
    ids = torch.randint(0, 50, (2, 7))
    with torch.no_grad():
        fused = tiny(ids).logits
        assert tiny.model.layers[0].self_attn.projections.weights() is not None
        with fast_paths(False):
            plain = tiny(ids).logits
    torch.testing.assert_close(fused, plain, atol=1e-5, rtol=0)


def _reference_cross_attention(module, hidden, encoder):
    """Textbook multi-head attention of `hidden` over `encoder` (the BART formula)."""
    heads, dim = module.num_heads, module.head_dim

    def split(x):
        return x.view(x.shape[0], x.shape[1], heads, dim).transpose(1, 2)

    query = split(module.q_proj(hidden)) * dim**-0.5
    key, value = split(module.k_proj(encoder)), split(module.v_proj(encoder))
    weights = torch.softmax(query @ key.transpose(-1, -2), dim=-1)
    context = (weights @ value).transpose(1, 2).reshape(hidden.shape)
    return module.out_proj(context)


def test_cross_attention_matches_the_formula_and_projects_the_encoder_once():
    torch.manual_seed(0)
    ours = CrossAttention(_config(attention_dropout=0.0)).eval()
    assert set(ours.state_dict()) == {
        f"{name}.{kind}"
        for name in ("q_proj", "k_proj", "v_proj", "out_proj")
        for kind in ("weight", "bias")
    }  # BART's names
    hidden, encoder = torch.randn(2, 3, 32), torch.randn(2, 5, 32)
    with torch.no_grad():
        expected = _reference_cross_attention(ours, hidden, encoder)
        cache = CrossAttentionCache()
        first = ours(hidden, encoder, cache=cache)[0]
        calls = []
        ours.k_proj.register_forward_hook(lambda *a: calls.append(1))
        second = ours(hidden[:, :1], encoder, cache=cache)[0]
    torch.testing.assert_close(first, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(second, expected[:, :1], atol=1e-5, rtol=0)
    assert calls == []  # keys and values came from the cache


def test_a_layer_with_cross_attention_adds_it_between_self_attention_and_mlp():
    torch.manual_seed(0)

    class CrossLayer(DecoderLayer):
        cross_attention_attribute = "encoder_attn"
        cross_norm_attribute = "encoder_attn_layer_norm"

    layer = CrossLayer(_config(add_cross_attention=True)).eval()
    assert "encoder_attn.k_proj.weight" in layer.state_dict()
    assert "encoder_attn_layer_norm.weight" in layer.state_dict()
    hidden, encoder = torch.randn(2, 3, 32), torch.randn(2, 5, 32)
    with torch.no_grad():
        got = layer(hidden, is_causal=True, encoder_hidden_states=encoder)[0]
        x = hidden + layer.self_attn(layer.input_layernorm(hidden), is_causal=True)[0]
        x = x + _reference_cross_attention(
            layer.encoder_attn, layer.encoder_attn_layer_norm(x), encoder
        )
        expected = x + layer.mlp(layer.post_attention_layernorm(x))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    assert layer.lean_functions() is None  # encoder-decoder layers decode through modules
    with pytest.raises(ValueError, match="add_cross_attention"):
        DecoderLayer(_config())(hidden, encoder_hidden_states=encoder)


def test_split_k_product_equals_the_plain_product():
    torch.manual_seed(0)
    weight = torch.randn(1024, 768)
    x = torch.randn(3, 1024)
    torch.testing.assert_close(split_k_matmul(x, weight, 4), x @ weight, atol=1e-4, rtol=1e-5)
    layer = Conv1D(768, 1024)
    with torch.no_grad():
        layer.weight.copy_(weight)
        threads = torch.get_num_threads()
        torch.set_num_threads(2)
        try:
            out = layer(x[:, None])
        finally:
            torch.set_num_threads(threads)
    torch.testing.assert_close(out[:, 0], torch.addmm(layer.bias, x, weight), atol=1e-4, rtol=1e-5)
