"""Auto classes resolve config, head and framework through the registry."""

import pytest

torch = pytest.importorskip("torch")

from tfx_core import (  # noqa: E402
    AutoConfig,
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
)
from tfx_core.auto import resolve_model_class  # noqa: E402
from tfx_core.errors import HeadNotSupportedError, ModelTypeNotFoundError  # noqa: E402


@pytest.fixture
def toy_checkpoint(tmp_path):
    config = AutoConfig.for_model("tfx-toy", vocab_size=20, hidden_size=6, num_labels=3)
    model = AutoModelForSequenceClassification.from_config(config)
    model.save_pretrained(tmp_path)
    return tmp_path, model


def test_head_model_round_trip_through_auto(toy_checkpoint):
    folder, model = toy_checkpoint
    loaded = AutoModelForSequenceClassification.from_pretrained(folder)
    assert type(loaded).__name__ == "ToyForSequenceClassification"
    assert loaded.load_report.is_clean
    ids = torch.tensor([[1, 2, 3]])
    torch.testing.assert_close(loaded(ids).logits, model(ids).logits, rtol=0, atol=0)


def test_base_model_from_head_checkpoint_strips_the_prefix(toy_checkpoint):
    folder, _ = toy_checkpoint
    base = AutoModel.from_pretrained(folder)
    assert type(base).__name__ == "ToyModel"
    assert base.load_report.missing == []
    assert sorted(base.load_report.unexpected) == ["classifier.bias", "classifier.weight"]


def test_head_from_base_checkpoint_reports_only_head_keys_missing(tmp_path):
    config = AutoConfig.for_model("tfx-toy", vocab_size=20, hidden_size=6)
    AutoModel.from_config(config).save_pretrained(tmp_path)
    head = AutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=4)
    assert sorted(head.load_report.missing) == ["classifier.bias", "classifier.weight"]
    assert head.classifier.out_features == 4


def test_architectures_pick_the_checkpoints_own_head(toy_checkpoint):
    folder, _ = toy_checkpoint
    config = AutoConfig.from_pretrained(folder)
    assert config.architectures == ["ToyForSequenceClassification"]
    assert resolve_model_class(config).__name__ == "ToyForSequenceClassification"


def test_missing_head_and_missing_plugin_errors(toy_checkpoint, tmp_path):
    folder, _ = toy_checkpoint
    with pytest.raises(HeadNotSupportedError, match="no 'masked-lm' head"):
        AutoModelForMaskedLM.from_pretrained(folder)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "config.json").write_text('{"model_type": "llama-9"}')
    with pytest.raises(ModelTypeNotFoundError, match="pip install tfx-plugin-llama-9"):
        AutoModel.from_pretrained(tmp_path / "x")


def test_auto_classes_are_not_instantiated():
    with pytest.raises(TypeError, match="from_pretrained"):
        AutoModel()
