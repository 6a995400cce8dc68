"""Checkpoints that are another architecture's weights with their own tokenizer, as the seed
lists them: BERTweet and PhoBERT (RoBERTa weights, fastBPE `vocab.txt` + `bpe.codes`
tokenizers named by `tokenizer_class`) and BORT (BERT weights, RoBERTa's tokenizer). Each
folder loads through `AutoTokenizer` / `AutoModel*` like the reference's, and tokenizes and
predicts the same (ids, token types, masks, special tokens, decodes; logits <= 1e-5)."""

import json

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_core import AutoModel, AutoModelForMaskedLM, AutoTokenizer, pipeline  # noqa: E402
from tfx_sdk.conformance import MIXED_TEXTS  # noqa: E402
from tfx_sdk.conformance.tiny_tokenizers import (  # noqa: E402
    write_byte_level_bpe,
    write_fastbpe,
)

CORPUS = [*MIXED_TEXTS, "Xin chào Việt_Nam ! Tôi là sinh_viên .", "@user check https://t.co/x 😂"]
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)


def _fastbpe_checkpoint(folder, tokenizer_class):
    size = write_fastbpe(folder, CORPUS * 3, tokenizer_class=tokenizer_class)
    (folder / "tokenizer_config.json").unlink()  # the class comes from config.json, as on the Hub
    config = transformers.RobertaConfig(
        **TINY, vocab_size=size, max_position_embeddings=130, tokenizer_class=tokenizer_class
    )
    torch.manual_seed(0)
    transformers.RobertaForMaskedLM(config).save_pretrained(folder)
    return folder


def _same(ours, theirs, texts):
    options = {"return_special_tokens_mask": True}
    for text in texts:
        a, b = ours(text, **options), theirs(text, **options)
        assert dict(a) == dict(b), text
        assert ours.decode(a["input_ids"]) == theirs.decode(b["input_ids"]), text
        assert ours.convert_ids_to_tokens(a["input_ids"]) == theirs.convert_ids_to_tokens(
            b["input_ids"]
        )
    # (a pair whose second text is "" is one text for the reference's fast classes but a pair
    # for its Python ones, BERTweet's and PhoBERT's; tfx follows the fast classes)
    nonempty = [text for text in texts if text]
    for first, second in zip(nonempty, nonempty[::-1]):
        assert dict(ours(first, second)) == dict(theirs(first, second)), (first, second)
    batch = {"padding": True, "truncation": True, "max_length": 16}
    assert dict(ours(list(texts), **batch)) == dict(theirs(list(texts), **batch))


@pytest.mark.parametrize("name", ["BertweetTokenizer", "PhobertTokenizer"])
def test_fastbpe_tokenizers_match_the_reference(tmp_path, name):
    folder = _fastbpe_checkpoint(tmp_path / "hub", name)
    ours = AutoTokenizer.from_pretrained(folder)
    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    assert type(theirs).__name__ == name and type(ours).__name__ == f"{name}Fast"
    texts = [*CORPUS, "hello <mask> world", "</s> in text"]
    _same(ours, theirs, texts)
    # offsets (the reference's Python tokenizer has none): each piece is its span of the text
    encoded = ours(CORPUS[1], return_offsets_mapping=True, add_special_tokens=False)
    tokens = ours.convert_ids_to_tokens(encoded["input_ids"])
    for token, (start, end) in zip(tokens, encoded["offset_mapping"]):
        assert token == "<unk>" or CORPUS[1][start:end] == token.removesuffix("@@")
    # saved files load in the other library to the same tokenizer
    ours.save_pretrained(tmp_path / "ours")
    _same(ours, transformers.AutoTokenizer.from_pretrained(tmp_path / "ours"), texts)
    theirs.save_pretrained(tmp_path / "theirs")
    _same(AutoTokenizer.from_pretrained(tmp_path / "theirs"), theirs, texts)


@pytest.mark.parametrize("name", ["BertweetTokenizer", "PhobertTokenizer"])
def test_fastbpe_checkpoints_run_as_roberta(tmp_path, name):
    folder = _fastbpe_checkpoint(tmp_path, name)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForMaskedLM.from_pretrained(folder).eval()
    assert type(model).__name__ == "RobertaForMaskedLM" and model.load_report.is_clean
    reference = transformers.AutoModelForMaskedLM.from_pretrained(folder).eval()
    inputs = tokenizer(CORPUS[:4], padding=True, return_tensors="pt")
    with torch.no_grad():
        diff = (model(**inputs).logits - reference(**inputs).logits).abs().max().item()
    assert diff <= 1e-5
    predictions = pipeline("fill-mask", model=folder)("hello <mask> world")
    assert len(predictions) == 5 and all("<mask>" not in p["sequence"] for p in predictions)


def test_bort_is_bert_with_the_roberta_tokenizer(tmp_path):
    size = write_byte_level_bpe(tmp_path, style="roberta", legacy=True)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 32}))
    config = transformers.BertConfig(
        **TINY, vocab_size=size, tokenizer_class="RobertaTokenizer", max_position_embeddings=64
    )
    torch.manual_seed(0)
    transformers.BertForMaskedLM(config).save_pretrained(tmp_path)
    ours, theirs = (
        AutoTokenizer.from_pretrained(tmp_path),
        transformers.AutoTokenizer.from_pretrained(tmp_path),
    )
    assert type(theirs).__name__ == "RobertaTokenizerFast" == type(ours).__name__
    _same(ours, theirs, list(MIXED_TEXTS))
    model = AutoModel.from_pretrained(tmp_path).eval()
    assert type(model).__name__ == "BertModel"
    mlm = AutoModelForMaskedLM.from_pretrained(tmp_path).eval()
    reference = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path).eval()
    inputs = ours(list(MIXED_TEXTS[:4]), padding=True, return_tensors="pt")
    with torch.no_grad():
        diff = (mlm(**inputs).logits - reference(**inputs).logits).abs().max().item()
    assert diff <= 1e-5
