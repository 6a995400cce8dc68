"""Special tokens as the reference's config files describe them.

`tokenizer_config.json` and `special_tokens_map.json` give each role (`pad_token`, `cls_token`,
...) either as a plain string or as an AddedToken dict (`{"content": "<mask>", "lstrip": true,
...}`); the flags matter, because they decide how the token is matched in text. This module turns
both forms into `tokenizers.AddedToken` objects and back, so a load-save round trip keeps them.
"""

from __future__ import annotations

from typing import Any

from tokenizers import AddedToken

from tfx_core.errors import TokenizerError

#: The special-token roles every tokenizer knows, in the reference's order.
SPECIAL_TOKEN_ATTRIBUTES: tuple[str, ...] = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
    "additional_special_tokens",
)
SINGLE_TOKEN_ATTRIBUTES = SPECIAL_TOKEN_ATTRIBUTES[:-1]

_ADDED_TOKEN_FIELDS = ("content", "single_word", "lstrip", "rstrip", "normalized", "special")

TokenLike = str | AddedToken


def token_from_dict(data: dict[str, Any], *, special: bool | None = None) -> AddedToken:
    """An AddedToken from its serialized dict (`__type` and `id` keys are ignored)."""
    fields = {key: data[key] for key in _ADDED_TOKEN_FIELDS if key in data}
    if not isinstance(fields.get("content"), str):
        raise TokenizerError(
            f"Invalid added-token entry {data!r}: it needs a string 'content'. "
            "Fix the tokenizer_config.json / special_tokens_map.json entry."
        )
    flags = [key for key in _ADDED_TOKEN_FIELDS[1:] if not isinstance(fields.get(key, True), bool)]
    if flags:
        raise TokenizerError(
            f"Invalid added-token entry {data!r}: {', '.join(flags)} must be true or false. "
            "Fix the tokenizer_config.json / special_tokens_map.json entry."
        )
    if special is not None:
        fields["special"] = special
    return AddedToken(**fields)


def parse_token(value: Any, *, role: str, special: bool | None = None) -> TokenLike | None:
    """A config value for one special-token role: a string, an AddedToken dict, or None."""
    if value is None or isinstance(value, (str, AddedToken)):
        return value
    if isinstance(value, dict):
        return token_from_dict(value, special=special)
    raise TokenizerError(
        f"Special token {role!r} must be a string or an AddedToken dict, got {value!r}."
    )


def parse_token_list(value: Any, *, role: str) -> list[TokenLike]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise TokenizerError(f"{role!r} must be a list of tokens, got {value!r}.")
    return [parse_token(item, role=role, special=True) for item in value]  # type: ignore[misc]


def token_to_dict(token: AddedToken) -> dict[str, Any]:
    """The reference's serialization of one AddedToken (content plus its matching flags)."""
    state = token.__getstate__()
    return {key: state[key] for key in _ADDED_TOKEN_FIELDS}


def serialize_token(value: TokenLike | None, *, with_type: bool, with_special: bool = True) -> Any:
    """A special token as the reference writes it into tokenizer_config / special_tokens_map."""
    if not isinstance(value, AddedToken):
        return value
    data = token_to_dict(value)
    if not with_special:
        data.pop("special")
    if with_type:
        data = {"__type": "AddedToken", **data}
    return data


def as_special_added_token(value: TokenLike) -> AddedToken:
    """What the reference registers for a special token given as a plain string."""
    if isinstance(value, AddedToken):
        return value
    return AddedToken(value, special=True)


class SpecialTokenAttribute:
    """`tokenizer.pad_token`: the token string of a role (None when unset); assignable."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj._special[self.role]
        return None if value is None else str(value)

    def __set__(self, obj: Any, value: Any) -> None:
        obj._special[self.role] = parse_token(value, role=self.role)


class SpecialTokenIdAttribute:
    """`tokenizer.pad_token_id`: the id of a role's token (None when unset); assignable."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj._special[self.role]
        return None if value is None else obj.convert_tokens_to_ids(str(value))

    def __set__(self, obj: Any, value: Any) -> None:
        obj._special[self.role] = None if value is None else obj.convert_ids_to_tokens(int(value))
