"""`Tokenizer`: one HF-compatible tokenizer class over the `tokenizers` library.

This module holds loading, configuration and the vocabulary; the class is assembled from one
module per concern: `special_roles` (special tokens), `encoding` (texts to ids), `decoding`,
`conversation` (chat templates) and `saving`. Behaviour follows the reference library's fast
tokenizers so checkpoints tokenize as their authors did.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tokenizers import AddedToken
from tokenizers import Tokenizer as RustTokenizer

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import backend as backend_utils
from tfx_core.tokenization import files, legacy, loading
from tfx_core.tokenization.conversation import ChatMixin
from tfx_core.tokenization.decoding import DecodingMixin, clean_up_tokenization
from tfx_core.tokenization.encoding import EncodingMixin
from tfx_core.tokenization.profiles import ClassProfile, profile_for, profile_for_model_type
from tfx_core.tokenization.saving import SavingMixin
from tfx_core.tokenization.sequences import SequenceBuildingMixin
from tfx_core.tokenization.special_roles import SpecialTokensMixin
from tfx_core.tokenization.special_tokens import (
    SINGLE_TOKEN_ATTRIBUTES,
    SPECIAL_TOKEN_ATTRIBUTES,
    TokenLike,
    parse_token,
    parse_token_list,
    token_from_dict,
)
from tfx_core.tokenization.strategies import (
    LARGE_INTEGER,
    VERY_LARGE_INTEGER,
)
from tfx_core.tokenization.tensors import to_python


class Tokenizer(
    SpecialTokensMixin,
    EncodingMixin,
    SequenceBuildingMixin,
    DecodingMixin,
    ChatMixin,
    SavingMixin,
):
    """Text to model inputs and back, HF-compatible (`tokenizer.json` + config files).

    Build one with `Tokenizer.from_pretrained(folder_or_hub_id)`, or wrap a
    `tokenizers.Tokenizer` directly: `Tokenizer(tokenizers_object, pad_token="[PAD]", ...)` with
    any `tokenizer_config.json` keys as keyword arguments. Like the reference, one instance
    configures its Rust truncation per call: share it across threads only for calls that use
    the same truncation settings (or give each thread its own copy).
    """

    is_fast = True
    #: The reference's class-level tables, for code that reads them.
    SPECIAL_TOKENS_ATTRIBUTES = list(SPECIAL_TOKEN_ATTRIBUTES)
    vocab_files_names = {"tokenizer_file": "tokenizer.json"}
    pretrained_vocab_files_map: dict[str, dict[str, str]] = {}
    #: The reference class this class stands for ("BertTokenizer" on `BertTokenizerFast`);
    #: decides the converter and the class defaults in `from_pretrained`.
    reference_class: str | None = None
    clean_up_tokenization = staticmethod(clean_up_tokenization)

    def __init__(
        self,
        tokenizer_object: RustTokenizer | str | os.PathLike | None = None,
        *files_in_order: str | os.PathLike,
        name_or_path: str = "",
        tokenizer_file: str | os.PathLike | None = None,
        **config: Any,
    ):
        """Wrap a `tokenizers.Tokenizer`, or build from files as the reference's constructors
        do: `tokenizer_file="tokenizer.json"`, or the legacy files (`vocab_file=`,
        `merges_file=`, or positionally: `BertTokenizerFast("vocab.txt")`)."""
        if self.reference_class is not None:
            config.setdefault("tokenizer_class", self.reference_class)
        if isinstance(tokenizer_object, RustTokenizer):
            backend = copy.deepcopy(tokenizer_object)
        elif tokenizer_object is not None and (
            not isinstance(tokenizer_object, (str, os.PathLike)) or "tokenizer_class" not in config
        ):
            raise TokenizerError(
                f"{type(self).__name__}() wraps a tokenizers.Tokenizer, got "
                f"{type(tokenizer_object).__name__}. Use {type(self).__name__}.from_pretrained("
                "folder_or_hub_id) to load from files, or a named class for vocabulary files "
                "(BertTokenizerFast('vocab.txt'))."
            )
        elif tokenizer_file is not None:
            backend = backend_utils.load_tokenizer_file(tokenizer_file)
        else:
            positional = [tokenizer_object, *files_in_order] if tokenizer_object else []
            backend = loading.convert_files(positional, config)
        self._setup(backend, config, name_or_path, None)

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

        `tokenizer.json` is used when present; otherwise a converter reads the legacy files
        (vocab.txt, vocab.json + merges.txt, SentencePiece .model, ...).
        """
        folder = files.resolve_folder(
            path_or_id,
            revision=revision,
            local_files_only=local_files_only,
            cache_dir=cache_dir,
            token=token,
            extra_patterns=legacy.converter_files(),
        )
        if cls.reference_class is not None:  # `BertTokenizerFast.from_pretrained`: that class
            overrides.setdefault("tokenizer_class", cls.reference_class)
        config, model_type = loading.read_config(folder, overrides)
        backend = loading.load_backend(folder, config, model_type)
        if cls is Tokenizer or cls.__module__ == "tfx_core.tokenization.classes":
            # As AutoTokenizer: the class the checkpoint names (a plugin's own class first).
            from tfx_core.tokenization.classes import resolve_class

            resolved = resolve_class(config.get("tokenizer_class"), model_type)
            cls = resolved if cls is Tokenizer or issubclass(resolved, cls) else cls
        tokenizer = cls.__new__(cls)
        tokenizer._setup(backend, config, str(path_or_id), model_type)
        tokenizer._read_folder(folder)
        return tokenizer

    def _read_folder(self, folder: Any) -> None:
        """After loading from `folder`: the `kept_files` present there are read into memory
        (written back by `save_pretrained`); a subclass may read more (Marian's target-side
        SentencePiece model, ...)."""
        folder = Path(folder)
        self._files = {
            name: (folder / name).read_bytes()
            for name in self.kept_files
            if (folder / name).is_file()
        }

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
            # As the reference: a role given as an AddedToken is (re-)added with its flags (a
            # converter's `<mask>` becomes lstrip), a plain string only when it is missing.
            if (isinstance(token, AddedToken) and token not in to_add) or str(
                token
            ) not in contents:
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

    # ============================================================ reference API
    @property
    def init_kwargs(self) -> dict[str, Any]:
        """The tokenizer_config.json this tokenizer would save (the reference's `init_kwargs`)."""
        from tfx_core.tokenization.saving import tokenizer_config

        config = tokenizer_config(self)
        config.pop("added_tokens_decoder", None)
        if self.name_or_path:
            config["name_or_path"] = self.name_or_path
        return config

    @property
    def init_inputs(self) -> tuple:
        return ()

    @property
    def decoder(self) -> Any:
        """The backend's decoder (a `tokenizers.decoders.Decoder`, or None)."""
        return self._tokenizer.decoder

    @staticmethod
    def convert_added_tokens(obj: Any, save: bool = False, add_type_field: bool = True) -> Any:
        """AddedToken <-> dict through nested lists and dicts, as the reference's config I/O."""
        from tfx_core.tokenization.special_tokens import serialize_token, token_from_dict

        if isinstance(obj, dict) and obj.get("__type") == "AddedToken" and not save:
            return token_from_dict(obj)
        if isinstance(obj, AddedToken) and save:
            return serialize_token(obj, with_type=add_type_field)
        if isinstance(obj, (list, tuple)):
            return [Tokenizer.convert_added_tokens(o, save, add_type_field) for o in obj]
        if isinstance(obj, dict):
            return {
                k: Tokenizer.convert_added_tokens(v, save, add_type_field) for k, v in obj.items()
            }
        return obj

    def train_new_from_iterator(
        self,
        text_iterator: Iterable[str] | Iterable[list[str]],
        vocab_size: int,
        length: int | None = None,
        new_special_tokens: list[Any] | None = None,
        special_tokens_map: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Tokenizer:
        """A new tokenizer of the same kind (normalization, pre-tokenization, template) trained
        on `text_iterator` with a vocabulary of `vocab_size`."""
        from tfx_core.tokenization.training import train_like

        return train_like(
            self, text_iterator, vocab_size, length, new_special_tokens, special_tokens_map, kwargs
        )

    # ==================================================================== misc
    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length if self.model_max_length <= LARGE_INTEGER else None}, "
            f"padding_side={self.padding_side!r}, truncation_side={self.truncation_side!r}, "
            f"special_tokens={self.special_tokens_map})"
        )


__all__ = ["Tokenizer", "clean_up_tokenization"]
