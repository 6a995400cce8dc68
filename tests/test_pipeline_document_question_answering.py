"""document-question-answering with LayoutLM against the reference pipeline.

A tiny LayoutLM question-answering checkpoint (random weights, a small WordPiece vocabulary) is
written by transformers; both pipelines read the same words and boxes (no OCR), in several
overlapping windows when `max_seq_len` is small, and must give the same answers and scores.
"""

import sys
import types

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("tfx_plugin_layoutlm")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines import DocumentQuestionAnsweringPipeline  # noqa: E402

WORDS = [
    "invoice",
    "number",
    "us-001",
    "date",
    "11/02/2019",
    "bill",
    "to",
    "john",
    "smith",
    "2",
    "court",
    "square",
    "new",
    "york",
    "total",
    "due",
    "154.06",
    "payment",
    "terms",
    "due",
    "within",
    "15",
    "days",
    "thank",
    "you",
    "for",
    "your",
    "business",
]
QUESTIONS = ["What is the invoice number?", "What is the total due?", "Who is billed?"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _word_boxes():
    rng = np.random.default_rng(0)
    boxes = []
    for i, word in enumerate(WORDS):
        x0, y0 = int(rng.integers(0, 900)), 30 * (i // 4)
        boxes.append((word, [x0, y0, x0 + 10 * len(word), y0 + 20]))
    return boxes


@pytest.fixture(scope="module")
def layoutlm_qa(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layoutlm-qa")
    pieces = {p for w in " ".join(WORDS + QUESTIONS).lower().split() for p in _pieces(w)}
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(pieces)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (folder / "tokenizer_config.json").write_text(
        '{"tokenizer_class": "LayoutLMTokenizer", "do_lower_case": true, "model_max_length": 64}'
    )
    torch.manual_seed(0)
    config = transformers.LayoutLMConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        max_2d_position_embeddings=1024,
        initializer_range=0.3,
    )
    transformers.LayoutLMForQuestionAnswering(config).save_pretrained(folder)
    return str(folder)


def _pieces(word):
    """Each character and punctuation mark, as a word start and as a '##' continuation."""
    out = set()
    for char in word:
        out |= {char, f"##{char}"}
    out |= {w for w in word.replace("?", " ").replace("/", " ").replace(".", " ").split()}
    return out


@pytest.fixture(scope="module")
def pipes(layoutlm_qa):
    theirs = transformers.pipeline("document-question-answering", model=layoutlm_qa, device="cpu")
    return pipeline("document-question-answering", model=layoutlm_qa), theirs


def _same(got, expected):
    assert isinstance(got, list) and len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, list):
            _same(a, b)
            continue
        assert set(a) == set(b)
        assert (a["answer"], a["start"], a["end"]) == (b["answer"], b["start"], b["end"])
        assert abs(a["score"] - b["score"]) <= 1e-5


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"top_k": 3},
        {"max_seq_len": 24, "doc_stride": 6, "top_k": 2},
        {"max_seq_len": 20, "handle_impossible_answer": True, "max_answer_len": 3},
    ],
)
def test_answers_match_the_reference(pipes, options):
    ours, theirs = pipes
    boxes = _word_boxes()
    for question in QUESTIONS:
        expected = theirs(image=None, question=question, word_boxes=boxes, **options)
        _same(ours(None, question, word_boxes=boxes, **options), expected)
    items = [{"question": q, "word_boxes": boxes} for q in QUESTIONS]
    expected = theirs(items, **options)
    _same(ours(items, **options), expected)
    _same(ours(items, batch_size=2, **options), expected)


def test_windows_are_real(pipes):
    """The small-window case above splits the document: the check covers several windows."""
    ours, _ = pipes
    (windows,) = ours.preprocess_batch(
        [{"question": QUESTIONS[0], "word_boxes": _word_boxes()}], max_seq_len=24, doc_stride=6
    )
    assert len(windows) > 2
    assert all(len(window["bbox"]) == len(window["input_ids"]) for window in windows)


def test_an_image_without_words_needs_ocr(pipes, tmp_path, monkeypatch):
    ours, _ = pipes
    image = PIL.new("RGB", (200, 100), "white")
    monkeypatch.setitem(sys.modules, "pytesseract", None)
    with pytest.raises(PipelineError, match="word_boxes"):
        ours(image, QUESTIONS[0])
    fake = types.SimpleNamespace(
        image_to_data=lambda picture, lang, output_type, config: {
            "text": ["total", " ", "154.06"],
            "left": [10, 0, 100],
            "top": [20, 0, 20],
            "width": [50, 0, 60],
            "height": [10, 0, 10],
        }
    )
    monkeypatch.setitem(sys.modules, "pytesseract", fake)
    boxes = [("total", [50, 200, 300, 300]), ("154.06", [500, 200, 800, 300])]
    assert ours(image, QUESTIONS[1], top_k=2) == ours(None, QUESTIONS[1], word_boxes=boxes, top_k=2)


def test_bad_inputs_are_refused(pipes, layoutlm_qa):
    ours, _ = pipes
    with pytest.raises(PipelineError, match="word_boxes must be"):
        ours(None, QUESTIONS[0], word_boxes=[("total", [1, 2, 3])])
    with pytest.raises(PipelineError, match="words and boxes"):
        ours({"question": QUESTIONS[0]})
    with pytest.raises(PipelineError, match="non-empty"):
        ours(None, " ", word_boxes=_word_boxes())
    with pytest.raises(PipelineError, match="top_k"):
        ours(None, QUESTIONS[0], word_boxes=_word_boxes(), top_k=0)
    bert = transformers.BertForQuestionAnswering(
        transformers.BertConfig(
            vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2
        )
    )
    with pytest.raises(PipelineError, match="layout-aware"):
        DocumentQuestionAnsweringPipeline(bert, ours.tokenizer)
