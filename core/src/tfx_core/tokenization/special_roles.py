"""Special-token roles of a `Tokenizer`: `pad_token`, `cls_token`, ..., their ids, and adding tokens.

The roles are stored as `tokenizers.AddedToken` objects (or strings) in `self._special`; the
attributes below read and set them as the reference's tokenizers do (a role's `*_id` looks the
token up in the vocabulary; setting a role to a new token does not add it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tokenizers import AddedToken

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import backend as backend_utils
from tfx_core.tokenization.special_tokens import (
    SPECIAL_TOKEN_ATTRIBUTES,
    SpecialTokenAttribute,
    SpecialTokenIdAttribute,
    TokenLike,
    as_special_added_token,
    parse_token_list,
)

#: Options every reference fast tokenizer has as an attribute, when the config does not set them.
_OPTION_DEFAULTS = {"add_prefix_space": False, "verbose": True}


class SpecialTokensMixin:
    """The special-token half of `Tokenizer` (roles, ids, `add_tokens`, `add_special_tokens`)."""

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

    # ============================================================ special tokens
    @property
    def additional_special_tokens(self) -> list[str] | None:
        """The extra special tokens (None after it was set to None, as in the reference)."""
        if self.__dict__.get("_additional_cleared"):
            return None
        return [str(token) for token in self._special["additional_special_tokens"]]

    @additional_special_tokens.setter
    def additional_special_tokens(self, values: Iterable[TokenLike] | None) -> None:
        """Replace the list (None clears it); like the reference, adds nothing to the vocabulary."""
        self._additional_cleared = values is None
        self._special["additional_special_tokens"] = parse_token_list(
            None if values is None else list(values), role="additional_special_tokens"
        )

    @property
    def additional_special_tokens_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.additional_special_tokens or [])

    @additional_special_tokens_ids.setter
    def additional_special_tokens_ids(self, values: Iterable[int] | None) -> None:
        tokens = None if values is None else [self.convert_ids_to_tokens(int(v)) for v in values]
        if tokens is not None and None in tokens:
            raise TokenizerError(
                f"additional_special_tokens_ids: {values!r} has ids outside the vocabulary."
            )
        self.additional_special_tokens = tokens

    @property
    def pad_token_type_id(self) -> int:
        return self._profile.pad_token_type_id

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
        # tokenizer_config.json options read as attributes, as the reference's classes keep
        # them (`do_lower_case`, `add_prefix_space`, `trim_offsets`, `legacy`, ...).
        config = self.__dict__.get("_config")
        if config is not None and name in config and not name.startswith("_"):
            return config[name]
        if name in _OPTION_DEFAULTS:
            return _OPTION_DEFAULTS[name]
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
                self._additional_cleared = False
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
