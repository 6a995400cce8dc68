"""`EncoderConfig`: the config.json fields of the BERT-style encoders, written once.

BERT, RoBERTa, XLM-RoBERTa, CamemBERT, ... share these fields, names and validation; an
architecture's config class sets its `model_type` and, where its defaults differ, the special
token ids in `token_defaults`:

```python
class XLMRobertaConfig(EncoderConfig):
    model_type = "xlm-roberta"
    token_defaults = {"pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}
```
No framework is imported here (configs are read at discovery).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")


class EncoderConfig(PretrainedConfig):
    """BERT-style encoder hyper-parameters with the reference's names and defaults."""

    #: special-token ids this family uses by default (applied unless given)
    token_defaults: ClassVar[dict[str, int | None]] = {"pad_token_id": 0}
    #: whether positions are numbered after the padding id (then `pad_token_id` is required)
    padding_offset_positions: ClassVar[bool] = False

    def __init__(
        self,
        vocab_size: int = 30522,
        hidden_size: int = 768,
        num_hidden_layers: int = 12,
        num_attention_heads: int = 12,
        intermediate_size: int = 3072,
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.1,
        attention_probs_dropout_prob: float = 0.1,
        max_position_embeddings: int = 512,
        type_vocab_size: int = 2,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-12,
        position_embedding_type: str = "absolute",
        use_cache: bool = True,
        classifier_dropout: float | None = None,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.position_embedding_type = position_embedding_type
        self.classifier_dropout = classifier_dropout
        for name, value in type(self).token_defaults.items():
            kwargs.setdefault(name, value)
        super().__init__(use_cache=use_cache, **kwargs)

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        self.require_positive_int(
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        )
        self.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")
        if self.classifier_dropout is not None:
            self.require_probability("classifier_dropout")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{name} field 'hidden_size' ({self.hidden_size}) must be a multiple of "
                f"'num_attention_heads' ({self.num_attention_heads})."
            )
        if self.position_embedding_type not in POSITION_EMBEDDING_TYPES:
            raise ConfigError(
                f"{name} field 'position_embedding_type' must be one of "
                f"{', '.join(POSITION_EMBEDDING_TYPES)}, got {self.position_embedding_type!r}."
            )
        if self.padding_offset_positions and self.pad_token_id is None:
            raise ConfigError(f"{name} needs pad_token_id: this model numbers positions after it.")
