"""Legacy files through the converter hook, config reconciliation, and strategy rules.

A toy word-level converter (written to a temporary module) stands in for the plugins, so these
tests need no plugin installed; the real converters are tested in tests/test_tokenizer_parity.py.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import models, pre_tokenizers, processors

from tfx_core.errors import TokenizerError
from tfx_core.plugins import TokenizerConverterSpec, get_registry, hookimpl, reset_registry
from tfx_core.tokenization import Tokenizer, strategies
from tfx_core.tokenization.profiles import profile_for, profile_for_model_type

CONVERTER_MODULE = """
from pathlib import Path
from tokenizers import Tokenizer, models, pre_tokenizers

CALLS = []


def convert_words(folder, tokenizer_config):
    CALLS.append(("words", Path(folder).name))
    return _words(folder, tokenizer_config)


def _words(folder, tokenizer_config):
    tokenizer_config.setdefault("unk_token", "<unk>")
    tokenizer_config.setdefault("pad_token", "<pad>")
    vocab = {w: i for i, w in enumerate(Path(folder, "words.txt").read_text().split())}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return tok


def convert_upper(folder, tokenizer_config):
    CALLS.append(("upper", Path(folder).name))
    return _words(folder, tokenizer_config)


def broken(folder, tokenizer_config):
    raise RuntimeError("boom")


def not_a_tokenizer(folder, tokenizer_config):
    return "nope"
"""


class _ConverterPlugin:
    @hookimpl
    def tfx_tokenizer_converters(self):
        return [
            TokenizerConverterSpec("words", "tfx_toy_converters:convert_words", ("words.txt",)),
            TokenizerConverterSpec(
                "upper", "tfx_toy_converters:convert_upper", ("words.txt",), ("upper-model",)
            ),
            TokenizerConverterSpec(
                "broken", "tfx_toy_converters:broken", ("broken.txt",), ("broken-model",)
            ),
            TokenizerConverterSpec(
                "wrong", "tfx_toy_converters:not_a_tokenizer", ("wrong.txt",), ("wrong-model",)
            ),
        ]


@pytest.fixture
def converters(tmp_path, monkeypatch):
    package = tmp_path / "modules"
    package.mkdir()
    (package / "tfx_toy_converters.py").write_text(CONVERTER_MODULE)
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.setenv("TFX_DISABLE_PLUGIN_AUTOLOAD", "1")
    reset_registry()
    get_registry().register(_ConverterPlugin(), name="toy-converters")
    import tfx_toy_converters

    tfx_toy_converters.CALLS.clear()
    yield tfx_toy_converters.CALLS
    reset_registry()


def _legacy_folder(tmp_path: Path, model_type: str | None = None, extra: str = "words.txt") -> Path:
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / extra).write_text("<unk> <pad> hello world")
    if model_type:
        (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    return folder


def test_converter_chosen_by_files(tmp_path, converters):
    tok = Tokenizer.from_pretrained(_legacy_folder(tmp_path))
    assert converters == [("words", "legacy")]
    assert tok("hello there world")["input_ids"] == [2, 0, 3]
    assert tok.unk_token == "<unk>" and tok.pad_token_id == 1  # defaults set by the converter


def test_converter_chosen_by_model_type(tmp_path, converters):
    Tokenizer.from_pretrained(_legacy_folder(tmp_path, "upper-model"))
    assert converters == [("upper", "legacy")]


def test_converter_saves_as_tokenizer_json(tmp_path, converters):
    tok = Tokenizer.from_pretrained(_legacy_folder(tmp_path))
    tok.save_pretrained(tmp_path / "saved")
    config = json.loads((tmp_path / "saved" / "tokenizer_config.json").read_text())
    assert config["unk_token"] == "<unk>" and config["added_tokens_decoder"]["0"]["special"]
    converters.clear()
    again = Tokenizer.from_pretrained(tmp_path / "saved")
    assert converters == []  # tokenizer.json now, no conversion
    assert again("hello world")["input_ids"] == [2, 3]


def test_converter_failures_are_typed(tmp_path, converters):
    with pytest.raises(TokenizerError, match=r"converter 'broken'.*RuntimeError: boom"):
        Tokenizer.from_pretrained(_legacy_folder(tmp_path, "broken-model", "broken.txt"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "wrong.txt").write_text("x")
    (other / "config.json").write_text(json.dumps({"model_type": "wrong-model"}))
    with pytest.raises(TokenizerError, match=r"returned str, not a tokenizers\.Tokenizer"):
        Tokenizer.from_pretrained(other)


def test_legacy_added_tokens_file(tmp_path, converters):
    folder = _legacy_folder(tmp_path)
    (folder / "added_tokens.json").write_text(json.dumps({"<new>": 4}))
    tok = Tokenizer.from_pretrained(folder)
    assert tok.convert_tokens_to_ids("<new>") == 4
    assert tok("hello <new>")["input_ids"] == [2, 4]


def test_special_tokens_map_fills_roles(tmp_path, converters):
    folder = _legacy_folder(tmp_path)
    (folder / "special_tokens_map.json").write_text(
        json.dumps(
            {
                "eos_token": {
                    "content": "</s>",
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": False,
                    "single_word": False,
                },
                "additional_special_tokens": ["<x>"],
            }
        )
    )
    tok = Tokenizer.from_pretrained(folder, eos_token="<eos>")
    assert tok.eos_token == "<eos>"  # the keyword argument wins
    assert tok.additional_special_tokens == ["<x>"]
    assert "<x>" in tok.get_vocab()


# ------------------------------------------------------------ reconciliation
def _bpe_backend(add_prefix_space: bool) -> RustTokenizer:
    vocab = {"<s>": 0, "</s>": 1, "a": 2, "Ġ": 3, "Ġa": 4}
    tok = RustTokenizer(models.BPE(vocab, [("Ġ", "a")]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    return tok


def test_add_prefix_space_follows_the_config():
    tok = Tokenizer(_bpe_backend(True))  # the reference resets it to the config's (False)
    assert tok("a")["input_ids"] == [2]
    tok = Tokenizer(_bpe_backend(True), add_prefix_space=True)
    assert tok("a")["input_ids"] == [4]


def test_llama_style_bos_eos_template():
    backend = _bpe_backend(False)
    tok = Tokenizer(
        backend, tokenizer_class="LlamaTokenizerFast", bos_token="<s>", eos_token="</s>"
    )
    assert tok.padding_side == "left" and tok.model_input_names == ["input_ids", "attention_mask"]
    assert tok("a")["input_ids"] == [0, 2]
    tok.add_eos_token = True
    assert tok("a")["input_ids"] == [0, 2, 1]
    assert tok("a", "a")["input_ids"] == [0, 2, 1, 0, 2, 1]
    tok = Tokenizer(backend, tokenizer_class="LlamaTokenizer", bos_token="<s>", add_bos_token=False)
    assert tok("a")["input_ids"] == [2]


def test_roberta_post_processor_follows_config():
    backend = _bpe_backend(False)
    backend.post_processor = processors.RobertaProcessing(
        ("</s>", 1), ("<s>", 0), trim_offsets=False
    )
    tok = Tokenizer(backend, tokenizer_class="RobertaTokenizer")
    state = json.loads(tok.backend_tokenizer.post_processor.__getstate__())
    assert state["trim_offsets"] is True  # RoBERTa's default wins over the file


def test_profiles():
    assert profile_for("BertTokenizerFast").bert_normalizer
    assert profile_for("GPT2Tokenizer").model_input_names == ("input_ids", "attention_mask")
    assert profile_for("PreTrainedTokenizerFast") == profile_for(None)
    assert profile_for_model_type("gpt_neox").bos_eos_defaults == (False, False)
    assert profile_for_model_type("xlm-roberta").model_input_names == (
        "input_ids",
        "attention_mask",
    )
    assert profile_for_model_type("no-such-model") == profile_for(None)


# ---------------------------------------------------------------- strategies
def _resolve(padding=False, truncation=None, max_length=None, multiple=None, model_max=512):
    return strategies.resolve(
        padding, truncation, max_length, multiple, model_max_length=model_max, has_pad_token=True
    )


def test_strategy_rules():
    assert _resolve() == strategies.Strategy("do_not_pad", "do_not_truncate", None)
    assert _resolve(max_length=8) == strategies.Strategy("do_not_pad", "longest_first", 8)
    assert _resolve(padding=True) == strategies.Strategy("longest", "do_not_truncate", None)
    assert _resolve(padding="max_length") == strategies.Strategy(
        "max_length", "do_not_truncate", 512
    )
    assert _resolve(truncation=True) == strategies.Strategy("do_not_pad", "longest_first", 512)
    assert _resolve(truncation="only_second", max_length=4).truncation == "only_second"
    unlimited = strategies.VERY_LARGE_INTEGER
    assert _resolve(
        padding="max_length", truncation=True, model_max=unlimited
    ) == strategies.Strategy("do_not_pad", "do_not_truncate", None)
    with pytest.raises(TokenizerError, match="max_length must be"):
        _resolve(max_length=-1)
    with pytest.raises(TokenizerError, match="pad_to_multiple_of"):
        _resolve(padding=True, multiple=0)


def test_reference_enum_values_are_accepted():
    class Enum:
        def __init__(self, value):
            self.value = value

    assert strategies.padding_strategy(Enum("longest")) == "longest"
    assert strategies.truncation_strategy(Enum("only_first")) == "only_first"


def test_converter_module_source_is_valid_python():
    compile(textwrap.dedent(CONVERTER_MODULE), "converters", "exec")
