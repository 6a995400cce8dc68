"""`XLMConfig`: the reference's `config.json` fields for XLM (written once in the core)."""

from __future__ import annotations

from typing import ClassVar

from tfx_core.xlm_config import XLMFamilyConfig


class XLMConfig(XLMFamilyConfig):
    """Configuration of an XLM model (defaults: `FacebookAI/xlm-mlm-en-2048`)."""

    model_type: ClassVar[str] = "xlm"
