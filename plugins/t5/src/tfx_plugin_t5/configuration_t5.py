"""`T5Config` and `MT5Config`: the reference's `config.json` fields, names and defaults.

T5 names its sizes `d_model`, `d_kv`, `d_ff`, `num_layers`, `num_heads`; the common names
(`hidden_size`, `num_attention_heads`, ...) are aliases. `feed_forward_proj` is `"relu"` (T5
v1.0) or `"gated-gelu"` (v1.1, mT5, ByT5: a gated feed-forward, GELU with the tanh formula);
any `ACT` or `gated-ACT` of the core's activations is accepted, as the reference does (an
unknown `ACT` is a `ConfigError` when the model is built: configs import no framework).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


def parse_feed_forward(feed_forward_proj: Any) -> tuple[str, bool]:
    """`"gated-gelu"` -> `("gelu_new", True)`, `"relu"` -> `("relu", False)`; else ConfigError."""
    parts = feed_forward_proj.split("-") if isinstance(feed_forward_proj, str) else []
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[0] != "gated"):
        raise ConfigError(
            f"config field 'feed_forward_proj' must be 'ACT' or 'gated-ACT' (e.g. 'relu', "
            f"'gated-gelu'), got {feed_forward_proj!r}."
        )
    if feed_forward_proj == "gated-gelu":
        return "gelu_new", True  # what T5 v1.1 was trained with (the reference's mapping)
    return parts[-1], len(parts) == 2


class T5Config(PretrainedConfig):
    """Configuration of a T5 model (defaults: t5-small)."""

    model_type: ClassVar[str] = "t5"
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "d_model",
        "num_attention_heads": "num_heads",
        "num_hidden_layers": "num_layers",
        "head_dim": "d_kv",
    }
    #: Defaults the subclasses (mT5) change.
    family_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        vocab_size: int = 32128,
        d_model: int = 512,
        d_kv: int = 64,
        d_ff: int = 2048,
        num_layers: int = 6,
        num_decoder_layers: int | None = None,
        num_heads: int = 8,
        relative_attention_num_buckets: int = 32,
        relative_attention_max_distance: int = 128,
        dropout_rate: float = 0.1,
        layer_norm_epsilon: float = 1e-6,
        initializer_factor: float = 1.0,
        feed_forward_proj: str = "relu",
        is_encoder_decoder: bool = True,
        use_cache: bool = True,
        pad_token_id: int | None = 0,
        eos_token_id: int | list[int] | None = 1,
        classifier_dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        for name, value in self.family_defaults.items():
            kwargs.setdefault(name, value)
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.d_kv = d_kv
        self.d_ff = d_ff
        self.num_layers = num_layers
        self.num_decoder_layers = num_layers if num_decoder_layers is None else num_decoder_layers
        self.num_heads = num_heads
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        self.dropout_rate = dropout_rate
        self.classifier_dropout = classifier_dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_factor = initializer_factor
        self.feed_forward_proj = feed_forward_proj
        self.dense_act_fn, self.is_gated_act = parse_feed_forward(feed_forward_proj)
        kwargs.pop("dense_act_fn", None)  # derived from feed_forward_proj, as the reference does
        kwargs.pop("is_gated_act", None)
        self.decoder_start_token_id = kwargs.pop("decoder_start_token_id", None)
        super().__init__(
            pad_token_id=pad_token_id,
            eos_token_id=eos_token_id,
            is_encoder_decoder=is_encoder_decoder,
            use_cache=use_cache,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size",
            "d_model",
            "d_kv",
            "d_ff",
            "num_heads",
            "relative_attention_num_buckets",
            "relative_attention_max_distance",
        )
        for name in ("num_layers", "num_decoder_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"T5 config field {name!r} must be an int >= 0, got {value!r}.")
        self.require_probability("dropout_rate", "classifier_dropout")
        start = self.decoder_start_token_id
        if start is not None and (not isinstance(start, int) or isinstance(start, bool)):
            raise ConfigError(
                f"config field 'decoder_start_token_id' must be an int or null, got {start!r}."
            )


class MT5Config(T5Config):
    """Configuration of an mT5 model (defaults: mt5-small): gated GELU, untied head, 250k vocab."""

    model_type: ClassVar[str] = "mt5"
    family_defaults: ClassVar[dict[str, Any]] = {
        "tokenizer_class": "T5Tokenizer",
        "tie_word_embeddings": False,
        "decoder_start_token_id": 0,
    }

    def __init__(
        self,
        vocab_size: int = 250112,
        d_model: int = 512,
        d_kv: int = 64,
        d_ff: int = 1024,
        num_layers: int = 8,
        num_heads: int = 6,
        feed_forward_proj: str = "gated-gelu",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            vocab_size=vocab_size,
            d_model=d_model,
            d_kv=d_kv,
            d_ff=d_ff,
            num_layers=num_layers,
            num_heads=num_heads,
            feed_forward_proj=feed_forward_proj,
            **kwargs,
        )
