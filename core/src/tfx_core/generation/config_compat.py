"""The reference's `GenerationConfig` helpers beyond decoding settings: JSON files, the Hub,
dtype names and the output flags that imply `return_dict_in_generate`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar


class GenerationConfigCompatMixin:
    """Mixed into `GenerationConfig`."""

    #: Flags that only have an effect with `return_dict_in_generate=True`.
    extra_output_flags: ClassVar[tuple[str, ...]] = (
        "output_attentions",
        "output_hidden_states",
        "output_scores",
        "output_logits",
    )
    #: The reference's `torch.compile` options for generation; tfx's generate does not compile
    #: the model, so this is kept for scripts that set it and never written to files.
    compile_config: Any = None

    def to_json_file(self, json_file_path: str | os.PathLike, use_diff: bool = True) -> None:
        """Write the config as JSON to `json_file_path` (atomically)."""
        from tfx_core.config import write_text_atomic

        write_text_atomic(Path(json_file_path), self.to_json_string(use_diff=use_diff))

    def dict_dtype_to_str(self, d: dict[str, Any]) -> None:
        """Turn torch dtypes in `d` (nested dicts too) into their names, in place."""
        dtype = d.get("dtype")
        if dtype is not None and not isinstance(dtype, (str, int, dict)):
            d["dtype"] = str(dtype).split(".")[-1]
        for value in d.values():
            if isinstance(value, dict):
                self.dict_dtype_to_str(value)

    def push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        private: bool | None = None,
        token: str | bool | None = None,
        revision: str | None = None,
    ) -> str:
        """Upload `generation_config.json` to the Hub repository `repo_id`."""
        from tfx_core import hub

        with tempfile.TemporaryDirectory() as folder:
            self.save_pretrained(folder)
            return hub.push_to_hub(
                folder,
                repo_id,
                token=token,
                private=private,
                revision=revision,
                commit_message=commit_message or "Upload generation config",
            )
