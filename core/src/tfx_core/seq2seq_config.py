"""`Seq2SeqConfig`: the config.json fields of the BART-family encoder-decoders, written once.

BART, mBART, Marian, Pegasus, Blenderbot(-Small) and M2M100 share these fields and names
(`d_model`, `encoder_layers`, `decoder_ffn_dim`, ...). An architecture's config sets its
`model_type` and, where its defaults differ, `field_defaults`:

```python
class MBartConfig(Seq2SeqConfig):
    model_type = "mbart"
    field_defaults = {"scale_embedding": False, "forced_eos_token_id": 2}
```
No framework is imported here (configs are read at discovery).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class Seq2SeqConfig(PretrainedConfig):
    """BART-style encoder-decoder hyper-parameters with the reference's names and defaults."""

    attribute_map: ClassVar[dict[str, str]] = {
        "num_attention_heads": "encoder_attention_heads",
        "hidden_size": "d_model",
    }
    #: defaults of this family for fields the base keeps in `**kwargs` (token ids, ...)
    field_defaults: ClassVar[dict[str, Any]] = {
        "num_labels": 3,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
        "forced_eos_token_id": 2,
    }

    def __init__(
        self,
        vocab_size: int = 50265,
        max_position_embeddings: int = 1024,
        encoder_layers: int = 12,
        encoder_ffn_dim: int = 4096,
        encoder_attention_heads: int = 16,
        decoder_layers: int = 12,
        decoder_ffn_dim: int = 4096,
        decoder_attention_heads: int = 16,
        encoder_layerdrop: float = 0.0,
        decoder_layerdrop: float = 0.0,
        activation_function: str = "gelu",
        d_model: int = 1024,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        activation_dropout: float = 0.0,
        init_std: float = 0.02,
        classifier_dropout: float = 0.0,
        scale_embedding: bool = False,
        use_cache: bool = True,
        is_encoder_decoder: bool = True,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.d_model = d_model
        self.encoder_ffn_dim = encoder_ffn_dim
        self.encoder_layers = encoder_layers
        self.encoder_attention_heads = encoder_attention_heads
        self.decoder_ffn_dim = decoder_ffn_dim
        self.decoder_layers = decoder_layers
        self.decoder_attention_heads = decoder_attention_heads
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation_dropout = activation_dropout
        self.activation_function = activation_function
        self.init_std = init_std
        self.encoder_layerdrop = encoder_layerdrop
        self.decoder_layerdrop = decoder_layerdrop
        self.classifier_dropout = classifier_dropout
        self.num_hidden_layers = kwargs.pop("num_hidden_layers", encoder_layers)
        self.scale_embedding = scale_embedding
        for name, value in type(self).field_defaults.items():
            if name == "num_labels" and kwargs.get("id2label") is not None:
                continue  # the label map decides
            kwargs.setdefault(name, value)
        super().__init__(use_cache=use_cache, is_encoder_decoder=is_encoder_decoder, **kwargs)

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        self.require_positive_int(
            "vocab_size",
            "d_model",
            "encoder_layers",
            "decoder_layers",
            "encoder_attention_heads",
            "decoder_attention_heads",
            "encoder_ffn_dim",
            "decoder_ffn_dim",
            "max_position_embeddings",
        )
        self.require_probability(
            "dropout",
            "attention_dropout",
            "activation_dropout",
            "encoder_layerdrop",
            "decoder_layerdrop",
        )
        for side in ("encoder", "decoder"):
            heads = getattr(self, f"{side}_attention_heads")
            if self.d_model % heads:
                raise ConfigError(
                    f"{name} field 'd_model' ({self.d_model}) must be a multiple of "
                    f"'{side}_attention_heads' ({heads})."
                )
        if not isinstance(self.activation_function, str):
            raise ConfigError(
                f"{name} field 'activation_function' must be an activation name such as "
                f"'gelu', got {self.activation_function!r}."
            )
