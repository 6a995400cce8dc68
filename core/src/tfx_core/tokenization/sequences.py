"""Model inputs from ids the caller already has: the reference's `prepare_for_model` family.

`build_inputs_with_special_tokens`, `create_token_type_ids_from_sequences`,
`get_special_tokens_mask`, `truncate_sequences` and `prepare_for_model` work on lists of ids. The
special tokens come from the backend's own post-processor (read from its serialized state), so
they are exactly what encoding text adds: `[CLS] A [SEP] B [SEP]`, `<s> A </s></s> B </s>`,
`A </s>`, ...
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.batch_encoding import BatchEncoding
from tfx_core.tokenization.strategies import resolve, truncation_strategy, warn_once
from tfx_core.tokenization.tensors import to_python

#: One template item: ("A" | "B", type id) for a sequence, or (list of ids, type id) for a
#: special token.
Item = tuple[Any, int]


def _processor_templates(state: dict[str, Any] | None) -> tuple[list[Item], list[Item]]:
    """(single, pair) templates of a serialized post-processor."""
    plain = ([("A", 0)], [("A", 0), ("B", 1)])
    if not state:
        return plain
    kind = state.get("type")
    if kind == "Sequence":
        for inner in state.get("processors", []):
            if inner.get("type") not in ("ByteLevel", None):
                return _processor_templates(inner)
        return plain
    if kind in ("BertProcessing", "RobertaProcessing"):
        cls, sep = [state["cls"][1]], [state["sep"][1]]
        if kind == "BertProcessing":
            return [(cls, 0), ("A", 0), (sep, 0)], [
                (cls, 0),
                ("A", 0),
                (sep, 0),
                ("B", 1),
                (sep, 1),
            ]
        pair = [(cls, 0), ("A", 0), (sep, 0), (sep, 0), ("B", 0), (sep, 0)]
        return [(cls, 0), ("A", 0), (sep, 0)], pair
    if kind == "TemplateProcessing":
        specials = {name: spec["ids"] for name, spec in state.get("special_tokens", {}).items()}

        def parse(items: list[dict]) -> list[Item]:
            parsed: list[Item] = []
            for item in items:
                if "Sequence" in item:
                    parsed.append((item["Sequence"]["id"], item["Sequence"]["type_id"]))
                else:
                    token = item["SpecialToken"]
                    parsed.append((specials[token["id"]], token["type_id"]))
            return parsed

        return parse(state["single"]), parse(state["pair"])
    return plain  # ByteLevel and others add nothing


class SequenceBuildingMixin:
    """The reference's id-level API on `Tokenizer`."""

    def _templates(self) -> tuple[list[Item], list[Item]]:
        processor = self._tokenizer.post_processor
        state = json.loads(processor.__getstate__()) if processor is not None else None
        return _processor_templates(state)

    def _assemble(
        self, ids_0: Sequence[int], ids_1: Sequence[int] | None
    ) -> tuple[list[int], list[int], list[int]]:
        """(ids, token type ids, special-tokens mask) of one text or pair with its specials."""
        single, pair = self._templates()
        ids, types, mask = [], [], []
        for part, type_id in pair if ids_1 is not None else single:
            if part in ("A", "B"):
                piece = list(ids_0 if part == "A" else ids_1 or [])
                ids += piece
                types += [type_id] * len(piece)
                mask += [0] * len(piece)
            else:
                ids += part
                types += [type_id] * len(part)
                mask += [1] * len(part)
        return ids, types, mask

    def build_inputs_with_special_tokens(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """`ids` (and a pair) with the special tokens this tokenizer adds around them."""
        return self._assemble(token_ids_0, token_ids_1)[0]

    def create_token_type_ids_from_sequences(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """The token type ids of `build_inputs_with_special_tokens(token_ids_0, token_ids_1)`."""
        return self._assemble(token_ids_0, token_ids_1)[1]

    def get_special_tokens_mask(
        self,
        token_ids_0: list[int],
        token_ids_1: list[int] | None = None,
        already_has_special_tokens: bool = False,
    ) -> list[int]:
        """1 for each special token, 0 for each sequence token."""
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise TokenizerError(
                    "get_special_tokens_mask(already_has_special_tokens=True) takes one list of "
                    "ids (the pair is already in it)."
                )
            special = set(self.all_special_ids)
            return [1 if index in special else 0 for index in to_python(token_ids_0)]
        return self._assemble(token_ids_0, token_ids_1)[2]

    def truncate_sequences(
        self,
        ids: list[int],
        pair_ids: list[int] | None = None,
        num_tokens_to_remove: int = 0,
        truncation_strategy: Any = "longest_first",
        stride: int = 0,
    ) -> tuple[list[int], list[int] | None, list[int]]:
        """(ids, pair_ids, overflowing) with `num_tokens_to_remove` tokens taken away."""
        ids = list(ids)
        pair_ids = list(pair_ids) if pair_ids is not None else None
        if num_tokens_to_remove <= 0:
            return ids, pair_ids, []
        strategy = _strategy_name(truncation_strategy)
        left = self.truncation_side == "left"
        if strategy == "only_first" or (strategy == "longest_first" and pair_ids is None):
            ids, overflow = _cut(ids, num_tokens_to_remove, stride, left, "first")
            return ids, pair_ids, overflow
        if strategy == "only_second":
            if pair_ids is None:
                return ids, pair_ids, []
            pair_ids, overflow = _cut(pair_ids, num_tokens_to_remove, stride, left, "second")
            return ids, pair_ids, overflow
        if strategy == "longest_first":
            # As the reference: even out the lengths first, then split what is left.
            first = min(abs(len(pair_ids) - len(ids)), num_tokens_to_remove)
            rest = num_tokens_to_remove - first
            if len(ids) > len(pair_ids):
                from_ids, from_pair = first + rest // 2, rest - rest // 2
            else:
                from_ids, from_pair = rest // 2, first + rest - rest // 2
            ids = ids[from_ids:] if left else ids[: len(ids) - from_ids]
            pair_ids = pair_ids[from_pair:] if left else pair_ids[: len(pair_ids) - from_pair]
            return ids, pair_ids, []
        return ids, pair_ids, []

    def prepare_for_model(
        self,
        ids: list[int],
        pair_ids: list[int] | None = None,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
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
        prepend_batch_axis: bool = False,
        **kwargs: Any,
    ) -> BatchEncoding:
        """Model inputs for ids already tokenized: truncated, with special tokens, padded."""
        if return_offsets_mapping:
            raise TokenizerError(
                "prepare_for_model() works on ids and has no offsets; call the tokenizer on the "
                "text with return_offsets_mapping=True instead."
            )
        if kwargs:
            raise TokenizerError(f"Unknown prepare_for_model argument(s): {', '.join(kwargs)}.")
        ids = list(to_python(ids))
        pair_ids = list(to_python(pair_ids)) if pair_ids is not None else None
        names = self.model_input_names
        if return_token_type_ids is None:
            return_token_type_ids = "token_type_ids" in names
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in names
        strategy = resolve(
            padding,
            truncation,
            max_length,
            pad_to_multiple_of,
            model_max_length=self.model_max_length,
            has_pad_token=self.pad_token is not None,
        )
        pair = pair_ids is not None
        added = self.num_special_tokens_to_add(pair=pair) if add_special_tokens else 0
        total = len(ids) + len(pair_ids or []) + added
        encoded: dict[str, Any] = {}
        limit = strategy.max_length
        overflow: list[int] = []
        if strategy.truncation != "do_not_truncate" and limit and total > limit:
            ids, pair_ids, overflow = self.truncate_sequences(
                ids, pair_ids, total - limit, strategy.truncation, stride
            )
        if return_overflowing_tokens:  # as the reference: also when nothing was cut
            encoded["overflowing_tokens"] = overflow
            encoded["num_truncated_tokens"] = total - (limit or 0)
        if add_special_tokens:
            sequence, types, mask = self._assemble(ids, pair_ids)
        else:
            sequence = ids + (pair_ids or [])
            types, mask = [0] * len(sequence), [0] * len(sequence)
        encoded["input_ids"] = sequence
        if return_token_type_ids:
            encoded["token_type_ids"] = types
        if return_special_tokens_mask:
            encoded["special_tokens_mask"] = mask
        if verbose and len(sequence) > self.model_max_length:
            self._warn_too_long(len(sequence))
        if strategy.padding != "do_not_pad" or return_attention_mask:
            encoded = dict(
                self.pad(
                    encoded,
                    padding=strategy.padding if strategy.padding != "do_not_pad" else False,
                    max_length=strategy.max_length,
                    pad_to_multiple_of=pad_to_multiple_of,
                    padding_side=padding_side,
                    return_attention_mask=return_attention_mask,
                )
            )
        if return_length:
            encoded["length"] = len(encoded["input_ids"])
        result = BatchEncoding(encoded, n_sequences=2 if pair else 1)
        if return_tensors is not None:
            if not prepend_batch_axis:
                raise TokenizerError(
                    "prepare_for_model(return_tensors=...) needs prepend_batch_axis=True (one "
                    "example has no batch axis)."
                )
            result = BatchEncoding(
                {k: [v] if k != "num_truncated_tokens" else v for k, v in result.items()},
                n_sequences=2 if pair else 1,
            ).convert_to_tensors(return_tensors)
        return result


def _strategy_name(value: Any) -> str:
    name = truncation_strategy(value)
    if name in ("longest_first", "only_first", "only_second", "do_not_truncate"):
        return name
    raise TokenizerError(
        f"Unknown truncation strategy {value!r}; use longest_first, only_first or only_second."
    )


def _cut(
    ids: list[int], count: int, stride: int, left: bool, which: str
) -> tuple[list[int], list[int]]:
    if len(ids) <= count:  # the reference logs this and leaves the ids as they are
        warn_once(
            f"cannot-truncate-{which}",
            f"Cannot remove {count} tokens from the {which} sequence: it has only {len(ids)}; "
            "it is left untruncated. Use a larger max_length or another truncation strategy.",
        )
        return ids, []
    window = min(len(ids), stride + count)
    if left:
        return ids[count:], ids[:window]
    return ids[: len(ids) - count], ids[len(ids) - window :]
