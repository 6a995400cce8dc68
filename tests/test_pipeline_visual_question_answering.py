"""visual-question-answering with ViLT against the reference pipeline.

A tiny ViLT VQA checkpoint (random weights, a small WordPiece vocabulary, answers as labels) is
written by transformers with its image processor; both pipelines read the same images (of
several sizes) and questions and must give the same answers and scores.
"""

from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("torch")
pytest.importorskip("PIL.Image")
pytest.importorskip("tfx_plugin_vilt")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines import VisualQuestionAnsweringPipeline  # noqa: E402

QUESTIONS = ["how many cats are there?", "what color is the sofa?", "is it raining?"]
ANSWERS = ["yes", "no", "two", "red", "blue", "one", "zero"]


pytestmark = pytest.mark.usefixtures("one_thread")
IMAGE_SIZES = [(40, 60), (33, 25), (32, 32)]


@pytest.fixture(scope="module")
def vqa(perturbed_checkpoint):
    words = sorted({w for q in QUESTIONS for w in q.replace("?", " ?").split()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    config = transformers.ViltConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        image_size=32,
        patch_size=8,
        max_position_embeddings=20,
        id2label=dict(enumerate(ANSWERS)),
    )
    folder = Path(
        perturbed_checkpoint(
            "vilt-vqa",
            lambda: transformers.ViltForQuestionAnswering(config),
            transformers.ViltImageProcessor(size={"shortest_edge": 32}),
        )
    )
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (folder / "tokenizer_config.json").write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": true, "model_max_length": 20}'
    )
    return str(folder)


def _same(got, expected):
    assert isinstance(got, list) and len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, list):
            _same(a, b)
            continue
        assert a["answer"] == b["answer"] and abs(a["score"] - b["score"]) <= 1e-5


@pytest.mark.parametrize("options", [{}, {"top_k": 2}, {"top_k": 20}])
def test_answers_match_the_reference(vqa, options, images):
    ours = pipeline("visual-question-answering", model=vqa)
    theirs = transformers.pipeline("visual-question-answering", model=vqa, device="cpu")
    _same(ours(images[0], QUESTIONS[0], **options), theirs(images[0], QUESTIONS[0], **options))
    expected = theirs(images, QUESTIONS, **options)  # every question of every image
    _same(ours(images, QUESTIONS, **options), expected)
    _same(ours(images, QUESTIONS, batch_size=4, **options), expected)
    items = [{"image": image, "question": QUESTIONS[1]} for image in images]
    _same(ours(items, **options), theirs(items, **options))
    assert len({result[0]["answer"] for result in expected}) > 1  # the answers differ


def test_the_alias_and_inference_work(vqa):
    assert isinstance(pipeline("vqa", model=vqa), VisualQuestionAnsweringPipeline)
    assert isinstance(pipeline(model=vqa), VisualQuestionAnsweringPipeline)


def test_bad_inputs_are_refused(vqa, images):
    pipe = pipeline("visual-question-answering", model=vqa)
    with pytest.raises(PipelineError, match="needs an image and a question"):
        pipe()
    with pytest.raises(PipelineError, match="'image' must be"):
        pipe(question=QUESTIONS[0])
    with pytest.raises(PipelineError, match="'question'"):
        pipe([{"image": images[0]}])
    with pytest.raises(PipelineError, match="top_k"):
        pipe(images[0], QUESTIONS[0], top_k=0)
