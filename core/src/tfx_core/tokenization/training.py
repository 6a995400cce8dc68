"""`Tokenizer.train_new_from_iterator`: the same pipeline, a vocabulary learned from new text.

The new tokenizer keeps the old one's normalizer, pre-tokenizer, decoder, template and settings;
its model (BPE, WordPiece, Unigram or WordLevel, with the old model's options) is trained by the
matching `tokenizers` trainer, with the special tokens first, as the reference does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tokenizers import AddedToken, models, pre_tokenizers, trainers
from tokenizers import Tokenizer as RustTokenizer

from tfx_core.errors import TokenizerError

_MODEL_OPTIONS = {
    "BPE": (
        "dropout",
        "unk_token",
        "continuing_subword_prefix",
        "end_of_word_suffix",
        "fuse_unk",
        "byte_fallback",
    ),
    "WordPiece": ("unk_token", "continuing_subword_prefix", "max_input_chars_per_word"),
    "WordLevel": ("unk_token",),
    "Unigram": (),
}


def _fresh_model(state: dict[str, Any]) -> Any:
    kind = state["type"]
    options = {k: state[k] for k in _MODEL_OPTIONS.get(kind, ()) if state.get(k) is not None}
    if kind == "Unigram":
        return models.Unigram()
    if kind not in _MODEL_OPTIONS:
        raise TokenizerError(f"train_new_from_iterator cannot train a {kind} model.")
    return getattr(models, kind)(**options)


def _trainer(state: dict[str, Any], backend: RustTokenizer, vocab_size: int, special: list) -> Any:
    kind = state["type"]
    options: dict[str, Any] = {
        "vocab_size": vocab_size,
        "special_tokens": special,
        "show_progress": False,
    }
    if kind == "BPE":
        for key in ("continuing_subword_prefix", "end_of_word_suffix"):
            if state.get(key):
                options[key] = state[key]
        if _uses_byte_level(backend):
            options["initial_alphabet"] = pre_tokenizers.ByteLevel.alphabet()
        return trainers.BpeTrainer(**options)
    if kind == "WordPiece":
        if state.get("continuing_subword_prefix"):
            options["continuing_subword_prefix"] = state["continuing_subword_prefix"]
        return trainers.WordPieceTrainer(**options)
    if kind == "Unigram":
        unk_id = state.get("unk_id")
        if unk_id is not None:
            options["unk_token"] = state["vocab"][unk_id][0]
        return trainers.UnigramTrainer(**options)
    return trainers.WordLevelTrainer(**options)


def _uses_byte_level(backend: RustTokenizer) -> bool:
    state = json.loads(backend.to_str()).get("pre_tokenizer") or {}
    kinds = [state.get("type")] + [p.get("type") for p in state.get("pretokenizers", [])]
    return "ByteLevel" in kinds


def _remap_post_processor(state: dict[str, Any] | None, new: RustTokenizer) -> Any:
    """The template's special tokens pointed at their ids in the new vocabulary."""
    if not state:
        return state
    if state.get("type") == "Sequence":
        state["processors"] = [_remap_post_processor(p, new) for p in state["processors"]]
        return state
    for key in ("sep", "cls"):
        if key in state:
            state[key] = [state[key][0], new.token_to_id(state[key][0])]
    for spec in state.get("special_tokens", {}).values():
        spec["ids"] = [new.token_to_id(token) for token in spec["tokens"]]
    return state


def train_like(
    tokenizer: Any,
    text_iterator: Iterable,
    vocab_size: int,
    length: int | None,
    new_special_tokens: list | None,
    special_tokens_map: dict[str, str] | None,
    extra: dict[str, Any],
) -> Any:
    if extra:
        raise TokenizerError(f"Unknown train_new_from_iterator argument(s): {', '.join(extra)}.")
    if not isinstance(vocab_size, int) or vocab_size <= 0:
        raise TokenizerError(f"vocab_size must be a positive int, got {vocab_size!r}.")
    backend = tokenizer.backend_tokenizer
    state = json.loads(backend.to_str())
    model_state = state["model"]
    renamed = dict(special_tokens_map or {})
    special: list[Any] = []
    for token in tokenizer.added_tokens_decoder.values():
        if token.special:
            content = renamed.get(token.content, token.content)
            special.append(
                AddedToken(
                    content,
                    lstrip=token.lstrip,
                    rstrip=token.rstrip,
                    normalized=token.normalized,
                    special=True,
                )
            )
    contents = {str(token) for token in special}
    for token in new_special_tokens or []:
        if str(token) not in contents:
            special.append(
                token if isinstance(token, AddedToken) else AddedToken(token, special=True)
            )
            contents.add(str(token))
    fresh = RustTokenizer(_fresh_model(model_state))
    state["model"] = json.loads(fresh.to_str())["model"]
    state["added_tokens"] = []
    post_processor = state.pop("post_processor", None)
    state["post_processor"] = None
    state["padding"] = state["truncation"] = None
    new = RustTokenizer.from_str(json.dumps(state))
    trainer = _trainer(model_state, backend, vocab_size, special)
    try:
        new.train_from_iterator(text_iterator, trainer=trainer, length=length)
    except Exception as exc:
        raise TokenizerError(f"Training the new tokenizer failed: {exc}") from exc
    if post_processor is not None:
        state = json.loads(new.to_str())
        state["post_processor"] = _remap_post_processor(post_processor, new)
        new = RustTokenizer.from_str(json.dumps(state))
    config = tokenizer.init_kwargs
    for role in list(config):
        value = config[role]
        content = value.get("content") if isinstance(value, dict) else value
        if isinstance(content, str) and content in renamed:
            config[role] = renamed[content]
    config.pop("name_or_path", None)
    result = type(tokenizer).__new__(type(tokenizer))
    result._setup(new, config, "", None)
    return result
