"""`PretrainedConfig` / `GenerationConfig` helpers with the reference's names and results."""

import json

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("tfx_plugin_bert")

from tfx_core import AutoConfig, GenerationConfig  # noqa: E402
from tfx_core.config import PretrainedConfig  # noqa: E402
from tfx_core.configuration_compat import COMMON_DEFAULTS, LEGACY_GENERATION_DEFAULTS  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402


@pytest.fixture
def bert_classes():
    from tfx_plugin_bert.configuration_bert import BertConfig

    return BertConfig, transformers.BertConfig


def test_defaults_are_the_reference_s():
    reference = transformers.PretrainedConfig()
    ours = PretrainedConfig()
    for name in (*LEGACY_GENERATION_DEFAULTS, *COMMON_DEFAULTS, "pruned_heads", "name_or_path"):
        if name == "transformers_version":
            continue
        assert getattr(ours, name) == getattr(reference, name), name
    assert "num_beams" not in ours.to_dict()  # defaults are not written to config.json


def test_legacy_keys_in_config_json_are_kept(tmp_path, bert_classes):
    ref_cls = bert_classes[1]
    ref_cls(num_beams=4, max_length=64, pruned_heads={1: [0]}, prefix="x").save_pretrained(tmp_path)
    config = AutoConfig.from_pretrained(tmp_path)
    assert (config.num_beams, config.max_length, config.prefix) == (4, 64, "x")
    assert config.pruned_heads == {1: [0]}
    config.save_pretrained(tmp_path / "again")
    saved = json.loads((tmp_path / "again" / "config.json").read_text())
    assert saved["num_beams"] == 4 and saved["pruned_heads"] == {"1": [0]}
    assert ref_cls.from_pretrained(tmp_path / "again").num_beams == 4


def test_diff_dict_and_json_files_as_reference(tmp_path, bert_classes):
    ours_cls, ref_cls = bert_classes
    ours, ref = ours_cls(hidden_size=48, num_labels=3), ref_cls(hidden_size=48, num_labels=3)
    ignore = {"transformers_version", "tfx_version"}
    ours_diff = {k: v for k, v in ours.to_diff_dict().items() if k not in ignore}
    ref_diff = {k: v for k, v in ref.to_diff_dict().items() if k not in ignore}
    assert json.loads(json.dumps(ours_diff)) == json.loads(json.dumps(ref_diff))
    assert json.loads(ours.to_json_string())["hidden_size"] == 48
    assert "num_attention_heads" in json.loads(ours.to_json_string(use_diff=False))
    ours.to_json_file(tmp_path / "ours.json")
    ref.to_json_file(tmp_path / "ref.json")
    for name in ("ours.json", "ref.json"):
        loaded = ours_cls.from_json_file(tmp_path / name)
        assert (loaded.hidden_size, loaded.num_labels) == (48, 3)
    ref.save_pretrained(tmp_path / "folder")
    data, unused = ours_cls.get_config_dict(tmp_path / "folder", foo=1)
    expected, ref_unused = ref_cls.get_config_dict(str(tmp_path / "folder"), foo=1)
    assert data["hidden_size"] == expected["hidden_size"] and unused == ref_unused == {"foo": 1}


def test_update_from_string_as_reference(bert_classes):
    ours_cls, ref_cls = bert_classes
    update = "hidden_size=48,hidden_dropout_prob=0.25,output_attentions=true,hidden_act=relu"
    ours, ref = ours_cls(), ref_cls()
    ours.update_from_string(update)
    ref.update_from_string(update)
    for name in ("hidden_size", "hidden_dropout_prob", "output_attentions", "hidden_act"):
        assert getattr(ours, name) == getattr(ref, name), name
    for bad in ("nonexistent=1", "output_attentions=maybe", "hidden_size=big", "nothing"):
        with pytest.raises(ConfigError):
            ours.update_from_string(bad)
    with pytest.raises(ValueError):  # ConfigError is a ValueError, like the reference's error
        ours.update_from_string("nonexistent=1")


def test_text_config_dtype_names_and_name_or_path(tmp_path, bert_classes):
    config = bert_classes[0]()
    assert config.get_text_config() is config
    d = {"dtype": __import__("torch").float16, "nested": {"dtype": __import__("torch").bfloat16}}
    config.dict_dtype_to_str(d)
    assert d == {"dtype": "float16", "nested": {"dtype": "bfloat16"}}
    config.name_or_path = tmp_path
    assert config.name_or_path == str(tmp_path) and "name_or_path" not in config.to_dict()


def test_generation_config_files(tmp_path):
    config = GenerationConfig(max_new_tokens=5, num_beams=2, compile_config={"fullgraph": True})
    config.to_json_file(tmp_path / "g.json")
    data = json.loads((tmp_path / "g.json").read_text())
    assert data["max_new_tokens"] == 5 and "compile_config" not in data
    reference = transformers.GenerationConfig(**data)
    assert (reference.max_new_tokens, reference.num_beams) == (5, 2)
    assert config.extra_output_flags == transformers.GenerationConfig.extra_output_flags
    assert config.compile_config == {"fullgraph": True}
