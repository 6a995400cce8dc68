"""Evaluation and training options against the reference `transformers.Trainer` on the same
tiny model: `include_for_metrics`, `batch_eval_metrics`, `eval_accumulation_steps`,
`prediction_loss_only`, `eval_on_start` and NEFTune (`neftune_noise_alpha`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.training import EvalPrediction, Trainer, TrainingArguments
from tfx_core.training import prediction as prediction_module
from tfx_core.training.neftune import add_noise, neftune, noise_bound

pytest.importorskip("accelerate")
transformers = pytest.importorskip("transformers")

COMMON = dict(
    per_device_train_batch_size=4,
    per_device_eval_batch_size=3,
    learning_rate=1e-3,
    save_strategy="no",
    logging_steps=1,
    seed=7,
    disable_tqdm=True,
)
REFERENCE_CLASSES = {
    "cls": "BertForSequenceClassification",
    "tok": "BertForTokenClassification",
}


def _pair(tiny, tmp_path, head="tok"):
    """Our tiny model and the reference's copy of the same weights."""
    ours = tiny.bert_model(head)
    ours.save_pretrained(tmp_path / "init")
    reference = getattr(transformers, REFERENCE_CLASSES[head]).from_pretrained(tmp_path / "init")
    return ours, reference


def _trainers(tiny, tmp_path, head="tok", compute_metrics=None, **options):
    ours, reference = _pair(tiny, tmp_path, head)
    settings = {**COMMON, **options}
    theirs = transformers.Trainer(
        reference,
        transformers.TrainingArguments(
            str(tmp_path / "ref"), report_to="none", use_cpu=True, **settings
        ),
        data_collator=tiny.collator(),
        compute_metrics=compute_metrics,
    )
    mine = Trainer(
        ours,
        TrainingArguments(tmp_path / "ours", **settings),
        data_collator=tiny.collator(),
        compute_metrics=compute_metrics,
    )
    return mine, theirs


def _recorder(seen):
    def compute_metrics(prediction):
        seen.append(prediction)
        mask = prediction.label_ids != -100
        hits = prediction.predictions.argmax(-1) == prediction.label_ids
        return {"accuracy": float(hits[mask].mean()), "tokens": np.int64(mask.sum())}

    return compute_metrics


def _dev(tiny, head="tok", n=7):
    return tiny.ListDataset(tiny.rows(n, head, seed=5, min_len=2, max_len=12))


def _same_metrics(ours, theirs, tolerance=1e-6):
    keys = {k for k in theirs if not k.endswith(("runtime", "per_second", "preparation_time"))}
    assert keys <= set(ours)
    for key in keys:
        assert ours[key] == pytest.approx(theirs[key], abs=tolerance), key


def test_include_for_metrics_matches_reference(tiny, tmp_path):
    ours_seen, theirs_seen = [], []
    mine, theirs = _trainers(
        tiny, tmp_path, compute_metrics=None, include_for_metrics=["inputs", "loss"]
    )
    mine.compute_metrics, theirs.compute_metrics = _recorder(ours_seen), _recorder(theirs_seen)
    dev = _dev(tiny)
    ours_metrics, theirs_metrics = mine.evaluate(dev), theirs.evaluate(dev)
    _same_metrics(ours_metrics, theirs_metrics)
    assert isinstance(ours_metrics["eval_tokens"], int)  # numpy scalars made Python numbers
    ours_pred, theirs_pred = ours_seen[0], theirs_seen[0]
    assert len(list(ours_pred)) == len(list(theirs_pred)) == 4
    np.testing.assert_allclose(ours_pred.predictions, theirs_pred.predictions, atol=1e-6)
    np.testing.assert_array_equal(ours_pred.label_ids, theirs_pred.label_ids)
    np.testing.assert_array_equal(ours_pred.inputs, theirs_pred.inputs)  # padded with -100
    assert ours_pred.inputs.shape == (7, 12) and (ours_pred.inputs == -100).any()
    np.testing.assert_allclose(ours_pred.losses, theirs_pred.losses, atol=1e-6)
    assert ours_pred.losses.shape == (7,)


def test_include_inputs_for_metrics_is_deprecated_alias(tiny, tmp_path):
    with pytest.warns(FutureWarning, match="include_for_metrics"):
        args = TrainingArguments(tmp_path, include_inputs_for_metrics=True)
    reference = transformers.TrainingArguments(
        str(tmp_path), include_inputs_for_metrics=True, report_to="none"
    )
    assert args.include_for_metrics == reference.include_for_metrics == ["inputs"]
    seen = []
    trainer = Trainer(
        tiny.bert_model("tok"), args, data_collator=tiny.collator(), compute_metrics=_recorder(seen)
    )
    trainer.evaluate(_dev(tiny))
    predictions, labels, inputs = seen[0]  # unpacks as the reference's, with inputs
    assert inputs.shape[0] == labels.shape[0] == predictions.shape[0] == 7
    assert seen[0].losses is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"include_for_metrics": ["logits"]}, "not among"),
        ({"include_for_metrics": "inputs"}, "must be a list"),
        ({"neftune_noise_alpha": -1.0}, ">= 0"),
        ({"eval_accumulation_steps": 0}, "positive integer"),
    ],
)
def test_bad_options_are_refused(tmp_path, options, message):
    with pytest.raises(ConfigError, match=message):
        TrainingArguments(tmp_path, **options)


def _batched_accuracy():
    """Accuracy summed batch by batch (tensors), returned when `compute_result` is True."""
    calls, totals = [], {"hits": 0, "count": 0}

    def compute_metrics(prediction, compute_result):
        assert isinstance(prediction.predictions, torch.Tensor)
        calls.append((compute_result, prediction.losses is not None))
        mask = prediction.label_ids != -100
        hits = prediction.predictions.argmax(-1) == prediction.label_ids
        totals["hits"] += int(hits[mask].sum())
        totals["count"] += int(mask.sum())
        if not compute_result:
            return None
        result = {"accuracy": totals["hits"] / totals["count"]}
        totals.update(hits=0, count=0)
        return result

    return compute_metrics, calls


def test_batch_eval_metrics_matches_reference_and_unbatched(tiny, tmp_path):
    ours_metric, ours_calls = _batched_accuracy()
    theirs_metric, theirs_calls = _batched_accuracy()
    mine, theirs = _trainers(tiny, tmp_path, batch_eval_metrics=True, include_for_metrics=["loss"])
    mine.compute_metrics, theirs.compute_metrics = ours_metric, theirs_metric
    dev = _dev(tiny)
    ours_metrics, theirs_metrics = mine.evaluate(dev), theirs.evaluate(dev)
    _same_metrics(ours_metrics, theirs_metrics)
    assert ours_calls == theirs_calls == [(False, True), (False, True), (True, True)]

    unbatched = Trainer(
        mine.model,
        TrainingArguments(tmp_path / "plain", **COMMON),
        data_collator=tiny.collator(),
        compute_metrics=_recorder([]),
    ).evaluate(dev)
    assert ours_metrics["eval_accuracy"] == pytest.approx(unbatched["eval_accuracy"], abs=1e-12)
    assert ours_metrics["eval_loss"] == pytest.approx(unbatched["eval_loss"], abs=1e-12)

    output = mine.predict(dev)  # prediction keeps its arrays in batched mode too
    assert output.predictions.shape[0] == 7
    assert output.metrics["test_accuracy"] == pytest.approx(unbatched["eval_accuracy"])


def test_batch_eval_metrics_needs_compute_result(tiny, tmp_path):
    with pytest.raises(ConfigError, match="compute_result"):
        Trainer(
            tiny.bert_model("tok"),
            TrainingArguments(tmp_path, batch_eval_metrics=True),
            compute_metrics=_recorder([]),
        )


def test_eval_accumulation_steps_same_results_moved_every_n(tiny, tmp_path, monkeypatch):
    pending_sizes = []
    original = prediction_module.BatchAccumulator.to_numpy

    def to_numpy(self):
        pending_sizes.append(len(self.pending))
        original(self)

    monkeypatch.setattr(prediction_module.BatchAccumulator, "to_numpy", to_numpy)
    dev = _dev(tiny, n=10)  # 4 batches of 3, 3, 3, 1
    outputs = {}
    model = tiny.bert_model("tok")
    for steps in (None, 1, 3):
        pending_sizes.clear()
        trainer = Trainer(
            model,
            TrainingArguments(tmp_path, eval_accumulation_steps=steps, **COMMON),
            data_collator=tiny.collator(),
        )
        outputs[steps] = trainer.predict(dev)
        # the predictions' accumulator: moved after every `steps` batches, the rest at the end
        expected = {None: [4], 1: [1, 1, 1, 1, 0], 3: [3, 1]}[steps]
        assert pending_sizes[0::4] == expected
    for steps in (1, 3):
        np.testing.assert_array_equal(outputs[steps].predictions, outputs[None].predictions)
        np.testing.assert_array_equal(outputs[steps].label_ids, outputs[None].label_ids)
        assert outputs[steps].metrics["test_loss"] == outputs[None].metrics["test_loss"]

    _, theirs = _trainers(tiny, tmp_path / "ref", eval_accumulation_steps=3)
    reference = theirs.predict(dev)
    np.testing.assert_allclose(outputs[3].predictions, reference.predictions, atol=1e-6)
    np.testing.assert_array_equal(outputs[3].label_ids, reference.label_ids)
    _same_metrics(outputs[3].metrics, reference.metrics)


def test_prediction_loss_only_matches_reference(tiny, tmp_path):
    mine, theirs = _trainers(
        tiny, tmp_path, compute_metrics=_recorder([]), prediction_loss_only=True
    )
    dev = _dev(tiny)
    ours, reference = mine.predict(dev), theirs.predict(dev)
    assert ours.predictions is None and reference.predictions is None
    assert ours.label_ids is None and reference.label_ids is None
    _same_metrics(ours.metrics, reference.metrics)
    assert "test_accuracy" not in ours.metrics and "test_loss" in ours.metrics
    _same_metrics(mine.evaluate(dev), theirs.evaluate(dev))


class _ReferenceDraw:
    """Makes the one draw of torch's global RNG (an int64) that the reference's DataLoader
    makes when each epoch's iterator is created; tfx's loader has a private generator."""

    def on_epoch_begin(self, args, state, control, **kwargs):
        torch.empty((), dtype=torch.int64).random_()


def _train_both(tiny, tmp_path, head="cls", steps=4, callbacks=(), **options):
    """Train ours and the reference (same weights, data, seed): our log history, the
    reference's, and the reference's unrounded per-step losses."""
    from tfx_core.training import TrainerCallback

    data = tiny.ListDataset(tiny.rows(24, head))  # 6 steps per epoch
    ours, reference = _pair(tiny, tmp_path, head)
    settings = {**COMMON, "max_steps": steps, **options}
    recorded: list[float] = []

    class Recording(transformers.Trainer):
        def training_step(self, *args, **kwargs):
            loss = super().training_step(*args, **kwargs)
            recorded.append(loss.item())
            return loss

    theirs = Recording(
        reference,
        transformers.TrainingArguments(
            str(tmp_path / "ref"), report_to="none", use_cpu=True, **settings
        ),
        train_dataset=data,
        eval_dataset=_dev(tiny, head),
        data_collator=tiny.collator(),
    )
    theirs.train()
    mine = Trainer(
        ours,
        TrainingArguments(tmp_path / "ours", **settings),
        train_dataset=data,
        eval_dataset=_dev(tiny, head),
        data_collator=tiny.collator(),
        callbacks=[type(c.__name__, (c, TrainerCallback), {})() for c in callbacks],
    )
    mine.train()
    return mine, mine.state.log_history, theirs.state.log_history, recorded


def test_eval_on_start_evaluates_before_the_first_step(tiny, tmp_path):
    _, ours, theirs, theirs_losses = _train_both(tiny, tmp_path, eval_on_start=True)
    ours_evals = [e for e in ours if "eval_loss" in e]
    theirs_evals = [e for e in theirs if "eval_loss" in e]
    assert len(ours_evals) == len(theirs_evals) == 1  # eval_strategy="no": only the start
    assert ours[0] is ours_evals[0] and ours[0]["step"] == theirs[0]["step"] == 0
    assert ours_evals[0]["eval_loss"] == pytest.approx(theirs_evals[0]["eval_loss"], abs=1e-6)
    ours_losses = [e["loss"] for e in ours if "loss" in e]
    assert ours_losses == pytest.approx(theirs_losses, abs=1e-6)


def test_neftune_training_matches_reference(tiny, tmp_path):
    """8 steps (two epochs) with noise: the per-step losses equal the reference's when our run
    makes the reference loader's extra RNG draw per epoch; without it they differ."""
    mine, ours, _, theirs_losses = _train_both(
        tiny, tmp_path, steps=8, callbacks=[_ReferenceDraw], neftune_noise_alpha=5.0
    )
    ours_losses = [e["loss"] for e in ours if "loss" in e]
    assert len(ours_losses) == len(theirs_losses) == 8
    assert max(abs(a - b) for a, b in zip(ours_losses, theirs_losses)) <= 1e-6
    embeddings = mine.model.get_input_embeddings()
    assert not embeddings._forward_hooks and not hasattr(embeddings, "neftune_noise_alpha")
    _, plain, _, plain_reference = _train_both(tiny, tmp_path / "plain", steps=1)
    assert abs(plain[0]["loss"] - plain_reference[0]) <= 1e-6
    assert abs(ours_losses[0] - plain[0]["loss"]) > 1e-4  # the noise changed the first loss
    _, offset, _, offset_reference = _train_both(
        tiny, tmp_path / "offset", steps=1, neftune_noise_alpha=5.0
    )
    assert abs(offset[0]["loss"] - offset_reference[0]) > 1e-4  # other draws: other noise


def test_neftune_hook_draws_as_reference_and_only_in_training(tiny):
    from transformers.trainer_utils import neftune_post_forward_hook

    model = tiny.bert_model("cls")
    embeddings = model.get_input_embeddings()
    ids = torch.randint(5, 60, (2, 9))
    clean = embeddings(ids)
    embeddings.neftune_noise_alpha = 5.0
    embeddings.train()
    torch.manual_seed(3)
    ours = add_noise(embeddings, (ids,), clean)
    torch.manual_seed(3)
    theirs = neftune_post_forward_hook(embeddings, (ids,), clean)
    assert torch.equal(ours, theirs)
    bound = noise_bound(5.0, 9, 32)
    assert bound == pytest.approx(5.0 / (9 * 32) ** 0.5, rel=1e-6)
    noise = ours - clean
    assert noise.abs().max() <= bound * (1 + 1e-6) and noise.abs().max() > bound / 2
    del embeddings.neftune_noise_alpha

    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    model.eval()
    with torch.no_grad():
        before = model(**batch).logits
        with neftune(model, 5.0):
            assert torch.equal(model(**batch).logits, before)  # eval: no noise
            model.train()
            assert not torch.equal(model(**batch).logits, before)
            model.eval()
        assert not embeddings._forward_hooks


def test_eval_prediction_unpacks_as_reference():
    ours = EvalPrediction(np.zeros(2), np.ones(2), losses=np.full(2, 3.0))
    theirs = transformers.EvalPrediction(np.zeros(2), np.ones(2), losses=np.full(2, 3.0))
    assert len(list(ours)) == len(list(theirs)) == 3
    predictions, labels = EvalPrediction(np.zeros(2), np.ones(2))
    assert predictions.tolist() == [0.0, 0.0]
    assert labels.tolist() == [1.0, 1.0] and ours[2].tolist() == theirs[2].tolist()
    with pytest.raises(IndexError):
        ours[3]
