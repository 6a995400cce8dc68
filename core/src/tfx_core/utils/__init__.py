"""Small helpers shared by the core modules."""

from typing import Any


def __getattr__(name: str) -> Any:
    """`get_json_schema` here too, where the reference has it (`transformers.utils`)."""
    if name == "get_json_schema":
        from tfx_core.tokenization.tool_schema import get_json_schema

        return get_json_schema
    raise AttributeError(f"module 'tfx_core.utils' has no attribute {name!r}")
