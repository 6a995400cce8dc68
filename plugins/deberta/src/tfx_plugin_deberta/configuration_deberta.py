"""`DebertaConfig`: the reference's `config.json` fields for DeBERTa (v1).

The fields are the family's (`tfx_core.disentangled_config`): the encoder sizes, relative
attention (`relative_attention`, `max_relative_positions`, `pos_att_type`), whether absolute
positions are added to the input (`position_biased_input`), talking heads (`talking_head`,
optional), the pooler, and `legacy` (which masked-LM head layout).
"""

from __future__ import annotations

from typing import ClassVar

from tfx_core.disentangled_config import DisentangledConfig


class DebertaConfig(DisentangledConfig):
    """Configuration of a DeBERTa model (defaults: the reference's, deberta-base)."""

    model_type: ClassVar[str] = "deberta"
