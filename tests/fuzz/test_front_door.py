"""Regressions for the issue's list: each bad input is refused where it enters, with a typed
error naming the problem (the fuzz slice covers the same ground by generation)."""

from __future__ import annotations

import json

import pytest
from tfx_fuzz import fixtures

from tfx_core import AutoConfig, AutoModelForMaskedLM, AutoTokenizer
from tfx_core.errors import ConfigError, GenerationError, TokenizerError


@pytest.fixture
def bert(tmp_path):
    return fixtures.copy_checkpoint("bert", tmp_path / "bert")


def _edit_config(folder, **changes):
    data = json.loads((folder / "config.json").read_text())
    data.update(changes)
    (folder / "config.json").write_text(json.dumps(data))


def test_typo_and_remote_code_are_refused(bert):
    with pytest.raises(ConfigError, match="devcie"):
        AutoModelForMaskedLM.from_pretrained(bert, devcie="cpu")
    config = AutoConfig.from_pretrained(bert)
    with pytest.raises(ConfigError, match="devcie"):
        AutoModelForMaskedLM.from_pretrained(bert, config=config, devcie="cpu")
    with pytest.raises(ConfigError, match="never runs code"):
        AutoModelForMaskedLM.from_pretrained(bert, trust_remote_code=True)
    model = AutoModelForMaskedLM.from_pretrained(bert, trust_remote_code=False)
    assert "trust_remote_code" not in model.config.to_dict()
    with pytest.raises(ConfigError, match="never runs code"):
        AutoTokenizer.from_pretrained(bert, trust_remote_code=True)
    AutoTokenizer.from_pretrained(bert, trust_remote_code=False).save_pretrained(bert)
    assert "trust_remote_code" not in (bert / "tokenizer_config.json").read_text()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"num_hidden_layers": 10**12}, "num_hidden_layers"),
        ({"vocab_size": 2**40}, "vocab_size"),
        ({"pad_token_id": 10**6}, "pad_token_id"),
        ({"layer_norm_eps": "1e-12"}, "layer_norm_eps"),
        ({"layer_norm_eps": float("nan")}, "layer_norm_eps"),
        ({"model_type": ["bert"]}, "model_type"),
        ({"__dict__": {}}, "__dict__"),
        ({"validate": 1}, "validate"),
        ({"num_labels": "many"}, "num_labels"),
    ],
)
def test_config_values_are_checked(bert, changes, field):
    _edit_config(bert, **changes)
    with pytest.raises(ConfigError, match=field):
        AutoModelForMaskedLM.from_pretrained(bert)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a": ' + "9" * 5000 + "}"])
def test_hostile_json_is_a_config_error(bert, text):
    (bert / "config.json").write_text(text)
    with pytest.raises(ConfigError, match="not valid JSON"):
        AutoConfig.from_pretrained(bert)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model_max_length", -5),
        ("model_input_names", [1, 2]),
        ("chat_template", [1]),
        ("added_tokens_decoder", {"x": {"content": "a"}}),
        ("mask_token", {"content": "[MASK]", "lstrip": "no"}),
    ],
)
def test_tokenizer_config_fields_are_checked(bert, field, value):
    config = json.loads((bert / "tokenizer_config.json").read_text())
    config[field] = value
    (bert / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(TokenizerError, match=field if field != "mask_token" else "lstrip"):
        AutoTokenizer.from_pretrained(bert)


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'a' * 10000000000 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "{{ 'a'|center(10000000000) }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}",
    ],
)
def test_chat_template_rendering_is_bounded(template):
    tokenizer = fixtures.loaded("gpt2", "tokenizer")
    with pytest.raises(TokenizerError, match="rendering limit"):
        tokenizer.apply_chat_template(
            [{"role": "user", "content": "hi"}], chat_template=template, tokenize=False
        )


@pytest.mark.parametrize(
    "options",
    [
        {"streamer": "junk"},
        {"logits_processor": "x"},
        {"stopping_criteria": [1]},
        {"seed": "x"},
        {"seed": -1},
        {"generator": 5},
    ],
)
def test_generate_call_arguments_are_checked(options):
    import torch

    model = fixtures.loaded("gpt2", "model")
    with pytest.raises(GenerationError):
        model.generate(torch.tensor([[5, 6, 7]]), max_new_tokens=2, **options)


@pytest.mark.parametrize("bad", [123, None, b"folder", ["a"], "", "a\x00b"])
@pytest.mark.parametrize("loader", [AutoConfig, AutoModelForMaskedLM, AutoTokenizer])
def test_non_string_paths_are_a_hub_error(loader, bad):
    from tfx_core.errors import HubError

    with pytest.raises(HubError, match="Expected a local folder or a Hub id"):
        loader.from_pretrained(bad)


def test_fill_mask_top_k_beyond_the_vocabulary_gives_every_token():
    from tfx_core import pipeline

    fill = pipeline("fill-mask", model=str(fixtures.built_folder("bert")))
    vocab = len(fixtures.bert_vocab())
    assert len(fill("the [MASK] runs", top_k=10**6)) == vocab


def test_load_report_warning_helper_names_the_problem(caplog):
    from tfx_core.weights import LoadReport

    report = LoadReport(missing=["cls.predictions.bias"])
    with caplog.at_level("WARNING", logger="tfx_core.weights"):
        assert report.warn_if_problems("ckpt", "BertForMaskedLM")
    assert "cls.predictions.bias" in caplog.text and "newly initialised" in caplog.text
    assert not LoadReport().warn_if_problems("ckpt", "BertForMaskedLM")
