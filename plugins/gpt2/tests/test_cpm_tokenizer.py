"""CPM (Chinese GPT-2 checkpoints): its tokenizer through AutoTokenizer, ids and text equal to
the reference's CpmTokenizerFast on a Chinese/mixed corpus, with a tiny SentencePiece model
trained here, and the GPT-2 model loading next to it through the Auto classes."""

import io
import json
import sys
import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")
jieba = pytest.importorskip("jieba")
pytest.importorskip("rjieba")  # what the reference's CpmTokenizerFast cuts words with

from tfx_plugin_gpt2.modeling_gpt2 import GPT2LMHeadModel  # noqa: E402

from tfx_core import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_core.tokenization.cpm import CpmTokenizerFast, segment  # noqa: E402

TRAINING = [
    "今天天气不错，我们去公园散步吧。",
    "清华大学的研究人员发布了新的中文语言模型，参数量达到二十六亿。",
    "我爱北京天安门，天安门上太阳升。",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造。",
    "Hello world, this is mixed 中文 and English text.",
    "数字123和45.6，还有2024年的计划。",
    "他来到了网易杭研大厦，\n开始了新的工作。",
]
CORPUS = [
    "今天天气不错，我们 去公园\n散步吧。",
    "清华大学发布了中文语言模型CPM，参数量达到26亿!",
    "  前后有空格  中间  也有  ",
    "Mixed 中英文 text: GPT-2 模型, 123,456 个参数",
    "第一行\n第二行\n\n第三行",
    "没见过的字：龘靐齉",
    "",
]


def _train(folder):
    cut = [segment(text) for text in TRAINING] * 30
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(cut),
        model_writer=model,
        vocab_size=260,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        user_defined_symbols=["<sep>", "<cls>", "<eop>", "<eod>", "<mask>", "\u2582", "\u2583"],
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=5,
        pad_piece="<pad>",
        minloglevel=2,
    )
    (folder / "spiece.model").write_bytes(model.getvalue())


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """`spm`: spiece.model + config.json, as CPM-Generate ships; `full`: + tokenizer.json and
    tokenizer_config.json (the reference's CpmTokenizerFast cannot convert spiece.model)."""
    spm_folder = tmp_path_factory.mktemp("cpm-spm")
    _train(spm_folder)
    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "tokenizer_class": "CpmTokenizer",
        "vocab_size": 300,
        "n_positions": 64,
        "n_embd": 32,
        "n_layer": 2,
        "n_head": 4,
        "bos_token_id": 1,
        "eos_token_id": 2,
    }
    (spm_folder / "config.json").write_text(json.dumps(config))
    full = tmp_path_factory.mktemp("cpm-full")
    for name in ("spiece.model", "config.json"):
        (full / name).write_bytes((spm_folder / name).read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        from transformers.convert_slow_tokenizer import XLNetConverter

        slow = transformers.XLNetTokenizer(str(full / "spiece.model"))
        converted = XLNetConverter(slow).converted()
    converted.save(str(full / "tokenizer.json"))
    # as a checkpoint saved by the reference: tokenizer_config.json names the special tokens
    transformers.AutoTokenizer.from_pretrained(full).save_pretrained(full)
    return {"spm": spm_folder, "full": full}


@pytest.fixture(scope="module")
def reference(folders):
    return transformers.AutoTokenizer.from_pretrained(folders["full"])


@pytest.mark.parametrize("source", ["spm", "full"])
def test_ids_and_text_match_reference(folders, reference, source):
    ours = AutoTokenizer.from_pretrained(folders[source])
    assert isinstance(ours, CpmTokenizerFast)
    assert type(reference).__name__ == "CpmTokenizerFast"
    for text in CORPUS:
        got, want = ours(text), reference(text)
        assert got["input_ids"] == want["input_ids"], text
        assert got["token_type_ids"] == want["token_type_ids"], text
        assert ours.tokenize(text) == reference.tokenize(text), text
        for skip in (False, True):
            assert ours.decode(got["input_ids"], skip_special_tokens=skip) == reference.decode(
                want["input_ids"], skip_special_tokens=skip
            ), text


def test_batches_pad_with_segment_three(folders, reference):
    ours = AutoTokenizer.from_pretrained(folders["spm"])
    got = ours(CORPUS, padding=True)
    want = reference(CORPUS, padding=True)
    assert got["input_ids"] == want["input_ids"]
    assert got["token_type_ids"] == want["token_type_ids"]
    assert got["attention_mask"] == want["attention_mask"]
    assert ours.batch_decode(got["input_ids"], skip_special_tokens=True) == reference.batch_decode(
        want["input_ids"], skip_special_tokens=True
    )


def test_saved_tokenizer_loads_in_the_reference(folders, reference, tmp_path):
    AutoTokenizer.from_pretrained(folders["spm"]).save_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs).__name__ == "CpmTokenizerFast"
    again = AutoTokenizer.from_pretrained(tmp_path)
    for text in CORPUS:
        assert theirs(text)["input_ids"] == reference(text)["input_ids"] == again.encode(text)


def test_gpt2_model_generates_text_like_the_reference(folders, reference):
    """The CPM checkpoint layout: GPT-2 weights next to the CPM tokenizer, both through Auto."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = transformers.AutoModelForCausalLM.from_config(
            transformers.AutoConfig.from_pretrained(folders["full"])
        ).eval()
    theirs.save_pretrained(folders["full"] / "weights", safe_serialization=True)
    for name in ("spiece.model", "tokenizer.json"):
        (folders["full"] / "weights" / name).write_bytes((folders["full"] / name).read_bytes())
    model = AutoModelForCausalLM.from_pretrained(folders["full"] / "weights")
    tokenizer = AutoTokenizer.from_pretrained(folders["full"] / "weights")
    assert isinstance(model, GPT2LMHeadModel) and isinstance(tokenizer, CpmTokenizerFast)
    prompt = "今天天气不错，"
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)])
    assert ids.tolist() == [reference.encode(prompt, add_special_tokens=False)]
    kwargs = dict(max_new_tokens=8, do_sample=False, pad_token_id=5, eos_token_id=None)
    got = model.generate(ids, **kwargs)
    with torch.no_grad():
        want = theirs.generate(ids, **kwargs)
    assert torch.equal(got, want)
    assert tokenizer.decode(got[0]) == reference.decode(want[0])


def test_missing_jieba_is_a_tokenizer_error(folders, monkeypatch):
    ours = AutoTokenizer.from_pretrained(folders["spm"])
    monkeypatch.setitem(sys.modules, "jieba", None)
    with pytest.raises(TokenizerError, match="pip install"):
        ours("你好")
