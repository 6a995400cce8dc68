"""`tfx train` from CSV / JSON files: text and token classification with a tiny BERT and
tokenizer; the saved folder loads in `pipeline(...)` and in transformers."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from tfx_core.cli import main

pytest.importorskip("datasets")


@pytest.fixture
def checkpoint(tmp_path, tiny):
    from tfx_sdk.conformance import write_wordpiece

    folder = tmp_path / "base"
    vocab = write_wordpiece(folder)
    tiny.bert_model("cls", vocab_size=vocab).save_pretrained(folder)
    return folder


def _common(checkpoint, out, train, dev):
    return ["--model", str(checkpoint), "--train-file", str(train), "--validation-file", str(dev),
            "--output-dir", str(out), "--epochs", "2", "--batch-size", "4",
            "--learning-rate", "1e-3", "--quiet"]  # fmt: skip


def test_tfx_train_text_classification(tmp_path, checkpoint, capsys):
    import transformers

    from tfx_core import pipeline

    rows = [("the food was great", "good"), ("the room was dirty", "bad")] * 6
    for name in ("train.csv", "dev.csv"):
        with open(tmp_path / name, "w", newline="") as handle:
            csv.writer(handle).writerows([("text", "label"), *rows])
    out = tmp_path / "out"
    assert (
        main(
            [
                "train",
                "text-classification",
                *_common(checkpoint, out, tmp_path / "train.csv", tmp_path / "dev.csv"),
            ]
        )
        == 0
    )
    assert '"eval_accuracy"' in capsys.readouterr().out
    results = json.loads((out / "eval_results.json").read_text())
    assert 0.0 <= results["eval_accuracy"] <= 1.0
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "bad", "1": "good"}
    result = pipeline("text-classification", model=str(out))("the food was great")
    assert result[0]["label"] in ("good", "bad")
    transformers.AutoModelForSequenceClassification.from_pretrained(out)


def test_tfx_train_token_classification(tmp_path, checkpoint):
    rows = [{"tokens": ["the", "food", "was", "great"], "ner_tags": ["O", "B-X", "O", "O"]}] * 8
    for name in ("train.jsonl", "dev.jsonl"):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    assert (
        main(
            [
                "train",
                "token-classification",
                *_common(checkpoint, out, tmp_path / "train.jsonl", tmp_path / "dev.jsonl"),
            ]
        )
        == 0
    )
    results = json.loads((out / "eval_results.json").read_text())
    assert results["eval_accuracy"] >= 0.0
    assert json.loads((out / "config.json").read_text())["label2id"] == {"B-X": 0, "O": 1}


def test_tfx_train_bad_files_are_clear(tmp_path, checkpoint, capsys):
    (tmp_path / "train.csv").write_text("words,label\na,1\n")
    out = tmp_path / "out"
    code = main(
        [
            "train",
            "text-classification",
            "--model",
            str(checkpoint),
            "--train-file",
            str(tmp_path / "train.csv"),
            "--output-dir",
            str(out),
        ]
    )
    assert code == 2
    assert "No text column found" in capsys.readouterr().err
    assert (
        main(
            [
                "train",
                "text-classification",
                "--model",
                str(checkpoint),
                "--train-file",
                str(tmp_path / "missing.csv"),
                "--output-dir",
                str(out),
            ]
        )
        == 2
    )


def test_training_arguments_import_no_framework():
    code = (
        "import sys; from tfx_core import TrainingArguments; TrainingArguments('x'); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_recipe_seed_fixes_the_new_head(tmp_path, checkpoint):
    """`--seed` is set before the model is built: the new classifier head (and so the whole
    run) is the same whatever the process's random state was."""
    import torch
    from safetensors.torch import load_file

    rows = [("the food was great", "good"), ("the room was dirty", "bad")] * 4
    with open(tmp_path / "train.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([("text", "label"), *rows])
    weights = []
    for run, state in enumerate((1, 2)):
        torch.manual_seed(state)  # what the process happened to draw before
        out = tmp_path / f"out{run}"
        args = ["train", "text-classification", "--model", str(checkpoint), "--train-file",
                str(tmp_path / "train.csv"), "--output-dir", str(out), "--max-steps", "1",
                "--batch-size", "4", "--seed", "7", "--quiet"]  # fmt: skip
        assert main(args) == 0
        weights.append(load_file(out / "model.safetensors"))
    assert weights[0].keys() == weights[1].keys()
    for name, tensor in weights[0].items():
        assert torch.equal(tensor, weights[1][name]), name
