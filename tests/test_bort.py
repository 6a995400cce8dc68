"""BORT (`amazon/bort`): BERT weights (`model_type` "bert") with RoBERTa's byte-level BPE
tokenizer, as the reference saves such a checkpoint: `BertConfig` + `BertForMaskedLM` weights
and the tokenizer files written by `RobertaTokenizer` / `RobertaTokenizerFast` (the class named
only in tokenizer_config.json). tfx's `AutoTokenizer` / `AutoModel*` / fill-mask pipeline give
the reference's ids and logits, and what tfx saves loads back in the reference the same."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_core import AutoModel, AutoModelForMaskedLM, AutoTokenizer, pipeline  # noqa: E402
from tfx_sdk.conformance import MIXED_TEXTS  # noqa: E402
from tfx_sdk.conformance.tiny_tokenizers import write_byte_level_bpe  # noqa: E402

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)
TEXTS = [*MIXED_TEXTS, "hello <mask> world", "Héllo wörld 日本語 😂 antidisestablishmentarianism"]


def _bort(folder, tokenizer_class: str):
    """A tiny BORT-style checkpoint saved by the reference (tokenizer then model)."""
    vocab = folder / "vocab"
    size = write_byte_level_bpe(vocab, style="roberta", legacy=True)
    tokenizer = getattr(transformers, tokenizer_class)(
        str(vocab / "vocab.json"), str(vocab / "merges.txt"), model_max_length=64
    )
    tokenizer.save_pretrained(folder / "hub")
    config = transformers.BertConfig(**TINY, vocab_size=size, max_position_embeddings=64)
    torch.manual_seed(0)
    model = transformers.BertForMaskedLM(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn(parameter.shape) * 0.05)
    model.save_pretrained(folder / "hub")
    return folder / "hub"


def _same_ids(ours, theirs):
    for text in TEXTS:
        a = ours(text, return_special_tokens_mask=True)
        b = theirs(text, return_special_tokens_mask=True)
        assert dict(a) == dict(b), text
        assert ours.decode(a["input_ids"]) == theirs.decode(b["input_ids"]), text
    assert dict(ours(TEXTS[0], TEXTS[1])) == dict(theirs(TEXTS[0], TEXTS[1]))
    batch = {"padding": True, "truncation": True, "max_length": 16}
    assert dict(ours(TEXTS, **batch)) == dict(theirs(TEXTS, **batch))


def _logits(model, inputs):
    with torch.no_grad():
        return model.eval()(**inputs).logits


@pytest.mark.parametrize("tokenizer_class", ["RobertaTokenizer", "RobertaTokenizerFast"])
def test_bort_loads_as_bert_with_the_roberta_tokenizer(tmp_path, tokenizer_class):
    folder = _bort(tmp_path, tokenizer_class)
    ours = AutoTokenizer.from_pretrained(folder)
    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == type(theirs).__name__ == "RobertaTokenizerFast"
    _same_ids(ours, theirs)

    assert type(AutoModel.from_pretrained(folder)).__name__ == "BertModel"
    model = AutoModelForMaskedLM.from_pretrained(folder)
    assert type(model).__name__ == "BertForMaskedLM" and model.load_report.is_clean
    reference = transformers.AutoModelForMaskedLM.from_pretrained(folder)
    inputs = ours(TEXTS[:4], padding=True, return_tensors="pt")
    assert (_logits(model, inputs) - _logits(reference, inputs)).abs().max() <= 1e-5

    fill = pipeline("fill-mask", model=folder)("hello <mask> world")
    expected = transformers.pipeline("fill-mask", model=str(folder))("hello <mask> world")
    assert [p["token"] for p in fill] == [p["token"] for p in expected]

    # tfx's saved checkpoint (tokenizer and weights) is the same BORT for the reference
    ours.save_pretrained(tmp_path / "tfx")
    model.save_pretrained(tmp_path / "tfx")
    _same_ids(ours, transformers.AutoTokenizer.from_pretrained(tmp_path / "tfx"))
    back = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path / "tfx")
    assert (_logits(back, inputs) - _logits(reference, inputs)).abs().max() <= 1e-5
