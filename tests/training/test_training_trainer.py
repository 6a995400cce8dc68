"""Trainer: evaluate / predict / metrics, callbacks and early stopping, datasets input, column
filtering, logs, save_model loadable by transformers, collators, Seq2SeqTrainer."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.training import (
    DataCollatorForLanguageModeling,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    Seq2SeqTrainer,
    Seq2SeqTrainingArguments,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)


def _accuracy(prediction):
    return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}


def _args(tmp_path, **kwargs):
    values = dict(
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        disable_tqdm=True,
        save_strategy="no",
        logging_steps=1,
    )
    values.update(kwargs)
    return TrainingArguments(tmp_path, **values)


def test_train_evaluate_predict(tiny, tmp_path):
    train, dev = tiny.ListDataset(tiny.rows(32)), tiny.ListDataset(tiny.rows(10, seed=3))
    trainer = Trainer(
        tiny.bert_model(),
        _args(tmp_path, num_train_epochs=2, eval_strategy="epoch"),
        train_dataset=train,
        eval_dataset=dev,
        data_collator=tiny.collator(),
        compute_metrics=_accuracy,
    )
    output = trainer.train()
    assert output.global_step == 16 and trainer.state.epoch == pytest.approx(2.0)
    evals = [e for e in trainer.state.log_history if "eval_loss" in e]
    assert [e["epoch"] for e in evals] == [1.0, 2.0]
    metrics = trainer.evaluate()
    assert 0.0 <= metrics["eval_accuracy"] <= 1.0 and metrics["eval_loss"] > 0
    prediction = trainer.predict(dev)
    assert prediction.predictions.shape == (10, 3)
    assert prediction.label_ids.tolist() == [row["labels"] for row in dev.rows]
    assert prediction.metrics["test_loss"] == pytest.approx(metrics["eval_loss"], abs=1e-6)
    records = [
        json.loads(line) for line in (tmp_path / "logs" / "log.jsonl").read_text().splitlines()
    ]
    assert records[0]["step"] == 1 and "loss" in records[0]
    assert (tmp_path / "logs" / "log.txt").read_text().count("loss=") >= 16


def test_eval_loss_of_token_predictions_is_padded_with_ignore_index(tiny, tmp_path):
    trainer = Trainer(
        tiny.bert_model("tok"),
        _args(tmp_path, per_device_eval_batch_size=3),
        data_collator=tiny.collator(),
    )
    data = tiny.ListDataset(tiny.rows(7, "tok", min_len=2, max_len=12))
    output = trainer.predict(data)
    assert output.predictions.shape[:2] == output.label_ids.shape
    for row, labels in zip(data.rows, output.label_ids):
        assert labels[: len(row["labels"])].tolist() == row["labels"]
        assert (labels[len(row["labels"]) :] == -100).all()


def test_callbacks_and_early_stopping(tiny, tmp_path):
    events = []

    class Spy(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            events.append("train_begin")

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            events.append("evaluate")

        def on_save(self, args, state, control, **kwargs):
            events.append("save")

    args = _args(
        tmp_path,
        max_steps=100,
        eval_strategy="steps",
        eval_steps=2,
        save_strategy="steps",
        save_steps=2,
        learning_rate=0.0,
        metric_for_best_model="eval_loss",
        load_best_model_at_end=True,
    )
    trainer = Trainer(
        tiny.bert_model(),
        args,
        train_dataset=tiny.ListDataset(tiny.rows(16)),
        eval_dataset=tiny.ListDataset(tiny.rows(6, seed=4)),
        data_collator=tiny.collator(),
        callbacks=[Spy, EarlyStoppingCallback(2)],
    )
    trainer.train()
    # the loss never improves (learning rate 0): stopped after 1 + 2 evaluations
    assert trainer.state.global_step == 6
    assert events[:3] == ["train_begin", "evaluate", "save"] and events.count("evaluate") == 3
    assert trainer.state.best_model_checkpoint.endswith("checkpoint-2")


def test_early_stopping_needs_a_metric(tiny, tmp_path):
    trainer = Trainer(
        tiny.bert_model(),
        _args(tmp_path, max_steps=1),
        train_dataset=tiny.ListDataset(tiny.rows(8)),
        data_collator=tiny.collator(),
        callbacks=[EarlyStoppingCallback()],
    )
    with pytest.raises(ConfigError, match="metric_for_best_model"):
        trainer.train()


def test_datasets_input_and_dropped_columns_are_named(tiny, tmp_path, caplog):
    datasets = pytest.importorskip("datasets")
    rows = tiny.rows(12)
    table = datasets.Dataset.from_list([dict(r, text="t", label=r.pop("labels")) for r in rows])
    trainer = Trainer(
        tiny.bert_model(),
        _args(tmp_path, max_steps=2),
        train_dataset=table,
        data_collator=tiny.collator(),
    )
    with caplog.at_level(logging.WARNING, logger="tfx_core.training"):
        trainer.train()
    assert "dropping columns text" in caplog.text
    assert trainer.state.global_step == 2


def test_everything_dropped_is_an_error(tiny, tmp_path):
    data = tiny.ListDataset([{"text": "a b", "label": 1}] * 4)
    trainer = Trainer(
        tiny.bert_model(),
        _args(tmp_path, max_steps=1),
        train_dataset=data,
        data_collator=tiny.collator(),
    )
    with pytest.raises(ConfigError, match="Tokenize the dataset first"):
        trainer.train()


def test_missing_loss_and_missing_eval_dataset_are_clear(tiny, tmp_path):
    data = tiny.ListDataset([{k: v for k, v in r.items() if k != "labels"} for r in tiny.rows(8)])
    trainer = Trainer(
        tiny.bert_model(),
        _args(tmp_path, max_steps=1),
        train_dataset=data,
        data_collator=tiny.collator(),
    )
    with pytest.raises(ConfigError, match="returned no loss"):
        trainer.train()
    trainer = Trainer(
        tiny.bert_model(),
        _args(tmp_path, max_steps=1, eval_strategy="steps"),
        train_dataset=data,
        data_collator=tiny.collator(),
    )
    with pytest.raises(ConfigError, match="needs an eval_dataset"):
        trainer.train()


def test_save_model_loads_in_transformers(tiny, tmp_path):
    import transformers

    model = tiny.bert_model()
    trainer = Trainer(
        model,
        _args(tmp_path, max_steps=2),
        train_dataset=tiny.ListDataset(tiny.rows(8)),
        data_collator=tiny.collator(),
    )
    trainer.train()
    folder = trainer.save_model(tmp_path / "saved")
    reference = transformers.BertForSequenceClassification.from_pretrained(folder).eval()
    ids = torch.tensor([[5, 9, 14, 20]])
    with torch.no_grad():
        expected = model.eval()(input_ids=ids).logits
        assert (reference(input_ids=ids).logits - expected).abs().max() <= 1e-5


def test_padding_and_mlm_collators():
    class Tok:
        pad_token_id, mask_token_id, padding_side = 0, 4, "right"
        all_special_ids = [0, 1, 2, 3, 4]

        def __len__(self):
            return 50

    batch = DataCollatorWithPadding(Tok(), pad_to_multiple_of=4)(
        [
            {"input_ids": [5, 6], "attention_mask": [1, 1], "label": 1},
            {"input_ids": [7, 8, 9], "attention_mask": [1, 1, 1], "label": 0},
        ]
    )
    assert batch["input_ids"].tolist() == [[5, 6, 0, 0], [7, 8, 9, 0]]
    assert batch["labels"].tolist() == [1, 0]
    torch.manual_seed(0)
    rows = [{"input_ids": [1, *range(5, 45), 2]} for _ in range(4)]
    mlm = DataCollatorForLanguageModeling(Tok(), mlm_probability=0.3)(rows)
    chosen = mlm["labels"] != -100
    assert 0.15 < chosen.float().mean() < 0.45
    assert not chosen[:, 0].any() and not chosen[:, -1].any()  # special tokens never chosen
    assert (
        mlm["input_ids"][~chosen] == torch.tensor(rows[0]["input_ids"]).expand(4, -1)[~chosen]
    ).all()
    assert (mlm["input_ids"][chosen] == 4).float().mean() > 0.5
    causal = DataCollatorForLanguageModeling(Tok(), mlm=False)(
        [{"input_ids": [5, 6]}, {"input_ids": [7]}]
    )
    assert causal["labels"].tolist() == [[5, 6], [7, -100]]


def test_seq2seq_trainer_predicts_with_generate_on_a_decoder_only_model(tmp_path):
    """No encoder-decoder plugin exists yet: checked against GPT-2 through generate()."""
    from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config
    from tfx_plugin_gpt2.modeling_gpt2 import GPT2LMHeadModel

    torch.manual_seed(0)
    model = GPT2LMHeadModel.from_config(
        GPT2Config(
            vocab_size=40,
            n_embd=16,
            n_layer=2,
            n_head=2,
            n_positions=32,
            pad_token_id=0,
            eos_token_id=39,
        )
    )
    prompts = [{"input_ids": [5, 6, 7, 8], "attention_mask": [1] * 4}] * 2 + [
        {"input_ids": [9, 10, 11, 12], "attention_mask": [1] * 4}
    ]
    args = Seq2SeqTrainingArguments(
        tmp_path, predict_with_generate=True, disable_tqdm=True, per_device_eval_batch_size=2
    )
    trainer = Seq2SeqTrainer(model, args)
    output = trainer.predict(prompts, max_new_tokens=3, do_sample=False)
    assert output.predictions.shape == (3, 3)
    expected = model.generate(torch.tensor([[9, 10, 11, 12]]), max_new_tokens=3, do_sample=False)
    assert output.predictions[2].tolist() == expected[0, 4:].tolist()
    assert np.array_equal(output.predictions[0], output.predictions[1])


def test_push_to_hub_saves_then_uploads(tiny, tmp_path, monkeypatch):
    calls = []

    def fake_push(folder, repo_id, **kwargs):
        calls.append((sorted(p.name for p in folder.iterdir()), repo_id, kwargs))
        return "https://hub/commit/1"

    monkeypatch.setattr("tfx_core.hub.push_to_hub", fake_push)
    args = _args(tmp_path / "my-model", max_steps=1, push_to_hub=True)
    trainer = Trainer(tiny.bert_model(), args, train_dataset=tiny.ListDataset(tiny.rows(4)),
                      data_collator=tiny.collator())  # fmt: skip
    assert trainer.push_to_hub() == "https://hub/commit/1"
    files, repo_id, kwargs = calls[0]
    assert {"config.json", "model.safetensors", "training_args.json"} <= set(files)
    assert repo_id == "my-model" and kwargs["commit_message"] == "End of training"


def test_gathered_predictions_return_to_dataset_order():
    from tfx_core.training.evaluation import _combine

    # 5 examples over 3 ranks: rank r held examples r, r + 3; token rows of different lengths
    parts = [np.array([[0, 0], [3, 3]]), np.array([[1, 1, 1], [4, 4, 4]]), np.array([[2]])]
    out = _combine(parts, -100)
    assert out[:, 0].tolist() == [0, 1, 2, 3, 4] and out[2].tolist() == [2, -100, -100]
    # 2 examples over 3 ranks: the third rank saw none
    pairs = _combine([(np.array([0]), np.array([10])), (np.array([1]), np.array([11])), None], -100)
    assert pairs[0].tolist() == [0, 1] and pairs[1].tolist() == [10, 11]
