"""Fine-tuning recipes from CSV / JSON files (the reference's `run_glue`, `run_ner` and
`run_summarization` examples): `tfx train TASK ...` and `examples/train_*.py` call these.

Each recipe loads the files with `datasets`, tokenizes, fine-tunes with the `Trainer`, evaluates
on the validation file and saves a checkpoint that `pipeline(...)` and `transformers` load.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from tfx_core.errors import ConfigError

TASKS = ("text-classification", "token-classification", "summarization")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The recipe options (shared by `tfx train` and the example scripts)."""
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--model", required=True, help="checkpoint folder or Hub id")
    parser.add_argument("--train-file", required=True, help=".csv, .tsv, .json or .jsonl")
    parser.add_argument("--validation-file", help="held-out file, same format")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--text-column", help="default: text / sentence / tokens / document")
    parser.add_argument("--text-pair-column", help="second text for pair classification")
    parser.add_argument("--label-column", help="default: label / ner_tags / summary")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--max-target-length", type=int, default=64)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--gradient-accumulation-steps", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--warmup-ratio", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--save-strategy", default="no", choices=("no", "steps", "epoch"))
    parser.add_argument("--logging-steps", type=float, default=10)
    parser.add_argument("--resume", action="store_true", help="resume from the last checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def load_files(train_file: str, validation_file: str | None) -> Any:
    """A `datasets.DatasetDict` with `train` (and `validation`) from local files."""
    try:
        import datasets
    except ImportError as error:
        raise ConfigError("Training from files needs `datasets`: pip install datasets") from error
    files = {"train": train_file}
    if validation_file:
        files["validation"] = validation_file
    suffixes = {Path(f).suffix.lower() for f in files.values()}
    if len(suffixes) != 1 or not suffixes <= {".csv", ".tsv", ".json", ".jsonl"}:
        raise ConfigError(
            f"Data files must all be .csv, .tsv, .json or .jsonl (got {sorted(suffixes)})."
        )
    for path in files.values():
        if not Path(path).is_file():
            raise ConfigError(f"Data file {path} does not exist.")
    suffix = suffixes.pop()
    builder = "csv" if suffix in (".csv", ".tsv") else "json"
    options = {"delimiter": "\t"} if suffix == ".tsv" else {}
    return datasets.load_dataset(builder, data_files=files, **options)


def _column(table: Any, given: str | None, candidates: tuple[str, ...], role: str) -> str:
    names = table.column_names
    if given:
        if given not in names:
            raise ConfigError(f"--{role}-column {given!r} is not a column; columns: {names}.")
        return given
    for name in candidates:
        if name in names:
            return name
    raise ConfigError(
        f"No {role} column found (looked for {', '.join(candidates)}); columns: {names}. "
        f"Name it with --{role}-column."
    )


def _training_arguments(options: argparse.Namespace, cls: Any = None, **extra: Any) -> Any:
    from tfx_core.training import TrainingArguments

    has_validation = bool(options.validation_file)
    return (cls or TrainingArguments)(
        options.output_dir,
        num_train_epochs=options.epochs,
        max_steps=options.max_steps,
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=options.batch_size,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        learning_rate=options.learning_rate,
        weight_decay=options.weight_decay,
        warmup_ratio=options.warmup_ratio,
        seed=options.seed,
        save_strategy=options.save_strategy,
        eval_strategy="epoch" if has_validation else "no",
        logging_steps=options.logging_steps,
        disable_tqdm=options.quiet,
        **extra,
    )


def _finish(trainer: Any, options: argparse.Namespace) -> dict[str, float]:
    trainer.train(resume_from_checkpoint=True if options.resume else None)
    metrics: dict[str, float] = {}
    if trainer.eval_dataset is not None:
        metrics = trainer.evaluate()
        trainer.save_metrics("eval", metrics)
    trainer.save_model(options.output_dir)
    return metrics


def _label_maps(values: list[Any]) -> tuple[list[Any], dict[Any, int]]:
    labels = sorted(set(values), key=lambda v: (isinstance(v, str), v))
    return labels, {label: i for i, label in enumerate(labels)}


def text_classification(options: argparse.Namespace) -> dict[str, float]:
    """Fine-tune a sequence classifier on a text (or text pair) and label column."""
    from tfx_core import AutoModelForSequenceClassification, AutoTokenizer
    from tfx_core.training import Trainer, set_seed

    raw = load_files(options.train_file, options.validation_file)
    train = raw["train"]
    text = _column(
        train, options.text_column, ("text", "sentence", "sentence1", "question"), "text"
    )
    pair = options.text_pair_column or ("sentence2" if "sentence2" in train.column_names else None)
    label = _column(train, options.label_column, ("label", "labels"), "label")
    labels, label2id = _label_maps(list(train[label]))
    set_seed(options.seed)  # new heads are initialised from it, as the reference does
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    model = AutoModelForSequenceClassification.from_pretrained(
        options.model,
        num_labels=len(labels),
        id2label={i: str(v) for i, v in enumerate(labels)},
        label2id={str(v): i for i, v in enumerate(labels)},
    )

    def encode(batch: dict[str, list]) -> dict[str, list]:
        second = batch[pair] if pair else None
        out = dict(tokenizer(batch[text], second, truncation=True, max_length=options.max_length))
        unknown = [v for v in batch[label] if v not in label2id]
        if unknown:
            raise ConfigError(f"Labels {sorted(set(map(str, unknown)))} do not occur in training.")
        out["labels"] = [label2id[v] for v in batch[label]]
        return out

    encoded = raw.map(encode, batched=True, remove_columns=train.column_names)

    def accuracy(prediction: Any) -> dict[str, float]:
        predicted = np.asarray(prediction.predictions).argmax(-1)
        return {"accuracy": float((predicted == prediction.label_ids).mean())}

    trainer = Trainer(
        model,
        _training_arguments(options),
        train_dataset=encoded["train"],
        eval_dataset=encoded.get("validation"),
        processing_class=tokenizer,
        compute_metrics=accuracy,
    )
    return _finish(trainer, options)


def token_classification(options: argparse.Namespace) -> dict[str, float]:
    """Fine-tune a token classifier on pre-split words (`tokens`) and per-word tags."""
    from tfx_core import AutoModelForTokenClassification, AutoTokenizer
    from tfx_core.training import DataCollatorForTokenClassification, Trainer, set_seed

    raw = load_files(options.train_file, options.validation_file)
    train = raw["train"]
    words = _column(train, options.text_column, ("tokens", "words"), "text")
    tags = _column(train, options.label_column, ("ner_tags", "tags", "labels"), "label")
    labels, label2id = _label_maps([t for row in train[tags] for t in row])
    set_seed(options.seed)  # new heads are initialised from it, as the reference does
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    model = AutoModelForTokenClassification.from_pretrained(
        options.model,
        num_labels=len(labels),
        id2label={i: str(v) for i, v in enumerate(labels)},
        label2id={str(v): i for i, v in enumerate(labels)},
    )

    def encode(batch: dict[str, list]) -> dict[str, list]:
        encoding = tokenizer(
            batch[words], is_split_into_words=True, truncation=True, max_length=options.max_length
        )
        out = dict(encoding)
        out["labels"] = []
        for i, row_tags in enumerate(batch[tags]):
            previous, row = None, []
            for word in encoding.word_ids(i):  # the first piece of each word is labelled
                row.append(-100 if word is None or word == previous else label2id[row_tags[word]])
                previous = word
            out["labels"].append(row)
        return out

    encoded = raw.map(encode, batched=True, remove_columns=train.column_names)

    def accuracy(prediction: Any) -> dict[str, float]:
        predicted = np.asarray(prediction.predictions).argmax(-1)
        mask = prediction.label_ids != -100
        return {"accuracy": float((predicted[mask] == prediction.label_ids[mask]).mean())}

    trainer = Trainer(
        model,
        _training_arguments(options),
        train_dataset=encoded["train"],
        eval_dataset=encoded.get("validation"),
        processing_class=tokenizer,
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=accuracy,
    )
    return _finish(trainer, options)


def summarization(options: argparse.Namespace) -> dict[str, float]:
    """Fine-tune a seq2seq model on document / summary pairs; evaluates with `generate()`."""
    from tfx_core import AutoModelForSeq2SeqLM, AutoTokenizer
    from tfx_core.training import (
        DataCollatorForSeq2Seq,
        Seq2SeqTrainer,
        Seq2SeqTrainingArguments,
        set_seed,
    )

    raw = load_files(options.train_file, options.validation_file)
    train = raw["train"]
    text = _column(train, options.text_column, ("document", "text", "article"), "text")
    target = _column(train, options.label_column, ("summary", "target", "highlights"), "label")
    set_seed(options.seed)  # new heads are initialised from it, as the reference does
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    model = AutoModelForSeq2SeqLM.from_pretrained(options.model)

    def encode(batch: dict[str, list]) -> dict[str, list]:
        out = dict(tokenizer(batch[text], truncation=True, max_length=options.max_length))
        targets = tokenizer(text_target=batch[target], truncation=True,
                            max_length=options.max_target_length)  # fmt: skip
        out["labels"] = targets["input_ids"]
        return out

    encoded = raw.map(encode, batched=True, remove_columns=train.column_names)

    def token_f1(prediction: Any) -> dict[str, float]:
        pad = tokenizer.pad_token_id
        predicted = np.where(prediction.predictions != -100, prediction.predictions, pad)
        reference = np.where(prediction.label_ids != -100, prediction.label_ids, pad)
        scores = []
        for p, r in zip(tokenizer.batch_decode(predicted, skip_special_tokens=True),
                        tokenizer.batch_decode(reference, skip_special_tokens=True)):  # fmt: skip
            p_words, r_words = p.lower().split(), r.lower().split()
            common = sum(min(p_words.count(w), r_words.count(w)) for w in set(p_words))
            scores.append(0.0 if not common else 2 * common / (len(p_words) + len(r_words)))
        return {"unigram_f1": float(np.mean(scores)) if scores else 0.0}

    args = _training_arguments(
        options,
        Seq2SeqTrainingArguments,
        predict_with_generate=True,
        generation_max_length=options.max_target_length,
    )
    trainer = Seq2SeqTrainer(
        model,
        args,
        train_dataset=encoded["train"],
        eval_dataset=encoded.get("validation"),
        processing_class=tokenizer,
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=model),
        compute_metrics=token_f1,
    )
    return _finish(trainer, options)


RECIPES = {
    "text-classification": text_classification,
    "token-classification": token_classification,
    "summarization": summarization,
}


def run(options: argparse.Namespace) -> int:
    metrics = RECIPES[options.task](options)
    from tfx_core.training import distributed

    if distributed.is_main_process():
        print(json.dumps({"output_dir": options.output_dir, **metrics}, indent=2))
    return 0
