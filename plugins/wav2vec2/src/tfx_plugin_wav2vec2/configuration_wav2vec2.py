"""`Wav2Vec2Config`: the reference's `config.json` fields for Wav2Vec2, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.speech_config import SPEECH_DEFAULTS, SpeechEncoderConfig

#: Every field and its default (`facebook/wav2vec2-base`), in the reference's spelling.
DEFAULTS: dict[str, Any] = {
    **SPEECH_DEFAULTS,
    "feat_quantizer_dropout": 0.0,
    "num_codevectors_per_group": 320,
    "num_codevector_groups": 2,
    "contrastive_logits_temperature": 0.1,
    "num_negatives": 100,
    "codevector_dim": 256,
    "proj_codevector_dim": 256,
    "diversity_loss_weight": 0.1,
    "tdnn_dim": [512, 512, 512, 512, 1500],
    "tdnn_kernel": [5, 3, 3, 1, 1],
    "tdnn_dilation": [1, 2, 3, 1, 1],
    "xvector_output_dim": 512,
    "add_adapter": False,
}


class Wav2Vec2Config(SpeechEncoderConfig):
    """Configuration of a Wav2Vec2 model (defaults: `facebook/wav2vec2-base`)."""

    model_type: ClassVar[str] = "wav2vec2"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS
    unsupported: ClassVar[tuple[str, ...]] = ("add_adapter",)
