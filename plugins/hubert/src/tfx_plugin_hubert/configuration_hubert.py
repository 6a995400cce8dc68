"""`HubertConfig`: the reference's `config.json` fields for HuBERT, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.speech_config import SPEECH_DEFAULTS, SpeechEncoderConfig

#: Every field and its default (`facebook/hubert-base-ls960`), in the reference's spelling.
DEFAULTS: dict[str, Any] = {
    **SPEECH_DEFAULTS,
    "feat_proj_layer_norm": True,
    "conv_pos_batch_norm": False,
}


class HubertConfig(SpeechEncoderConfig):
    """Configuration of a HuBERT model (defaults: `facebook/hubert-base-ls960`)."""

    model_type: ClassVar[str] = "hubert"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS
    unsupported: ClassVar[tuple[str, ...]] = ("conv_pos_batch_norm",)
