"""`TrainingArguments(torch_compile=True)`: the reference's argument rules; a compiled run
trains and evaluates like an uncompiled one and saves the same checkpoint (no `_orig_mod.`)."""

from __future__ import annotations

import pytest
import torch
from torch._dynamo.eval_frame import OptimizedModule
from torch._dynamo.exc import BackendCompilerFailed

from tfx_core.errors import ConfigError
from tfx_core.training import Trainer, TrainingArguments


def test_compile_arguments_follow_the_reference(tmp_path, monkeypatch):
    import transformers

    for kwargs in ({}, {"torch_compile": True}, {"torch_compile_mode": "reduce-overhead"}):
        for name in ("ACCELERATE_DYNAMO_BACKEND", "ACCELERATE_DYNAMO_MODE"):
            monkeypatch.setenv(name, "")  # the reference writes these; restored afterwards
        ours = TrainingArguments(tmp_path, **kwargs)
        reference = transformers.TrainingArguments(str(tmp_path), report_to="none", **kwargs)
        for name in ("torch_compile", "torch_compile_backend", "torch_compile_mode"):
            assert getattr(ours, name) == getattr(reference, name), (kwargs, name)
    assert TrainingArguments(tmp_path, torch_compile_backend="eager").torch_compile is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"torch_compile": "yes"}, "True or False"),
        ({"torch_compile_backend": 3}, "backend name"),
        ({"torch_compile_mode": ""}, "mode name"),
    ],
)
def test_bad_compile_arguments_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainingArguments(tmp_path, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"torch_compile_backend": "no-such-backend"}, "not a torch.compile backend"),
        ({"torch_compile_mode": "fastest-please"}, "torch_compile_mode='fastest-please'"),
    ],
)
def test_unknown_backend_or_mode_fails_when_the_trainer_is_built(tiny, tmp_path, kwargs, message):
    args = TrainingArguments(tmp_path, max_steps=1, **kwargs)
    with pytest.raises(ConfigError, match=message):
        Trainer(tiny.bert_model(), args)


def _run(tiny, folder, **compile_args):
    """Six steps on fixed-length rows (one compiled graph set), a checkpoint, an evaluation."""
    train = tiny.ListDataset(tiny.rows(24, min_len=8, max_len=8))
    dev = tiny.ListDataset(tiny.rows(8, seed=3, min_len=8, max_len=8))
    args = TrainingArguments(
        folder,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=4,
        max_steps=6,
        learning_rate=1e-3,
        logging_steps=1,
        save_steps=6,
        disable_tqdm=True,
        seed=7,
        **compile_args,
    )
    trainer = Trainer(
        tiny.bert_model(),
        args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=tiny.collator(),
    )
    try:
        trainer.train()
    except BackendCompilerFailed as error:  # e.g. no C++ toolchain here
        pytest.skip(f"torch.compile cannot compile on this machine: {error}")
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return trainer, losses, trainer.evaluate()["eval_loss"]


def test_compiled_training_matches_uncompiled(tiny, tmp_path):
    import transformers
    from safetensors.torch import load_file
    from torch._dynamo.utils import counters

    _, plain_losses, plain_eval = _run(tiny, tmp_path / "plain")
    counters.clear()
    compiled, losses, eval_loss = _run(
        tiny, tmp_path / "compiled", torch_compile_backend="aot_eager"
    )
    assert counters["stats"]["unique_graphs"] > 0  # dynamo did capture the model's forward
    # whole: no graph break (see test_compile_graph_breaks.py); three graphs, then no
    # recompile: the first step's, the second's (the first forward recorded the loss rule,
    # `config.problem_type`, on the config: the reference does the same), evaluation's
    assert not counters["graph_break"], dict(counters["graph_break"])
    assert counters["stats"]["unique_graphs"] == 3
    assert isinstance(compiled.model_wrapped, OptimizedModule)
    assert compiled.model_wrapped._orig_mod is compiled.model
    assert len(losses) == 6 and losses == pytest.approx(plain_losses, abs=1e-5)
    assert eval_loss == pytest.approx(plain_eval, abs=1e-5)

    ours = load_file(tmp_path / "compiled" / "checkpoint-6" / "model.safetensors")
    expected = load_file(tmp_path / "plain" / "checkpoint-6" / "model.safetensors")
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in expected.items()}
    assert not any("_orig_mod" in key for key in ours)
    for key, value in ours.items():
        torch.testing.assert_close(value, expected[key], atol=1e-5, rtol=0)

    reference, info = transformers.BertForSequenceClassification.from_pretrained(
        tmp_path / "compiled" / "checkpoint-6", output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]
    ids = torch.tensor([[7, 8, 9, 10, 11, 12]])
    compiled.model.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            reference.eval()(input_ids=ids).logits,
            compiled.model(input_ids=ids)["logits"],
            atol=1e-5,
            rtol=0,
        )
