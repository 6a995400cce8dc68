"""TrainingArguments: reference names and defaults; unknown or contradictory values refused."""

from __future__ import annotations

import pytest

from tfx_core.errors import ConfigError
from tfx_core.training import Seq2SeqTrainingArguments, TrainingArguments


def test_reference_defaults(tmp_path):
    args = TrainingArguments(tmp_path)
    assert args.output_dir == str(tmp_path)
    assert (args.learning_rate, args.per_device_train_batch_size, args.num_train_epochs) == (
        5e-5,
        8,
        3.0,
    )
    assert (args.lr_scheduler_type, args.max_grad_norm, args.seed) == ("linear", 1.0, 42)
    assert (args.save_strategy, args.save_steps, args.eval_strategy) == ("steps", 500, "no")
    assert args.report_to == [] and args.remove_unused_columns is True


def test_matches_the_reference_for_common_arguments(tmp_path):
    import transformers

    ours = TrainingArguments(tmp_path)
    reference = transformers.TrainingArguments(str(tmp_path), report_to="none")
    for name in (
        "learning_rate",
        "weight_decay",
        "adam_beta1",
        "adam_beta2",
        "adam_epsilon",
        "max_grad_norm",
        "num_train_epochs",
        "max_steps",
        "warmup_ratio",
        "warmup_steps",
        "logging_steps",
        "save_steps",
        "seed",
        "per_device_train_batch_size",
        "per_device_eval_batch_size",
        "gradient_accumulation_steps",
        "optim",
    ):
        assert getattr(ours, name) == getattr(reference, name), name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rat": 1e-4}, "Did you mean 'learning_rate'"),
        ({"evaluation_strategy": "steps"}, "now called 'eval_strategy'"),
        ({"deepspeed": "ds.json"}, "not supported"),
        ({"fp16": True, "bf16": True}, "choose one"),
        ({"eval_strategy": "sometimes"}, "not one of"),
        ({"lr_scheduler_type": "exp"}, "not one of"),
        ({"gradient_accumulation_steps": 0}, "positive integer"),
        ({"warmup_ratio": 1.5}, r"\[0, 1\]"),
        ({"load_best_model_at_end": True}, "needs evaluations"),
        (
            {"load_best_model_at_end": True, "eval_strategy": "epoch"},
            "save_strategy == eval_strategy",
        ),
        (
            {
                "load_best_model_at_end": True,
                "eval_strategy": "steps",
                "eval_steps": 3,
                "save_steps": 5,
            },
            "multiple of eval_steps",
        ),
        ({"report_to": "wandb"}, "no tracker integrations"),
        ({"max_steps": -1, "num_train_epochs": 0}, "Nothing to train"),
        ({"save_total_limit": 0}, "save_total_limit"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainingArguments(tmp_path, **kwargs)


def test_best_model_defaults(tmp_path):
    args = TrainingArguments(
        tmp_path, load_best_model_at_end=True, eval_strategy="steps", eval_steps=5, save_steps=10
    )
    assert args.metric_for_best_model == "loss" and args.greater_is_better is False
    args = TrainingArguments(tmp_path, metric_for_best_model="accuracy")
    assert args.greater_is_better is True


def test_seq2seq_arguments(tmp_path):
    args = Seq2SeqTrainingArguments(tmp_path, predict_with_generate=True, generation_max_length=9)
    assert args.predict_with_generate and args.generation_max_length == 9
    with pytest.raises(ConfigError, match="unknown argument"):
        Seq2SeqTrainingArguments(tmp_path, predict_with_generat=True)


def test_warmup_and_json(tmp_path):
    args = TrainingArguments(tmp_path, warmup_ratio=0.1, hub_token="secret")
    assert args.get_warmup_steps(95) == 10
    assert "secret" not in args.to_json_string()
