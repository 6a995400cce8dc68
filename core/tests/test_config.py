"""PretrainedConfig: HF config.json compatibility, round trips and field-naming errors."""

import json

import pytest

from tfx_core import AutoConfig
from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError, ModelTypeNotFoundError

HF_STYLE = {
    "_name_or_path": "some/model",
    "architectures": ["ToyForSequenceClassification"],
    "model_type": "tfx-toy",
    "vocab_size": 50,
    "d_model": 12,
    "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
    "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
    "torch_dtype": "float32",
    "transformers_version": "4.57.6",
    "custom_research_knob": {"nested": [1, 2, 3]},
}


def _write(folder, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(data))
    return folder


def test_hf_config_round_trip_keeps_everything(tmp_path):
    config = AutoConfig.from_pretrained(_write(tmp_path / "in", HF_STYLE))
    assert type(config).__name__ == "ToyConfig"
    assert config.hidden_size == 12 and config.d_model == 12  # attribute_map alias
    assert config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert config.label2id == {"NEGATIVE": 0, "POSITIVE": 1}
    assert config.num_labels == 2
    assert config.dtype == "float32"
    assert config.custom_research_knob == {"nested": [1, 2, 3]}
    config.save_pretrained(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "config.json").read_text())
    assert saved["id2label"] == {"0": "NEGATIVE", "1": "POSITIVE"}
    assert saved["custom_research_knob"] == {"nested": [1, 2, 3]}
    assert saved["transformers_version"] == "4.57.6"
    assert saved["architectures"] == ["ToyForSequenceClassification"]
    assert saved["dtype"] == "float32"
    assert AutoConfig.from_pretrained(tmp_path / "out") == config


def test_reference_library_reads_our_config(tmp_path):
    transformers = pytest.importorskip("transformers")
    config = PretrainedConfig(id2label={0: "a", 1: "b", 2: "c"}, problem_type="regression")
    config.save_pretrained(tmp_path)
    theirs = transformers.PretrainedConfig.from_pretrained(tmp_path)
    assert theirs.id2label == {0: "a", 1: "b", 2: "c"}
    assert theirs.num_labels == 3
    assert theirs.problem_type == "regression"


def test_overrides_and_unused_kwargs(tmp_path):
    folder = _write(tmp_path, HF_STYLE)
    config = AutoConfig.from_pretrained(folder, num_labels=3, hidden_size=16)
    assert config.num_labels == 3 and config.id2label[2] == "LABEL_2"
    assert config.hidden_size == 16
    config, unused = AutoConfig.from_pretrained(folder, return_unused_kwargs=True, dtype_x=1)
    assert unused == {"dtype_x": 1}
    with pytest.raises(ConfigError, match="dtype_x"):
        AutoConfig.from_pretrained(folder, dtype_x=1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vocab_size", -1, "'vocab_size'"),
        ("problem_type", "ranking", "'problem_type'"),
        ("id2label", {"zero": "a"}, "'id2label'"),
        ("dtype", "float8", "'dtype'"),
        ("pad_token_id", "0", "'pad_token_id'"),
        ("attn_implementation", "flash", "'attn_implementation'"),
    ],
)
def test_validation_errors_name_the_field(tmp_path, field, value, message):
    data = dict(HF_STYLE, **{field: value})
    with pytest.raises(ConfigError, match=message):
        AutoConfig.from_pretrained(_write(tmp_path, data))


def test_num_labels_and_id2label_must_agree():
    with pytest.raises(ConfigError, match="num_labels=3"):
        PretrainedConfig(num_labels=3, id2label={0: "a"})


def test_malformed_config_json(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "tfx-toy",, }')
    with pytest.raises(ConfigError, match=r"not valid JSON \(line 1"):
        AutoConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        AutoConfig.from_pretrained(tmp_path)


def test_missing_or_unknown_model_type(tmp_path):
    _write(tmp_path / "a", {"hidden_size": 3})
    with pytest.raises(ConfigError, match="no 'model_type'"):
        AutoConfig.from_pretrained(tmp_path / "a")
    _write(tmp_path / "b", {"model_type": "definitely-not-installed"})
    with pytest.raises(ModelTypeNotFoundError, match="tfx-plugin-definitely-not-installed"):
        AutoConfig.from_pretrained(tmp_path / "b")


def test_wrong_model_type_for_a_concrete_class(tmp_path):
    from tfx_test_toy.configuration import ToyConfig

    with pytest.raises(ConfigError, match="AutoConfig"):
        ToyConfig.from_dict({"model_type": "bert"})


def test_config_values_never_become_code(tmp_path):
    # auto_map is how the reference loads remote code; tfx keeps it as inert data.
    data = dict(HF_STYLE, auto_map={"AutoConfig": "os:system"})
    config = AutoConfig.from_pretrained(_write(tmp_path, data))
    assert type(config).__name__ == "ToyConfig"
    assert config.auto_map == {"AutoConfig": "os:system"}


def test_save_is_atomic_and_refuses_a_file_target(tmp_path):
    config = PretrainedConfig()
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        config.save_pretrained(target)
    config.save_pretrained(tmp_path / "dir")
    assert [p.name for p in (tmp_path / "dir").iterdir()] == ["config.json"]
