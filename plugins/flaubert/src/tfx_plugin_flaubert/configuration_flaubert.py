"""`FlaubertConfig`: XLM's config.json fields (written once in the core) plus FlauBERT's two."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.xlm_config import XLMFamilyConfig


class FlaubertConfig(XLMFamilyConfig):
    """Configuration of a FlauBERT model (defaults: `flaubert/flaubert_base_uncased` shapes).

    `pre_norm`: layer norm before each sub-layer (the large models) instead of after;
    `layerdrop`: probability of skipping a layer while training.
    """

    model_type: ClassVar[str] = "flaubert"

    def __init__(self, pre_norm: bool = False, layerdrop: float = 0.0, **kwargs: Any) -> None:
        self.pre_norm = pre_norm
        self.layerdrop = layerdrop
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_probability("layerdrop")
