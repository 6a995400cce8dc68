"""Turn `padding=` / `truncation=` / `max_length=` arguments into one decision, like the reference.

The reference's rules are subtle and scripts depend on them: `max_length` alone turns on
truncation, `padding=True` pads to the longest row, a missing `max_length` falls back to the
model's maximum (unless the config has none), and so on. Keeping them in one small function
makes the rules testable on their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tfx_core.errors import TokenizerError

logger = logging.getLogger("tfx_core.tokenization")

#: The reference stores "no maximum" as int(1e30); anything above this means "none".
LARGE_INTEGER = int(1e20)
VERY_LARGE_INTEGER = int(1e30)
#: Padding to `max_length` builds rows that long: beyond this it is a mistake, not a request.
MAX_PADDED_LENGTH = 1 << 24

PADDING_STRATEGIES = ("longest", "max_length", "do_not_pad")
TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second", "do_not_truncate")

_warned: set[str] = set()


def warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message)


@dataclass(frozen=True)
class Strategy:
    """The resolved padding and truncation of one call."""

    padding: str  # "longest" | "max_length" | "do_not_pad"
    truncation: str  # one of TRUNCATION_STRATEGIES
    max_length: int | None


def _enum_value(value: object) -> object:
    """Accept the reference's enum members (PaddingStrategy.LONGEST) as their string values."""
    inner = getattr(value, "value", None)
    return inner if isinstance(inner, str) else value


def padding_strategy(padding: object) -> str:
    padding = _enum_value(padding)
    if padding is False or padding is None:
        return "do_not_pad"
    if padding is True:
        return "longest"
    if padding in PADDING_STRATEGIES:
        return padding  # type: ignore[return-value]
    raise TokenizerError(
        f"padding={padding!r} is not valid: use True/'longest', 'max_length', or False/'do_not_pad'."
    )


def truncation_strategy(truncation: object) -> str:
    truncation = _enum_value(truncation)
    if truncation is False or truncation is None:
        return "do_not_truncate"
    if truncation is True:
        return "longest_first"
    if truncation in TRUNCATION_STRATEGIES:
        return truncation  # type: ignore[return-value]
    raise TokenizerError(
        f"truncation={truncation!r} is not valid: use True/'longest_first', 'only_first', "
        "'only_second', or False/'do_not_truncate'."
    )


def resolve(
    padding: object,
    truncation: object,
    max_length: int | None,
    pad_to_multiple_of: int | None,
    *,
    model_max_length: int,
    has_pad_token: bool,
) -> Strategy:
    """The reference's `_get_padding_truncation_strategies`, returning a `Strategy`."""
    if max_length is not None and padding is False and truncation is None:
        truncation = "longest_first"  # the reference's backward-compatible default
    pad = padding_strategy(padding)
    trunc = truncation_strategy(truncation)
    if max_length is not None and (not isinstance(max_length, int) or max_length < 0):
        raise TokenizerError(f"max_length must be a non-negative int, got {max_length!r}.")
    if pad_to_multiple_of is not None and (
        not isinstance(pad_to_multiple_of, int) or pad_to_multiple_of <= 0
    ):
        raise TokenizerError(
            f"pad_to_multiple_of must be a positive int, got {pad_to_multiple_of!r}."
        )

    if max_length is None:
        unlimited = model_max_length > LARGE_INTEGER
        if pad == "max_length":
            if unlimited:
                warn_once(
                    "pad-no-max",
                    "Asked to pad to max_length but neither max_length nor the tokenizer's "
                    "model_max_length is set: not padding.",
                )
                pad = "do_not_pad"
            else:
                max_length = model_max_length
        if trunc != "do_not_truncate":
            if unlimited:
                warn_once(
                    "truncate-no-max",
                    "Asked to truncate but neither max_length nor the tokenizer's "
                    "model_max_length is set: not truncating.",
                )
                trunc = "do_not_truncate"
            else:
                max_length = model_max_length

    if pad == "max_length" and max_length is not None and max_length > MAX_PADDED_LENGTH:
        raise TokenizerError(
            f"Asked to pad every row to {max_length} tokens; tfx pads to at most "
            f"{MAX_PADDED_LENGTH}. Pass a smaller max_length (the model's context is usually "
            "512-131072), or padding='longest'."
        )
    if pad != "do_not_pad" and not has_pad_token:
        raise TokenizerError(
            "Asked to pad, but the tokenizer has no padding token. Set one, e.g. "
            "`tokenizer.pad_token = tokenizer.eos_token`, or add one with "
            "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`."
        )
    if (
        trunc != "do_not_truncate"
        and pad != "do_not_pad"
        and pad_to_multiple_of is not None
        and max_length is not None
        and max_length % pad_to_multiple_of
    ):
        raise TokenizerError(
            f"Truncation and padding are both on, but the truncation length ({max_length}) is not "
            f"a multiple of pad_to_multiple_of ({pad_to_multiple_of})."
        )
    return Strategy(pad, trunc, max_length)


NO_STRATEGY = Strategy("do_not_pad", "do_not_truncate", None)
