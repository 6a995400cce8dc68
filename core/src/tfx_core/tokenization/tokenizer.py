"""`Tokenizer`: one HF-compatible tokenizer class over the `tokenizers` library.

Encoding runs in `tokenizers` batch calls; truncation is set on the Rust pipeline per call (and
only changed when a call asks for something different), padding is done by `collate` so that
no padding stored in `tokenizer.json` can leak into a call that did not ask for it. Behaviour
follows the reference library's fast tokenizers so checkpoints tokenize as their authors did.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import AddedToken
from tokenizers import Tokenizer as RustTokenizer

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import backend as backend_utils
from tfx_core.tokenization import chat, files, legacy, loading
from tfx_core.tokenization.batch_encoding import BatchEncoding
from tfx_core.tokenization.collate import (
    NO_PADDING,
    Fields,
    PadSpec,
    collate_arrays,
    collate_lists,
)
from tfx_core.tokenization.inputs import prepare_inputs
from tfx_core.tokenization.profiles import ClassProfile, profile_for, profile_for_model_type
from tfx_core.tokenization.special_tokens import (
    SINGLE_TOKEN_ATTRIBUTES,
    SPECIAL_TOKEN_ATTRIBUTES,
    SpecialTokenAttribute,
    SpecialTokenIdAttribute,
    TokenLike,
    as_special_added_token,
    parse_token,
    parse_token_list,
    token_from_dict,
)
from tfx_core.tokenization.strategies import (
    LARGE_INTEGER,
    NO_STRATEGY,
    VERY_LARGE_INTEGER,
    resolve,
    warn_once,
)
from tfx_core.tokenization.tensors import check_tensor_type, from_numpy, to_python

_CALL_OPTIONS = frozenset({"split_special_tokens", "text_target", "text_pair_target"})


class Tokenizer:
    """Text to model inputs and back, HF-compatible (`tokenizer.json` + config files).

    Build one with `Tokenizer.from_pretrained(folder_or_hub_id)`, or wrap a
    `tokenizers.Tokenizer` directly: `Tokenizer(tokenizers_object, pad_token="[PAD]", ...)` with
    any `tokenizer_config.json` keys as keyword arguments. Like the reference, one instance
    configures its Rust truncation per call: share it across threads only for calls that use
    the same truncation settings (or give each thread its own copy).
    """

    is_fast = True
    bos_token = SpecialTokenAttribute("bos_token")
    eos_token = SpecialTokenAttribute("eos_token")
    unk_token = SpecialTokenAttribute("unk_token")
    sep_token = SpecialTokenAttribute("sep_token")
    pad_token = SpecialTokenAttribute("pad_token")
    cls_token = SpecialTokenAttribute("cls_token")
    mask_token = SpecialTokenAttribute("mask_token")
    bos_token_id = SpecialTokenIdAttribute("bos_token")
    eos_token_id = SpecialTokenIdAttribute("eos_token")
    unk_token_id = SpecialTokenIdAttribute("unk_token")
    sep_token_id = SpecialTokenIdAttribute("sep_token")
    pad_token_id = SpecialTokenIdAttribute("pad_token")
    cls_token_id = SpecialTokenIdAttribute("cls_token")
    mask_token_id = SpecialTokenIdAttribute("mask_token")

    def __init__(self, tokenizer_object: RustTokenizer, *, name_or_path: str = "", **config: Any):
        if not isinstance(tokenizer_object, RustTokenizer):
            raise TokenizerError(
                f"Tokenizer() wraps a tokenizers.Tokenizer, got {type(tokenizer_object).__name__}. "
                "Use Tokenizer.from_pretrained(folder_or_hub_id) to load from files."
            )
        self._setup(copy.deepcopy(tokenizer_object), config, name_or_path, None)

    # ================================================================= loading
    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        *,
        revision: str | None = None,
        local_files_only: bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        token: str | bool | None = None,
        **overrides: Any,
    ) -> Tokenizer:
        """Load from a folder or Hub id; keyword arguments override tokenizer_config.json keys.

        `tokenizer.json` is used when present; otherwise an installed plugin converts the legacy
        files (vocab.txt, vocab.json + merges.txt, ...).
        """
        folder = files.resolve_folder(
            path_or_id,
            revision=revision,
            local_files_only=local_files_only,
            cache_dir=cache_dir,
            token=token,
            extra_patterns=legacy.converter_files(),
        )
        config, model_type = loading.read_config(folder, overrides)
        backend = loading.load_backend(folder, config, model_type)
        tokenizer = cls.__new__(cls)
        tokenizer._setup(backend, config, str(path_or_id), model_type)
        return tokenizer

    def _setup(
        self, backend: RustTokenizer, config: dict, name_or_path: str, model_type: str | None
    ) -> None:
        config = dict(config)
        self._tokenizer = backend
        self._saved_padding, self._saved_truncation = backend_utils.detach_padding_truncation(
            backend
        )
        self._trunc_state: tuple | None = None
        stored_name = config.pop("name_or_path", None)
        self.name_or_path = name_or_path or stored_name or ""
        tokenizer_class = config.get("tokenizer_class")
        profile: ClassProfile = (
            profile_for(tokenizer_class) if tokenizer_class else profile_for_model_type(model_type)
        )
        self._profile = profile

        max_len = config.pop("model_max_length", config.pop("max_len", None))
        self.model_max_length: int = VERY_LARGE_INTEGER if max_len is None else int(max_len)
        self.padding_side = config.pop("padding_side", profile.padding_side)
        self.truncation_side = config.pop("truncation_side", "right")
        self.model_input_names = list(config.pop("model_input_names", profile.model_input_names))
        self.clean_up_tokenization_spaces = bool(config.pop("clean_up_tokenization_spaces", False))
        self.split_special_tokens = bool(config.pop("split_special_tokens", False))
        template = config.pop("chat_template", None)
        if isinstance(template, (list, tuple)):
            template = {item["name"]: item["template"] for item in template}
        self.chat_template: str | dict[str, str] | None = template
        added_decoder = {
            int(index): value if isinstance(value, AddedToken) else token_from_dict(value)
            for index, value in (config.pop("added_tokens_decoder", None) or {}).items()
        }
        # A role given as a plain string takes the flags of the added token of that content.
        by_content = {token.content: token for token in added_decoder.values()}
        self._special: dict[str, Any] = {}
        for role in SINGLE_TOKEN_ATTRIBUTES:
            value = parse_token(config.pop(role, None), role=role)
            self._special[role] = by_content.get(value, value) if isinstance(value, str) else value
        self._special["additional_special_tokens"] = [
            by_content.get(value, value) if isinstance(value, str) else value
            for value in parse_token_list(
                config.pop("additional_special_tokens", None), role="additional_special_tokens"
            )
        ]
        extra = config.pop("extra_special_tokens", None) or {}
        if isinstance(extra, (list, tuple)):  # some configs store it as a plain list
            self._special["additional_special_tokens"] += parse_token_list(
                extra, role="extra_special_tokens"
            )
            extra = {}
        self._extra_special: dict[str, Any] = {
            name: parse_token(value, role=name) for name, value in dict(extra).items()
        }
        for name in ("tokenizer_file", "special_tokens_map_file"):
            config.pop(name, None)
        self._config = config  # everything else, written back by save_pretrained
        if self.padding_side not in ("left", "right"):
            raise TokenizerError(
                f"padding_side must be 'left' or 'right', got {self.padding_side!r}."
            )
        if self.truncation_side not in ("left", "right"):
            raise TokenizerError(
                f"truncation_side must be 'left' or 'right', got {self.truncation_side!r}."
            )

        backend_utils.reconcile_normalizer(backend, config, profile)
        backend_utils.reconcile_pre_tokenizer(backend, bool(config.get("add_prefix_space", False)))
        backend_utils.reconcile_post_processor(backend, config, profile)
        self._register_added_tokens(added_decoder)
        if profile.bos_eos_defaults is not None:
            self._add_bos_token = bool(config.get("add_bos_token", profile.bos_eos_defaults[0]))
            self._add_eos_token = bool(config.get("add_eos_token", profile.bos_eos_defaults[1]))
            self._update_bos_eos()
        if backend.encode_special_tokens != self.split_special_tokens:
            backend.encode_special_tokens = self.split_special_tokens

    def _register_added_tokens(self, added_decoder: Mapping[int, AddedToken]) -> None:
        """Add config-declared and special tokens the backend lacks, as the reference does."""
        present = self._tokenizer.get_added_tokens_decoder()
        known = {repr(token) for token in present.values()}
        to_add: list[TokenLike] = [
            token for _, token in sorted(added_decoder.items()) if repr(token) not in known
        ]
        contents = {str(token) for token in present.values()} | {str(t) for t in to_add}
        for token in self.all_special_tokens_extended:
            if str(token) not in contents:
                to_add.append(token)
                contents.add(str(token))
        if not to_add:
            return
        specials = set(self.all_special_tokens)
        tokens = []
        for token in to_add:
            if isinstance(token, AddedToken):
                token.special = token.special or str(token) in specials
            else:
                token = AddedToken(token, special=token in specials)
            tokens.append(token)
        self._tokenizer.add_tokens(tokens)

    # ============================================================ special tokens
    @property
    def additional_special_tokens(self) -> list[str]:
        return [str(token) for token in self._special["additional_special_tokens"]]

    @additional_special_tokens.setter
    def additional_special_tokens(self, values: Iterable[TokenLike]) -> None:
        self._special["additional_special_tokens"] = parse_token_list(
            list(values), role="additional_special_tokens"
        )

    @property
    def additional_special_tokens_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.additional_special_tokens)

    @property
    def pad_token_type_id(self) -> int:
        return 0

    @property
    def special_tokens_map(self) -> dict[str, str | list[str]]:
        """Each set role and its token string (`additional_special_tokens`: a list)."""
        result: dict[str, Any] = {}
        for role in SPECIAL_TOKEN_ATTRIBUTES:
            value = self._special[role]
            if value:
                result[role] = [str(t) for t in value] if isinstance(value, list) else str(value)
        return result

    @property
    def special_tokens_map_extended(self) -> dict[str, Any]:
        """Like `special_tokens_map`, keeping AddedToken objects (with their matching flags)."""
        return {role: value for role in SPECIAL_TOKEN_ATTRIBUTES if (value := self._special[role])}

    @property
    def all_special_tokens_extended(self) -> list[TokenLike]:
        seen: set[str] = set()
        result: list[TokenLike] = []
        for value in self.special_tokens_map_extended.values():
            for token in value if isinstance(value, list) else [value]:
                if str(token) not in seen:
                    seen.add(str(token))
                    result.append(token)
        for token in self._extra_special.values():
            if token is not None and str(token) not in seen:
                seen.add(str(token))
                result.append(token)
        return result

    @property
    def all_special_tokens(self) -> list[str]:
        return [str(token) for token in self.all_special_tokens_extended]

    @property
    def all_special_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.all_special_tokens)

    @property
    def extra_special_tokens(self) -> dict[str, str]:
        return {name: str(tok) for name, tok in self._extra_special.items() if tok is not None}

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__.get("_extra_special")
        if extra:
            if name in extra:
                return None if extra[name] is None else str(extra[name])
            if name.endswith("_id") and name[:-3] in extra:
                value = extra[name[:-3]]
                return None if value is None else self.convert_tokens_to_ids(str(value))
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    @property
    def add_bos_token(self) -> bool | None:
        return getattr(self, "_add_bos_token", None)

    @add_bos_token.setter
    def add_bos_token(self, value: bool) -> None:
        self._add_bos_token = bool(value)
        self._update_bos_eos()

    @property
    def add_eos_token(self) -> bool | None:
        return getattr(self, "_add_eos_token", None)

    @add_eos_token.setter
    def add_eos_token(self, value: bool) -> None:
        self._add_eos_token = bool(value)
        self._update_bos_eos()

    def _update_bos_eos(self) -> None:
        """Rebuild the Llama-style post-processor from add_bos_token / add_eos_token."""
        bos = (self.bos_token, self.bos_token_id) if self.bos_token is not None else None
        eos = (self.eos_token, self.eos_token_id) if self.eos_token is not None else None
        self._tokenizer.post_processor = backend_utils.bos_eos_template(
            bool(getattr(self, "_add_bos_token", False)),
            bool(getattr(self, "_add_eos_token", False)),
            bos,
            eos,
        )

    def add_tokens(
        self, new_tokens: TokenLike | Sequence[TokenLike], special_tokens: bool = False
    ) -> int:
        """Add tokens the model should never split; returns how many are new to the vocabulary."""
        if not new_tokens:
            return 0
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        for token in new_tokens:
            if not isinstance(token, (str, AddedToken)):
                raise TokenizerError(
                    f"add_tokens takes strings or AddedToken objects, got {token!r}."
                )
        if special_tokens:
            return self._tokenizer.add_special_tokens(list(new_tokens))
        return self._tokenizer.add_tokens(list(new_tokens))

    def add_special_tokens(
        self,
        special_tokens_dict: Mapping[str, TokenLike | Sequence[TokenLike]],
        replace_additional_special_tokens: bool = True,
    ) -> int:
        """Set special-token roles (`{"pad_token": "[PAD]"}`), adding new tokens to the vocabulary."""
        if not special_tokens_dict:
            return 0
        added: list[AddedToken] = []
        for role, value in special_tokens_dict.items():
            if role not in SPECIAL_TOKEN_ATTRIBUTES:
                raise TokenizerError(
                    f"{role!r} is not a special-token role; use one of "
                    f"{', '.join(SPECIAL_TOKEN_ATTRIBUTES)}."
                )
            if role == "additional_special_tokens":
                if not isinstance(value, (list, tuple)) or not all(
                    isinstance(t, (str, AddedToken)) for t in value
                ):
                    raise TokenizerError("additional_special_tokens must be a list of tokens.")
                new = [as_special_added_token(t) for t in value]
                current = self._special["additional_special_tokens"]
                if not replace_additional_special_tokens:
                    new = [t for t in new if str(t) not in {str(c) for c in current}]
                if replace_additional_special_tokens and new:
                    self._special[role] = list(new)
                else:
                    current.extend(new)
                added.extend(new)
            else:
                if not isinstance(value, (str, AddedToken)):
                    raise TokenizerError(
                        f"The {role} must be a string or AddedToken, got {value!r}."
                    )
                token = as_special_added_token(value)
                self._special[role] = token
                if all(str(token) != str(t) for t in added):
                    added.append(token)
        return self.add_tokens(added, special_tokens=True)

    # ==================================================================== vocab
    @property
    def backend_tokenizer(self) -> RustTokenizer:
        """The underlying `tokenizers.Tokenizer` (padding/truncation are managed per call)."""
        return self._tokenizer

    @property
    def vocab_size(self) -> int:
        """Size of the base vocabulary, without added tokens."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def get_vocab(self) -> dict[str, int]:
        return self._tokenizer.get_vocab(with_added_tokens=True)

    @property
    def vocab(self) -> dict[str, int]:
        return self.get_vocab()

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return dict(sorted(self._tokenizer.get_added_tokens_decoder().items()))

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        return {token.content: index for index, token in self.added_tokens_decoder.items()}

    def get_added_vocab(self) -> dict[str, int]:
        return self.added_tokens_encoder

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return self._tokenizer.num_special_tokens_to_add(pair)

    @property
    def max_len_single_sentence(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=False)

    @property
    def max_len_sentences_pair(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=True)

    def convert_tokens_to_ids(self, tokens: str | Iterable[str]) -> int | list[int]:
        """Token strings to ids; unknown tokens map to the unk token's id (None without one)."""
        if isinstance(tokens, str):
            index = self._tokenizer.token_to_id(tokens)
            return index if index is not None else self.unk_token_id
        return [self.convert_tokens_to_ids(token) for token in tokens]  # type: ignore[misc]

    def convert_ids_to_tokens(
        self, ids: int | Iterable[int], skip_special_tokens: bool = False
    ) -> str | list[str | None] | None:
        """Ids to token strings (None for ids outside the vocabulary)."""
        ids = to_python(ids)
        if isinstance(ids, int):
            return self._tokenizer.id_to_token(ids)
        skip = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._tokenizer.id_to_token(int(i)) for i in ids if int(i) not in skip]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    # ================================================================ encoding
    def __call__(
        self,
        text: Any = None,
        text_pair: Any = None,
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        **kwargs: Any,
    ) -> BatchEncoding:
        """Encode one text, a pair, a batch of texts, or a batch of pairs.

        Returns a `BatchEncoding` of lists (or of `return_tensors` tensors, with a batch axis).
        """
        if (
            type(text) is str
            and text_pair is None
            and padding is False
            and truncation is None
            and max_length is None
            and return_tensors is None
            and not kwargs
            and not (
                is_split_into_words
                or return_overflowing_tokens
                or return_offsets_mapping
                or return_special_tokens_mask
                or return_length
                or self.split_special_tokens
            )
            and return_token_type_ids is None
            and return_attention_mask is None
        ):
            return self._encode_one(text, add_special_tokens, verbose)
        if kwargs:
            unknown = set(kwargs) - _CALL_OPTIONS
            if unknown:
                raise TokenizerError(
                    f"Unknown tokenizer argument(s): {', '.join(sorted(unknown))}."
                )
        text_target = kwargs.get("text_target")
        text_pair_target = kwargs.get("text_pair_target")
        if text is None and text_target is None:
            raise TokenizerError("Nothing to encode: pass `text` (or `text_target`).")
        options = dict(
            add_special_tokens=add_special_tokens,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            stride=stride,
            is_split_into_words=is_split_into_words,
            pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side,
            return_tensors=return_tensors,
            return_token_type_ids=return_token_type_ids,
            return_attention_mask=return_attention_mask,
            return_overflowing_tokens=return_overflowing_tokens,
            return_special_tokens_mask=return_special_tokens_mask,
            return_offsets_mapping=return_offsets_mapping,
            return_length=return_length,
            verbose=verbose,
            split_special_tokens=kwargs.get("split_special_tokens", self.split_special_tokens),
        )
        if text_target is None:
            return self._encode(text, text_pair, **options)
        targets = self._encode(text_target, text_pair_target, **options)
        if text is None:
            return targets
        encoded = self._encode(text, text_pair, **options)
        encoded["labels"] = targets["input_ids"]
        return encoded

    def _encode_one(self, text: str, add_special_tokens: bool, verbose: bool) -> BatchEncoding:
        """The common call `tokenizer("some text")`, kept short: it is latency-bound."""
        if self._trunc_state is not None:
            self._set_truncation(None)
        if self._tokenizer.encode_special_tokens:
            self._tokenizer.encode_special_tokens = False
        try:
            encoding = self._tokenizer.encode_batch_fast(
                [text], add_special_tokens=add_special_tokens
            )[0]
        except Exception as exc:
            raise TokenizerError(f"Encoding failed: {exc}") from exc
        ids = encoding.ids
        data = {"input_ids": ids}
        names = self.model_input_names
        if "token_type_ids" in names:
            data["token_type_ids"] = encoding.type_ids
        if "attention_mask" in names:
            data["attention_mask"] = [1] * len(ids)
        if verbose and len(ids) > self.model_max_length:
            self._warn_too_long(len(ids))
        factory = partial(self._full_encodings, [text], add_special_tokens, False)
        return BatchEncoding(data, encodings_factory=factory, n_sequences=1)

    def _full_encodings(self, inputs: list, add_special_tokens: bool, split: bool) -> list:
        self._tokenizer.encode_special_tokens = self.split_special_tokens
        return self._run(inputs, add_special_tokens, split, None, fast=False)

    def _warn_too_long(self, length: int) -> None:
        warn_once(
            "too-long",
            f"Token indices sequence length is longer than the specified maximum sequence "
            f"length for this model ({length} > {self.model_max_length}). Running this "
            "sequence through the model will result in indexing errors.",
        )

    def _encode(
        self,
        text: Any,
        text_pair: Any,
        *,
        add_special_tokens: bool,
        padding: Any,
        truncation: Any,
        max_length: int | None,
        stride: int,
        is_split_into_words: bool,
        pad_to_multiple_of: int | None,
        padding_side: str | None,
        return_tensors: Any,
        return_token_type_ids: bool | None,
        return_attention_mask: bool | None,
        return_overflowing_tokens: bool,
        return_special_tokens_mask: bool,
        return_offsets_mapping: bool,
        return_length: bool,
        verbose: bool,
        split_special_tokens: bool,
    ) -> BatchEncoding:
        if (
            is_split_into_words
            and self._profile.words_need_prefix_space
            and not self._config.get("add_prefix_space", False)
        ):
            raise TokenizerError(
                "Pre-tokenized input (is_split_into_words=True) needs this byte-level tokenizer "
                "to be loaded with add_prefix_space=True: "
                "Tokenizer.from_pretrained(..., add_prefix_space=True)."
            )
        inputs, batched = prepare_inputs(text, text_pair, is_split_into_words)
        is_pair = text_pair is not None and (batched or bool(text_pair))
        if padding is False and truncation is None and max_length is None:
            strategy = NO_STRATEGY
        else:
            strategy = resolve(
                padding,
                truncation,
                max_length,
                pad_to_multiple_of,
                model_max_length=self.model_max_length,
                has_pad_token=self._special["pad_token"] is not None,
            )
        kind = check_tensor_type(return_tensors) if return_tensors is not None else None
        names = self.model_input_names
        fields = Fields(
            token_type_ids="token_type_ids" in names
            if return_token_type_ids is None
            else bool(return_token_type_ids),
            attention_mask="attention_mask" in names
            if return_attention_mask is None
            else bool(return_attention_mask),
            special_tokens_mask=bool(return_special_tokens_mask),
            offset_mapping=bool(return_offsets_mapping),
            length=bool(return_length),
        )
        truncation_target = self._truncation_target(strategy, stride, is_pair)
        pad = self._pad_spec(strategy, pad_to_multiple_of, padding_side)
        if self._tokenizer.encode_special_tokens != split_special_tokens:
            self._tokenizer.encode_special_tokens = split_special_tokens

        # Offsets need the full encode; so do the overflow windows of pairs, whose type ids
        # `encode_batch_fast` gets wrong (tokenizers 0.22).
        full = fields.offset_mapping or (is_pair and return_overflowing_tokens)
        encodings = self._run(
            inputs, add_special_tokens, is_split_into_words, truncation_target, not full
        )
        if return_overflowing_tokens:
            rows, mapping = [], []
            for index, encoding in enumerate(encodings):
                rows.append(encoding)
                overflow = encoding.overflowing
                rows.extend(overflow)
                mapping.extend([index] * (1 + len(overflow)))
        else:
            rows, mapping = encodings, None

        if kind is None:
            data, target, longest = collate_lists(rows, fields, pad)
        else:
            arrays, target, longest = collate_arrays(rows, fields, pad)
            data = {key: from_numpy(value, kind) for key, value in arrays.items()}
        if mapping is not None:
            data["overflow_to_sample_mapping"] = (
                mapping if kind is None else from_numpy(np.asarray(mapping, dtype=np.int64), kind)
            )
        if verbose and truncation_target is None and longest > self.model_max_length:
            self._warn_too_long(longest)

        factory = self._encodings_factory(
            inputs,
            encodings if full else None,
            add_special_tokens,
            is_split_into_words,
            truncation_target,
            split_special_tokens,
            pad,
            target,
            return_overflowing_tokens,
        )
        if not batched and kind is None and not return_overflowing_tokens:
            data = {
                key: value[0] if value and isinstance(value[0], list) else value
                for key, value in data.items()
            }
        return BatchEncoding(data, encodings_factory=factory, n_sequences=2 if is_pair else 1)

    def _truncation_target(self, strategy: Any, stride: int, is_pair: bool) -> tuple | None:
        if strategy.truncation == "do_not_truncate":
            return None
        max_length = strategy.max_length
        needed = self._tokenizer.num_special_tokens_to_add(is_pair)
        if max_length is not None and max_length < needed:
            raise TokenizerError(
                f"max_length={max_length} is smaller than the {needed} special tokens this "
                f"tokenizer adds to {'a pair' if is_pair else 'a text'}; use max_length >= {needed} "
                "(or add_special_tokens=False)."
            )
        if stride and (not isinstance(stride, int) or stride < 0):
            raise TokenizerError(f"stride must be a non-negative int, got {stride!r}.")
        return (max_length, stride, strategy.truncation, self.truncation_side)

    def _pad_spec(self, strategy: Any, multiple: int | None, side: str | None) -> PadSpec:
        if strategy.padding == "do_not_pad":
            return NO_PADDING
        side = side if side is not None else self.padding_side
        if side not in ("left", "right"):
            raise TokenizerError(f"padding_side must be 'left' or 'right', got {side!r}.")
        return PadSpec(
            strategy.padding,
            strategy.max_length,
            multiple,
            side,
            self.pad_token_id,
            self.pad_token_type_id,
            self.pad_token,
        )

    def _set_truncation(self, target: tuple | None) -> None:
        """Configure the Rust truncation, only when it differs from what is set."""
        if target == self._trunc_state:
            return
        if target is None:
            self._tokenizer.no_truncation()
        else:
            max_length, stride, strategy, direction = target
            try:
                self._tokenizer.enable_truncation(
                    max_length, stride=stride, strategy=strategy, direction=direction
                )
            except Exception as exc:
                raise TokenizerError(f"Invalid truncation settings: {exc}") from exc
        self._trunc_state = target

    def _run(
        self,
        inputs: list,
        add_special_tokens: bool,
        split: bool,
        truncation: tuple | None,
        fast: bool,
    ) -> list:
        """One `tokenizers` batch call (without offset tracking when `fast`)."""
        self._set_truncation(truncation)
        encode = self._tokenizer.encode_batch_fast if fast else self._tokenizer.encode_batch
        try:
            return encode(inputs, add_special_tokens=add_special_tokens, is_pretokenized=split)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # includes pyo3's PanicException (a BaseException)
            raise TokenizerError(f"Encoding failed: {_first_line(exc)}") from exc

    def _encodings_factory(
        self,
        inputs: list,
        encodings: list | None,
        add_special_tokens: bool,
        split: bool,
        truncation: tuple | None,
        split_special_tokens: bool,
        pad: PadSpec,
        target: int | None,
        overflow: bool,
    ) -> Any:
        """Builds the full (offset-tracking, padded) encodings when the output needs them."""

        def build() -> list:
            rows = encodings
            if rows is None:
                if self._tokenizer.encode_special_tokens != split_special_tokens:
                    self._tokenizer.encode_special_tokens = split_special_tokens
                rows = self._run(inputs, add_special_tokens, split, truncation, fast=False)
            if target is not None:
                for encoding in rows:
                    encoding.pad(
                        target,
                        direction=pad.side,
                        pad_id=pad.pad_id,
                        pad_type_id=pad.pad_type_id,
                        pad_token=pad.pad_token,
                    )
            if not overflow:
                return rows
            return [row for encoding in rows for row in (encoding, *encoding.overflowing)]

        return build

    def encode(
        self,
        text: Any,
        text_pair: Any = None,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        return_tensors: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """The input ids of one text (or pair)."""
        return self(
            text,
            text_pair,
            add_special_tokens=add_special_tokens,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            stride=stride,
            return_tensors=return_tensors,
            **kwargs,
        )["input_ids"]

    def encode_plus(self, text: Any, text_pair: Any = None, **kwargs: Any) -> BatchEncoding:
        """The reference's name for encoding one text (or pair): same as calling the tokenizer."""
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs: Sequence, **kwargs: Any) -> BatchEncoding:
        """The reference's batch API: a list of texts or of (text, pair) tuples."""
        items = list(batch_text_or_text_pairs)
        split = kwargs.get("is_split_into_words", False)
        if (
            items
            and all(isinstance(item, tuple) and len(item) == 2 for item in items)
            and (not split or isinstance(items[0][0], (list, tuple)))
        ):
            return self([a for a, _ in items], [b for _, b in items], **kwargs)
        return self(items, **kwargs)

    def tokenize(
        self, text: str, pair: str | None = None, add_special_tokens: bool = False, **kwargs: Any
    ) -> list[str]:
        """The token strings of a text (no special tokens unless asked)."""
        return self(
            text, pair, add_special_tokens=add_special_tokens, return_offsets_mapping=True, **kwargs
        ).tokens()

    # ================================================================= padding
    def pad(
        self,
        encoded_inputs: Any,
        padding: bool | str = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Pad already-encoded inputs (a dict of lists, a list of dicts, a BatchEncoding)."""
        from tfx_core.tokenization.padding import pad_inputs

        return pad_inputs(
            self,
            encoded_inputs,
            padding=padding,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side,
            return_attention_mask=return_attention_mask,
            return_tensors=return_tensors,
        )

    # ================================================================ decoding
    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Ids back to text (the tokenizer's decoder, then optional space clean-up)."""
        ids = to_python(token_ids)
        if isinstance(ids, int):
            ids = [ids]
        try:
            text = self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
        except (TypeError, OverflowError, ValueError) as exc:
            raise TokenizerError(
                f"decode() takes a sequence of non-negative token ids, got {token_ids!r:.80}."
            ) from exc
        return self._clean_up(text, clean_up_tokenization_spaces)

    def batch_decode(
        self,
        sequences: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Decode each sequence of ids (one `tokenizers` batch call)."""
        batch = to_python(sequences)
        batch = [[item] if isinstance(item, int) else item for item in batch]
        try:
            texts = self._tokenizer.decode_batch(batch, skip_special_tokens=skip_special_tokens)
        except (TypeError, OverflowError, ValueError) as exc:
            raise TokenizerError(
                "batch_decode() takes a list of sequences of non-negative token ids."
            ) from exc
        return [self._clean_up(text, clean_up_tokenization_spaces) for text in texts]

    def _clean_up(self, text: str, clean_up: bool | None) -> str:
        if clean_up is None:
            clean_up = self.clean_up_tokenization_spaces
        return clean_up_tokenization(text) if clean_up else text

    # ==================================================================== chat
    def apply_chat_template(
        self,
        conversation: Any,
        tools: list[dict] | None = None,
        documents: list[dict] | None = None,
        chat_template: str | None = None,
        add_generation_prompt: bool = False,
        continue_final_message: bool = False,
        tokenize: bool = True,
        padding: bool | str = False,
        truncation: bool = False,
        max_length: int | None = None,
        return_tensors: str | None = None,
        return_dict: bool = False,
        return_assistant_tokens_mask: bool = False,
        tokenizer_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Render a conversation (or a batch) with the checkpoint's chat template.

        Returns the prompt string(s) with `tokenize=False`, else the ids (or, with
        `return_dict=True`, the `BatchEncoding`). Extra keyword arguments reach the template.
        """
        if return_dict and not tokenize:
            raise TokenizerError("return_dict=True needs tokenize=True.")
        if return_assistant_tokens_mask:
            raise TokenizerError("return_assistant_tokens_mask is not supported by tfx yet.")
        source = chat.select_template(self.chat_template, chat_template, tools)
        batched = (
            isinstance(conversation, (list, tuple))
            and bool(conversation)
            and (isinstance(conversation[0], (list, tuple)) or hasattr(conversation[0], "messages"))
        )
        conversations = list(conversation) if batched else [conversation]
        rendered = chat.render(
            conversations,
            source,
            add_generation_prompt=add_generation_prompt,
            continue_final_message=continue_final_message,
            tools=tools,
            documents=documents,
            variables={**self.special_tokens_map, **kwargs},
        )
        prompt: Any = rendered if batched else rendered[0]
        if not tokenize:
            return prompt
        encoded = self(
            prompt,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            add_special_tokens=False,
            return_tensors=return_tensors,
            **(tokenizer_kwargs or {}),
        )
        return encoded if return_dict else encoded["input_ids"]

    # ================================================================== saving
    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        *,
        push_to_hub: bool = False,
        repo_id: str | None = None,
        **hub_kwargs: Any,
    ) -> tuple[str, ...]:
        """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json.

        The reference library loads the folder to an identical tokenizer. Each file is written
        to a temporary name first and renamed into place, so readers never see half a file.
        With `push_to_hub=True` the folder is then uploaded to `repo_id` (default: its name).
        """
        from tfx_core.tokenization.saving import save_tokenizer

        if hub_kwargs and not push_to_hub:
            raise TokenizerError(
                f"Unknown save_pretrained argument(s): {', '.join(sorted(hub_kwargs))}."
            )
        folder = Path(save_directory)
        written = save_tokenizer(self, folder)
        if push_to_hub:
            from tfx_core import hub

            hub.push_to_hub(folder, repo_id or folder.name, **hub_kwargs)
        return written

    def push_to_hub(self, repo_id: str, **hub_kwargs: Any) -> str:
        """Save to a temporary folder and upload it to the Hub repository `repo_id`."""
        import tempfile

        from tfx_core import hub
        from tfx_core.tokenization.saving import save_tokenizer

        with tempfile.TemporaryDirectory() as tmp:
            save_tokenizer(self, Path(tmp))
            return hub.push_to_hub(tmp, repo_id, **hub_kwargs)

    # ==================================================================== misc
    def __repr__(self) -> str:
        return (
            f"Tokenizer(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length if self.model_max_length <= LARGE_INTEGER else None}, "
            f"padding_side={self.padding_side!r}, truncation_side={self.truncation_side!r}, "
            f"special_tokens={self.special_tokens_map})"
        )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def clean_up_tokenization(text: str) -> str:
    """The reference's clean-up of spaces before punctuation and English contractions."""
    return (
        text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
    )


__all__ = ["Tokenizer", "clean_up_tokenization"]
