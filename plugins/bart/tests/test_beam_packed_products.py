"""Beam search with projections large enough for oneDNN's laid-out float32 copies (8 rows:
2 sources x 4 beams): the lean step's products and the logits product run packed, and ids,
scores and logits stay the reference's and the module path's."""

import pytest
import torch
import torch.nn.functional as F
import transformers
from tfx_plugin_bart import modeling_bart

import tfx_core.modeling.torch.onednn as onednn
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.linear import linear

pytestmark = pytest.mark.skipif(
    not onednn.onednn_available(), reason="PyTorch built without oneDNN"
)

SHAPE = dict(
    vocab_size=1100,  # 1100 x 64 output matrix: packed
    d_model=64,
    encoder_layers=1,
    decoder_layers=2,
    encoder_attention_heads=4,
    decoder_attention_heads=4,
    encoder_ffn_dim=64,
    decoder_ffn_dim=1024,  # 1024 x 64 feed-forward weights: packed
    max_position_embeddings=64,
)
SOURCE = torch.tensor([[0, 5, 6, 7, 8, 9, 10, 2], [0, 11, 12, 13, 2, 1, 1, 1]])
OPTIONS = dict(
    attention_mask=(SOURCE != 1).long(),
    num_beams=4,
    num_return_sequences=2,
    max_new_tokens=12,
    min_new_tokens=6,
    no_repeat_ngram_size=3,
    length_penalty=0.8,
    return_dict_in_generate=True,
    output_scores=True,
)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    torch.manual_seed(3)
    reference = transformers.BartForConditionalGeneration(transformers.BartConfig(**SHAPE)).eval()
    with torch.no_grad():  # logits spread enough for beams to differ
        reference.lm_head.weight.mul_(8.0)
    folder = tmp_path_factory.mktemp("bart_packed")
    reference.save_pretrained(folder)
    ours = modeling_bart.BartForConditionalGeneration.from_pretrained(folder).eval()
    return ours, reference


def test_beams_on_packed_products_match_reference(models, monkeypatch):
    ours, reference = models
    packed = []
    layout = onednn._dense_layout
    monkeypatch.setattr(
        onednn, "_dense_layout", lambda w, s: packed.append(tuple(w.shape)) or layout(w, s)
    )
    lean = ours.generate(SOURCE, **OPTIONS)
    assert (SHAPE["vocab_size"], SHAPE["d_model"]) in packed  # the logits product
    assert (SHAPE["decoder_ffn_dim"], SHAPE["d_model"]) in packed  # fc1
    packed.clear()
    with fast_paths(False):
        modules = ours.generate(SOURCE, **OPTIONS)
    assert packed == []  # TFX_FAST_PATHS=0: the standard products
    expected = reference.generate(SOURCE, **OPTIONS)
    assert torch.equal(lean.sequences, expected.sequences)
    assert torch.equal(modules.sequences, expected.sequences)
    torch.testing.assert_close(lean.sequences_scores, expected.sequences_scores, atol=1e-5, rtol=0)
    for mine, theirs in zip(lean.scores, expected.scores):
        finite = torch.isfinite(theirs)
        assert torch.equal(torch.isfinite(mine), finite)
        torch.testing.assert_close(mine[finite], theirs[finite], atol=1e-5, rtol=0)


def test_decode_linear_float32_rows():
    torch.manual_seed(0)
    weight, bias = torch.randn(1024, 64), torch.randn(1024)
    product = onednn.decode_linear(weight, bias)
    with torch.no_grad():
        few = torch.randn(onednn.PACKED_ROWS - 1, 64)
        assert torch.equal(product(few), linear(few, weight, bias))  # below: unchanged path
        many = torch.randn(2, onednn.PACKED_ROWS, 64)
        torch.testing.assert_close(product(many), F.linear(many, weight, bias), atol=1e-5, rtol=0)
        strided = torch.randn(onednn.PACKED_ROWS, 2, 64)[:, 1]  # a view with a row stride
        torch.testing.assert_close(
            product(strided), F.linear(strided, weight, bias), atol=1e-5, rtol=0
        )
        weight.mul_(-1.0)  # written in place: the laid-out copy is rebuilt
        torch.testing.assert_close(product(many), F.linear(many, weight, bias), atol=1e-5, rtol=0)
    with torch.enable_grad():  # autograd: the standard product
        grad_in = torch.randn(onednn.PACKED_ROWS, 64, requires_grad=True)
        product(grad_in).sum().backward()
        assert grad_in.grad is not None
