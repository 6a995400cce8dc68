"""Framework-neutral weights I/O: safetensors reading and writing (sharded, memory-mapped),
atomic folder saves, reversible rename rules, prefix alignment and load reports.

numpy is the neutral array type; torch is imported only when torch tensors are asked for.
"""

from tfx_core.weights.atomic import atomic_directory
from tfx_core.weights.files import (
    PICKLE_INDEX,
    PICKLE_WEIGHTS,
    SAFE_INDEX,
    SAFE_WEIGHTS,
    is_weight_file,
    parse_size,
)
from tfx_core.weights.header import SafetensorsHeader, read_header
from tfx_core.weights.prefix import align_prefix
from tfx_core.weights.reader import CheckpointReader, open_checkpoint
from tfx_core.weights.rename import RenameRules
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
    "SafetensorsHeader",
    "align_prefix",
    "atomic_directory",
    "is_weight_file",
    "open_checkpoint",
    "parse_size",
    "read_header",
    "save_state_dict",
]
