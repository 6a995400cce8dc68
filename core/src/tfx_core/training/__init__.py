"""Training (PyTorch): `Trainer`, `TrainingArguments`, callbacks, collators, `Seq2SeqTrainer`.

Names are resolved lazily: `TrainingArguments` imports no framework; the rest import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Adafactor": "adafactor",
    "TrainingArguments": "arguments",
    "CallbackHandler": "callbacks",
    "EarlyStoppingCallback": "callbacks",
    "LogFileCallback": "callbacks",
    "ProgressCallback": "callbacks",
    "TrainerCallback": "callbacks",
    "DataCollatorForLanguageModeling": "collators",
    "DataCollatorForMultipleChoice": "collators_extra",
    "DataCollatorForPermutationLanguageModeling": "collators_extra",
    "DataCollatorForSeq2Seq": "collators",
    "DataCollatorForTokenClassification": "collators",
    "DataCollatorForWholeWordMask": "collators_extra",
    "DataCollatorWithPadding": "collators",
    "default_data_collator": "collators",
    "EvalPrediction": "evaluation",
    "PredictionOutput": "evaluation",
    "TrainOutput": "loop",
    "Seq2SeqTrainer": "seq2seq",
    "Seq2SeqTrainingArguments": "seq2seq",
    "TrainerControl": "state",
    "TrainerState": "state",
    "Trainer": "trainer",
    "set_seed": "trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tfx_core.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tfx_core.training.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from tfx_core.training.adafactor import Adafactor
    from tfx_core.training.arguments import TrainingArguments
    from tfx_core.training.callbacks import (
        CallbackHandler,
        EarlyStoppingCallback,
        LogFileCallback,
        ProgressCallback,
        TrainerCallback,
    )
    from tfx_core.training.collators import (
        DataCollatorForLanguageModeling,
        DataCollatorForSeq2Seq,
        DataCollatorForTokenClassification,
        DataCollatorWithPadding,
        default_data_collator,
    )
    from tfx_core.training.collators_extra import (
        DataCollatorForMultipleChoice,
        DataCollatorForPermutationLanguageModeling,
        DataCollatorForWholeWordMask,
    )
    from tfx_core.training.evaluation import EvalPrediction, PredictionOutput
    from tfx_core.training.loop import TrainOutput
    from tfx_core.training.seq2seq import Seq2SeqTrainer, Seq2SeqTrainingArguments
    from tfx_core.training.state import TrainerControl, TrainerState
    from tfx_core.training.trainer import Trainer, set_seed
