"""`TrainerState` (saved as `trainer_state.json`) and `TrainerControl` (what callbacks ask for)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfx_core.errors import ConfigError

STATE_NAME = "trainer_state.json"


@dataclass
class TrainerState:
    """Where training stands; the fields and file name of the reference's `TrainerState`.

    `steps_in_epoch` (micro-batches of the current epoch already consumed) is tfx's addition: it
    lets a resumed run skip exactly the batches it has seen.
    """

    epoch: float = 0.0
    global_step: int = 0
    max_steps: int = 0
    logging_steps: float = 500
    eval_steps: float | None = 500
    save_steps: float = 500
    train_batch_size: int = 8
    num_train_epochs: int = 0
    num_input_tokens_seen: int = 0
    total_flos: float = 0.0
    log_history: list[dict[str, Any]] = field(default_factory=list)
    best_metric: float | None = None
    best_global_step: int | None = None
    best_model_checkpoint: str | None = None
    is_local_process_zero: bool = True
    is_world_process_zero: bool = True
    steps_in_epoch: int = 0
    stateful_callbacks: dict[str, Any] = field(default_factory=dict)

    def save_to_json(self, path: str | Path) -> None:
        text = json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"
        Path(path).write_text(text, encoding="utf-8")

    @classmethod
    def load_from_json(cls, path: str | Path) -> TrainerState:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(f"Cannot read the trainer state {path}: {error}") from error
        known = {item.name for item in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass
class TrainerControl:
    """Flags callbacks set to steer the loop; reset by the loop once acted upon."""

    should_training_stop: bool = False
    should_epoch_stop: bool = False
    should_save: bool = False
    should_evaluate: bool = False
    should_log: bool = False
