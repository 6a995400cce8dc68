"""Framework-neutral weights I/O: safetensors reading and writing, sharding, atomic saves,
rename rules and load reports. Torch is imported only when torch tensors are involved."""

from tfx_core.weights.atomic import atomic_directory
from tfx_core.weights.files import (
    PICKLE_INDEX,
    PICKLE_WEIGHTS,
    SAFE_INDEX,
    SAFE_WEIGHTS,
    parse_size,
)
from tfx_core.weights.reader import CheckpointReader, check_safetensors_header, open_checkpoint
from tfx_core.weights.rename import RenameRules, align_prefix
from tfx_core.weights.report import LoadReport
from tfx_core.weights.writer import save_state_dict

__all__ = [
    "PICKLE_INDEX",
    "PICKLE_WEIGHTS",
    "SAFE_INDEX",
    "SAFE_WEIGHTS",
    "CheckpointReader",
    "LoadReport",
    "RenameRules",
    "align_prefix",
    "atomic_directory",
    "check_safetensors_header",
    "open_checkpoint",
    "parse_size",
    "save_state_dict",
]
