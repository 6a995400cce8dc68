"""`XLMFamilyConfig`: the config.json fields of XLM and FlauBERT, names and defaults as the
reference's (`FacebookAI/xlm-mlm-en-2048`).

The core's names are aliases of XLM's (`hidden_size` -> `emb_dim`, `num_hidden_layers` ->
`n_layers`, `num_attention_heads` -> `n_heads`, `n_words` -> `vocab_size`), so both read and
write one value and files keep XLM's spelling. FlauBERT adds `pre_norm` and `layerdrop`.
No framework is imported here (configs are read at discovery).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

SUMMARY_TYPES = ("first", "last", "mean", "cls_index")


class XLMFamilyConfig(PretrainedConfig):
    """XLM-style transformer hyper-parameters (a plugin's config sets `model_type`)."""

    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "emb_dim",
        "num_attention_heads": "n_heads",
        "num_hidden_layers": "n_layers",
        "n_words": "vocab_size",
    }

    def __init__(
        self,
        vocab_size: int = 30145,
        emb_dim: int = 2048,
        n_layers: int = 12,
        n_heads: int = 16,
        dropout: float = 0.1,
        attention_dropout: float = 0.1,
        gelu_activation: bool = True,
        sinusoidal_embeddings: bool = False,
        causal: bool = False,
        asm: bool = False,
        n_langs: int = 1,
        use_lang_emb: bool = True,
        max_position_embeddings: int = 512,
        embed_init_std: float | None = 2048**-0.5,
        layer_norm_eps: float = 1e-12,
        init_std: float | None = 0.02,
        bos_index: int = 0,
        eos_index: int = 1,
        pad_index: int = 2,
        unk_index: int = 3,
        mask_index: int = 5,
        is_encoder: bool = True,
        summary_type: str = "first",
        summary_use_proj: bool = True,
        summary_activation: str | None = None,
        summary_proj_to_labels: bool = True,
        summary_first_dropout: float = 0.1,
        start_n_top: int = 5,
        end_n_top: int = 5,
        mask_token_id: int = 0,
        lang_id: int = 0,
        pad_token_id: int | None = 2,
        bos_token_id: int | None = 0,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.emb_dim = emb_dim
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.gelu_activation = gelu_activation
        self.sinusoidal_embeddings = sinusoidal_embeddings
        self.causal = causal
        self.asm = asm
        self.n_langs = n_langs
        self.use_lang_emb = use_lang_emb
        self.layer_norm_eps = layer_norm_eps
        self.bos_index = bos_index
        self.eos_index = eos_index
        self.pad_index = pad_index
        self.unk_index = unk_index
        self.mask_index = mask_index
        self.is_encoder = is_encoder
        self.max_position_embeddings = max_position_embeddings
        self.embed_init_std = embed_init_std
        self.init_std = init_std
        self.summary_type = summary_type
        self.summary_use_proj = summary_use_proj
        self.summary_activation = summary_activation
        self.summary_proj_to_labels = summary_proj_to_labels
        self.summary_first_dropout = summary_first_dropout
        self.start_n_top = start_n_top
        self.end_n_top = end_n_top
        self.mask_token_id = mask_token_id
        self.lang_id = lang_id
        for alias, canonical in type(self).attribute_map.items():  # core names given as kwargs
            if alias in kwargs:
                setattr(self, canonical, kwargs.pop(alias))
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id, **kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size", "emb_dim", "n_layers", "n_heads", "n_langs", "max_position_embeddings"
        )
        self.require_positive_int("start_n_top", "end_n_top")
        if self.emb_dim % self.n_heads:
            raise ConfigError(
                f"{type(self).__name__}: emb_dim ({self.emb_dim}) must be divisible by "
                f"n_heads ({self.n_heads})."
            )
        self.require_probability("dropout", "attention_dropout", "summary_first_dropout")
        if not 0 <= self.pad_index < self.vocab_size:
            raise ConfigError(
                f"{type(self).__name__}: pad_index ({self.pad_index}) must be a token id below "
                f"vocab_size ({self.vocab_size})."
            )
        if self.summary_type not in SUMMARY_TYPES:
            raise ConfigError(
                f"{type(self).__name__}: summary_type {self.summary_type!r} is not supported; "
                f"use one of {', '.join(SUMMARY_TYPES)}."
            )
        for name in ("causal", "asm", "use_lang_emb", "sinusoidal_embeddings", "is_encoder"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{type(self).__name__}: {name} must be true or false.")
