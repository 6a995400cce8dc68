"""Encoding for `Tokenizer`: texts, pairs and batches to model inputs.

Encoding runs in `tokenizers` batch calls; truncation is set on the Rust pipeline per call (and
only changed when a call asks for something different), padding is done by `collate` so that no
padding stored in `tokenizer.json` can leak into a call that did not ask for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.batch_encoding import BatchEncoding
from tfx_core.tokenization.collate import (
    NO_PADDING,
    Fields,
    PadSpec,
    collate_arrays,
    collate_lists,
)
from tfx_core.tokenization.inputs import prepare_inputs
from tfx_core.tokenization.strategies import NO_STRATEGY, resolve, warn_once
from tfx_core.tokenization.tensors import check_tensor_type, from_numpy

_CALL_OPTIONS = frozenset({"split_special_tokens", "text_target", "text_pair_target"})


class EncodingMixin:
    """The encoding half of `Tokenizer`: `__call__`, `encode`, `batch_encode_plus`, `pad`, ..."""

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
        self._switch_to_target_mode()
        try:
            targets = self._encode(text_target, text_pair_target, **options)
        finally:
            self._switch_to_input_mode()
        if text is None:
            return targets
        encoded = self._encode(text, text_pair, **options)
        encoded["labels"] = targets["input_ids"]
        return encoded

    def _switch_to_input_mode(self) -> None:
        """Encode sources from now on (translation tokenizers: the source language's codes)."""

    def _switch_to_target_mode(self) -> None:
        """Encode targets (`text_target`) from now on; the reference's hook of the same name."""

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

        # Offsets need the full encode; so do pairs whose type ids `encode_batch_fast` gets wrong
        # (tokenizers 0.22): overflow windows, and any pair when no post-processor sets them.
        full = fields.offset_mapping or (
            is_pair and (return_overflowing_tokens or self._tokenizer.post_processor is None)
        )
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


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
