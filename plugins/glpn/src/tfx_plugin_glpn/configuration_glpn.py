"""`GLPNConfig`: the reference's `config.json` fields for GLPN, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.stage_config import StageConfig


class GLPNConfig(StageConfig):
    """Configuration of a GLPN model (defaults: the MiT-b0 encoder, a 64-channel decoder).

    The encoder fields are SegFormer's (one value per stage); `max_depth` scales the sigmoid
    output, `head_in_index` picks the decoder stage the head reads.
    """

    model_type: ClassVar[str] = "glpn"

    def __init__(
        self,
        decoder_hidden_size: int = 64,
        max_depth: float = 10,
        head_in_index: int = -1,
        **kwargs: Any,
    ) -> None:
        self.max_depth = max_depth
        self.head_in_index = head_in_index
        super().__init__(decoder_hidden_size=decoder_hidden_size, **kwargs)
