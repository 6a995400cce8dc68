"""Bring a `tokenizers.Tokenizer` in line with its `tokenizer_config.json`, as the reference does.

The reference library edits the Rust pipeline at load time when the config disagrees with
`tokenizer.json` (lower-casing, `add_prefix_space`, RoBERTa's offset trimming, Llama's BOS/EOS
template). Checkpoints were tokenized that way, so tfx makes the same edits. It also takes any
padding/truncation stored in `tokenizer.json` off the pipeline: tfx applies them per call only.
"""

from __future__ import annotations

import json
from typing import Any

from tokenizers import Tokenizer as RustTokenizer
from tokenizers import normalizers, pre_tokenizers, processors

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.profiles import ClassProfile


def _state(component: Any) -> dict[str, Any] | None:
    if component is None:
        return None
    try:
        return json.loads(component.__getstate__())
    except Exception:  # a custom component that cannot be serialized: leave it alone
        return None


def _rebuild(module: Any, state: dict[str, Any]) -> Any | None:
    state = dict(state)
    kind = getattr(module, state.pop("type", ""), None)
    if kind is None:
        return None
    try:
        return kind(**state)
    except Exception:
        return None


def detach_padding_truncation(backend: RustTokenizer) -> tuple[dict | None, dict | None]:
    """Remove and return the padding / truncation a `tokenizer.json` carries."""
    padding, truncation = backend.padding, backend.truncation
    if padding is not None:
        backend.no_padding()
    if truncation is not None:
        backend.no_truncation()
    return padding, truncation


def reconcile_normalizer(backend: RustTokenizer, config: dict, profile: ClassProfile) -> None:
    """BERT family: do_lower_case / strip_accents / tokenize_chinese_chars win over the file."""
    state = _state(backend.normalizer)
    if state is None or state.get("type") != "BertNormalizer":
        return
    wanted = {}
    for field, key, default in (
        ("lowercase", "do_lower_case", True),
        ("strip_accents", "strip_accents", None),
        ("handle_chinese_chars", "tokenize_chinese_chars", True),
    ):
        if key in config:
            wanted[field] = config[key]
        elif profile.bert_normalizer:
            wanted[field] = default
    if all(state.get(field, value) == value for field, value in wanted.items()):
        return
    state.update(wanted)
    rebuilt = _rebuild(normalizers, state)
    if rebuilt is not None:
        backend.normalizer = rebuilt


def reconcile_pre_tokenizer(backend: RustTokenizer, add_prefix_space: bool) -> None:
    """A top-level pre-tokenizer with `add_prefix_space` takes the config's value (default False)."""
    state = _state(backend.pre_tokenizer)
    if state is None or state.get("add_prefix_space", add_prefix_space) == add_prefix_space:
        return
    state["add_prefix_space"] = add_prefix_space
    rebuilt = _rebuild(pre_tokenizers, state)
    if rebuilt is not None:
        backend.pre_tokenizer = rebuilt


def reconcile_post_processor(backend: RustTokenizer, config: dict, profile: ClassProfile) -> None:
    """RoBERTa family: the processor's add_prefix_space / trim_offsets follow the config."""
    if not profile.roberta_post_processor:
        return
    state = _state(backend.post_processor)
    if state is None:
        return
    wanted = {
        "add_prefix_space": bool(config.get("add_prefix_space", False)),
        "trim_offsets": bool(config.get("trim_offsets", True)),
    }
    if all(state.get(field, value) == value for field, value in wanted.items()):
        return
    state.update(wanted)
    for key in ("sep", "cls"):
        if key in state:
            state[key] = tuple(state[key])
    rebuilt = _rebuild(processors, state)
    if rebuilt is not None:
        backend.post_processor = rebuilt


def bos_eos_template(
    add_bos: bool, add_eos: bool, bos: tuple[str, int] | None, eos: tuple[str, int] | None
) -> processors.TemplateProcessing:
    """Llama-style `[bos] $A [eos]` / `[bos] $A [eos] [bos] $B [eos]` post-processor."""
    if add_bos and bos is None:
        raise TokenizerError("add_bos_token is True but the tokenizer has no bos_token.")
    if add_eos and eos is None:
        raise TokenizerError("add_eos_token is True but the tokenizer has no eos_token.")
    head = f"{bos[0]}:0 " if add_bos and bos else ""
    tail = f" {eos[0]}:0" if add_eos and eos else ""
    single = f"{head}$A:0{tail}"
    pair = single
    pair += f" {bos[0]}:1" if add_bos and bos else ""
    pair += " $B:1"
    pair += f" {eos[0]}:1" if add_eos and eos else ""
    special = [tok for flag, tok in ((add_bos, bos), (add_eos, eos)) if flag and tok is not None]
    return processors.TemplateProcessing(single=single, pair=pair, special_tokens=special)


def load_tokenizer_file(path: Any) -> RustTokenizer:
    """`tokenizer.json` as a `tokenizers.Tokenizer`, with a clear error when it is broken."""
    try:
        return RustTokenizer.from_file(str(path))
    except Exception as exc:
        raise TokenizerError(
            f"The tokenizer file {path} could not be loaded ({exc}). It is corrupt or was written "
            "by a newer `tokenizers`; download it again or upgrade `tokenizers`."
        ) from exc
