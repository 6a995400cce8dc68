"""`EncoderDecoderConfig`: an encoder's and a decoder's configs in one `config.json`.

The reference's layout (`model_type: "encoder-decoder"`, the two sub-configs under `encoder`
and `decoder`, each with its own `model_type`), so checkpoints of `EncoderDecoderModel`
(BERT2BERT, BERT2GPT-2, ...) load in either library. The sub-configs are read through
`AutoConfig`, i.e. the installed plugins; no framework is imported here.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class EncoderDecoderConfig(PretrainedConfig):
    """Configuration of an `EncoderDecoderModel`: `encoder` and `decoder` sub-configs."""

    model_type: ClassVar[str] = "encoder-decoder"

    def __init__(self, encoder: Any = None, decoder: Any = None, **kwargs: Any) -> None:
        if encoder is None or decoder is None:
            raise ConfigError(
                "EncoderDecoderConfig needs both an 'encoder' and a 'decoder' sub-config; build "
                "it with EncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)."
            )
        self.encoder = _sub_config(encoder, "encoder")
        self.decoder = _sub_config(decoder, "decoder")
        kwargs["is_encoder_decoder"] = True
        super().__init__(**kwargs)

    @classmethod
    def from_encoder_decoder_configs(
        cls, encoder_config: PretrainedConfig, decoder_config: PretrainedConfig, **kwargs: Any
    ) -> EncoderDecoderConfig:
        """Combine two configs; the decoder becomes causal with cross-attention."""
        decoder_config = copy.deepcopy(decoder_config)
        decoder_config.is_decoder = True
        decoder_config.add_cross_attention = True
        return cls(encoder=copy.deepcopy(encoder_config), decoder=decoder_config, **kwargs)

    def get_text_config(self, decoder: bool = False) -> PretrainedConfig:
        """The decoder's config with `decoder=True` (generation settings), else the encoder's."""
        return self.decoder if decoder else self.encoder

    def to_dict(self) -> dict[str, Any]:
        output = super().to_dict()
        for name in ("encoder", "decoder"):
            sub = getattr(self, name).to_dict()
            sub.pop("tfx_version", None)
            output[name] = sub
        return output


def _sub_config(value: Any, role: str) -> PretrainedConfig:
    if isinstance(value, PretrainedConfig):
        return value
    if not isinstance(value, dict):
        raise ConfigError(
            f"EncoderDecoderConfig field {role!r} must be a config (or its dict), got "
            f"{type(value).__name__}."
        )
    model_type = value.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise ConfigError(
            f"EncoderDecoderConfig field {role!r} has no 'model_type': it must be the "
            f"{role}'s own config.json content (e.g. model_type 'bert')."
        )
    from tfx_core.auto import AutoConfig

    return AutoConfig.from_dict(dict(value))


__all__ = ["EncoderDecoderConfig"]
