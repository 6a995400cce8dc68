"""`MobileBertConfig`: the reference's `config.json` fields for MobileBERT, with its defaults.

The BERT encoder fields (the core's `EncoderConfig`) plus MobileBERT's own: narrow word
embeddings (`embedding_size`) seen as trigrams (`trigram_input`), bottlenecks around each
layer (`use_bottleneck`, `intra_bottleneck_size`, `use_bottleneck_attention`,
`key_query_shared_bottleneck`), stacked feed-forward networks (`num_feedforward_networks`),
`normalization_type` ("no_norm": an elementwise affine map instead of layer norm) and whether
the pooler has a dense layer (`classifier_activation`). `true_hidden_size` (the width inside a
layer) is derived, as in the reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig
from tfx_core.errors import ConfigError

NORMALIZATION_TYPES = ("no_norm", "layer_norm")


class MobileBertConfig(EncoderConfig):
    """Configuration of a MobileBERT encoder (defaults: google/mobilebert-uncased)."""

    model_type: ClassVar[str] = "mobilebert"
    token_defaults: ClassVar[dict[str, int | None]] = {"pad_token_id": 0}

    def __init__(
        self,
        hidden_size: int = 512,
        num_hidden_layers: int = 24,
        num_attention_heads: int = 4,
        intermediate_size: int = 512,
        hidden_act: str = "relu",
        hidden_dropout_prob: float = 0.0,
        embedding_size: int = 128,
        trigram_input: bool = True,
        use_bottleneck: bool = True,
        intra_bottleneck_size: int = 128,
        use_bottleneck_attention: bool = False,
        key_query_shared_bottleneck: bool = True,
        num_feedforward_networks: int = 4,
        normalization_type: str = "no_norm",
        classifier_activation: bool = True,
        **kwargs: Any,
    ) -> None:
        self.embedding_size = embedding_size
        self.trigram_input = trigram_input
        self.use_bottleneck = use_bottleneck
        self.intra_bottleneck_size = intra_bottleneck_size
        self.use_bottleneck_attention = use_bottleneck_attention
        self.key_query_shared_bottleneck = key_query_shared_bottleneck
        self.num_feedforward_networks = num_feedforward_networks
        self.normalization_type = normalization_type
        self.classifier_activation = classifier_activation
        super().__init__(
            hidden_size=hidden_size,
            num_hidden_layers=num_hidden_layers,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            hidden_act=hidden_act,
            hidden_dropout_prob=hidden_dropout_prob,
            **kwargs,
        )
        # derived (a saved value is overwritten, as the reference does)
        self.true_hidden_size = intra_bottleneck_size if use_bottleneck else hidden_size

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        self.require_positive_int(
            "embedding_size", "intra_bottleneck_size", "num_feedforward_networks"
        )
        if self.normalization_type not in NORMALIZATION_TYPES:
            raise ConfigError(
                f"{name} field 'normalization_type' must be one of "
                f"{', '.join(NORMALIZATION_TYPES)}, got {self.normalization_type!r}."
            )
        width = self.intra_bottleneck_size if self.use_bottleneck else self.hidden_size
        if width % self.num_attention_heads:
            raise ConfigError(
                f"{name}: the layers' width ({width}, 'intra_bottleneck_size' with "
                f"use_bottleneck, else 'hidden_size') must be a multiple of "
                f"'num_attention_heads' ({self.num_attention_heads})."
            )
        narrow_attention = self.key_query_shared_bottleneck or self.use_bottleneck_attention
        if self.use_bottleneck and not narrow_attention and width != self.hidden_size:
            raise ConfigError(
                f"{name}: with use_bottleneck and neither 'key_query_shared_bottleneck' nor "
                "'use_bottleneck_attention', queries and keys read the hidden_size-wide input, "
                f"so 'intra_bottleneck_size' ({width}) must equal 'hidden_size' "
                f"({self.hidden_size}); set key_query_shared_bottleneck=True."
            )
        if self.embedding_size > self.hidden_size:
            raise ConfigError(
                f"{name} field 'embedding_size' ({self.embedding_size}) must not exceed "
                f"'hidden_size' ({self.hidden_size}): the masked-LM head projects "
                "hidden_size - embedding_size extra columns."
            )
