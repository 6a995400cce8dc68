"""Tiny models and datasets for the Trainer tests, and a script the subprocess tests run.

    python tiny.py OUTPUT_DIR [--max-steps N] [--kill-at STEP] [--resume] [--head cls|lm] ...

runs a short training (also under `torchrun`) and writes the per-step losses to
`OUTPUT_DIR/losses.jsonl` and the final weights to `OUTPUT_DIR/final/`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

import torch
import torch.utils.data

VOCAB = 60


def bert_config(**overrides):
    from tfx_plugin_bert.configuration_bert import BertConfig

    values = dict(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        num_labels=3,
        pad_token_id=0,
    )
    values.update(overrides)
    return BertConfig(**values)


def bert_model(head: str = "cls", seed: int = 0, **overrides):
    import tfx_plugin_bert.modeling_bert as bert

    torch.manual_seed(seed)
    classes = {
        "cls": bert.BertForSequenceClassification,
        "tok": bert.BertForTokenClassification,
        "mlm": bert.BertForMaskedLM,
        "lm": bert.BertLMHeadModel,
    }
    if head == "lm":
        overrides.setdefault("is_decoder", True)
    return classes[head].from_config(bert_config(**overrides))


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]


def rows(n: int, head: str = "cls", seed: int = 1, min_len: int = 3, max_len: int = 12):
    """Random examples of varied length: `input_ids` (no padding) and labels for `head`."""
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        length = int(torch.randint(min_len, max_len + 1, (1,), generator=generator))
        ids = torch.randint(5, VOCAB, (length,), generator=generator).tolist()
        row = {"input_ids": ids, "attention_mask": [1] * length}
        if head == "cls":
            row["labels"] = int(ids[0] % 3)
        elif head == "tok":
            tags = [int(t % 3) for t in ids]
            tags[0] = -100
            row["labels"] = tags
        elif head == "lm":
            row["labels"] = list(ids)
        out.append(row)
    return out


class _Pad:
    """Pads input_ids / attention_mask with 0 and token labels with -100."""

    pad_token_id = 0
    padding_side = "right"


def collator():
    from tfx_core.training import DataCollatorForTokenClassification

    return DataCollatorForTokenClassification(_Pad())


def _loss_recorder(path: Path, kill_at: int | None):
    from tfx_core.training import TrainerCallback

    class Recorder(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs and "loss" in logs:
                with open(path, "a") as handle:
                    handle.write(
                        json.dumps({"step": state.global_step, "loss": logs["loss"]}) + "\n"
                    )

        def on_step_end(self, args, state, control, **kwargs):
            if kill_at is not None and state.global_step == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    return Recorder()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("output_dir")
    parser.add_argument("--head", default="cls")
    parser.add_argument("--examples", type=int, default=32)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--accumulation", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=8)
    parser.add_argument("--save-steps", type=int, default=4)
    parser.add_argument("--kill-at", type=int)
    parser.add_argument("--kill-in-save", type=int, help="SIGKILL while writing checkpoint-N")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--evaluate", action="store_true", help="predict on 7 examples too")
    options = parser.parse_args(argv)

    from tfx_core.training import Trainer, TrainingArguments

    output = Path(options.output_dir)
    if options.kill_in_save is not None:
        _kill_while_saving(options.kill_in_save)
    model = bert_model(
        options.head,
        hidden_dropout_prob=options.dropout,
        attention_probs_dropout_prob=options.dropout,
    )
    args = TrainingArguments(
        output,
        per_device_train_batch_size=options.batch,
        gradient_accumulation_steps=options.accumulation,
        max_steps=options.max_steps,
        learning_rate=1e-3,
        weight_decay=0.01,
        warmup_steps=2,
        logging_steps=1,
        save_steps=options.save_steps,
        disable_tqdm=True,
        seed=7,
    )
    trainer = Trainer(
        model,
        args,
        train_dataset=ListDataset(rows(options.examples, options.head)),
        data_collator=collator(),
        callbacks=[_loss_recorder(output / "losses.jsonl", options.kill_at)],
    )
    trainer.train(resume_from_checkpoint=True if options.resume else None)
    trainer.save_model(output / "final")
    if options.evaluate:
        _write_predictions(trainer, output / "predictions.json", options.head)
    return 0


def _write_predictions(trainer, path: Path, head: str) -> None:
    """Predict 7 examples (uneven over ranks); record the gathered labels' first columns."""
    examples = rows(7, head, seed=5)
    output = trainer.predict(ListDataset(examples))
    if trainer.state.is_world_process_zero:
        label_rows = [[int(v) for v in row if v != -100] for row in output.label_ids]
        expected = [[int(v) for v in row["labels"] if v != -100] for row in examples]
        report = {
            "label_rows": label_rows,
            "expected_rows": expected,
            "predictions_shape": list(output.predictions.shape),
        }
        path.write_text(json.dumps(report))


def _kill_while_saving(step: int) -> None:
    """Make the save of checkpoint-`step` die (SIGKILL) after its first file is written."""
    original = torch.save

    def save(obj, target, *args, **kwargs):
        original(obj, target, *args, **kwargs)
        if f"checkpoint-{step}" in str(target):
            os.kill(os.getpid(), signal.SIGKILL)

    torch.save = save


if __name__ == "__main__":
    sys.exit(main())
