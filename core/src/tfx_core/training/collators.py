"""Data collators: turn a list of examples (dicts) into a batch of padded tensors.

Names and behaviour follow the reference: `default_data_collator`, `DataCollatorWithPadding`,
`DataCollatorForTokenClassification`, `DataCollatorForLanguageModeling` (masked or causal LM),
`DataCollatorForSeq2Seq`. A `label` / `label_ids` column becomes `labels`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from tfx_core.errors import ConfigError, TokenizerError
from tfx_core.training import masking

IGNORE_INDEX = -100
# Padding value per model input; anything else listed here is padded with the tokenizer's pad id.
_PAD_VALUES = {"attention_mask": 0, "token_type_ids": 0, "special_tokens_mask": 1}
_SEQUENCE_KEYS = ("input_ids", "attention_mask", "token_type_ids", "special_tokens_mask")


def _as_list(value: Any) -> list[Any]:
    return value.tolist() if hasattr(value, "tolist") else list(value)


def _rename_labels(feature: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(feature)
    for name in ("label", "label_ids"):
        if name in out and "labels" not in out:
            out["labels"] = out.pop(name)
    return out


def pad_rows(
    rows: Sequence[Sequence[int]],
    value: int,
    *,
    side: str = "right",
    length: int | None = None,
    multiple: int | None = None,
) -> torch.Tensor:
    """Stack ragged integer rows into one `[batch, length]` tensor, padded with `value`."""
    longest = max((len(row) for row in rows), default=0)
    length = max(length or 0, longest)
    if multiple:
        length = -(-length // multiple) * multiple
    out = torch.full((len(rows), length), value, dtype=torch.long)
    for i, row in enumerate(rows):
        if len(row) == 0:
            continue
        data = torch.as_tensor(_as_list(row), dtype=torch.long)
        if side == "left":
            out[i, length - len(row) :] = data
        else:
            out[i, : len(row)] = data
    return out


def _stack(values: list[Any]) -> torch.Tensor:
    if isinstance(values[0], torch.Tensor):
        return torch.stack(values)
    return torch.tensor([v.tolist() if hasattr(v, "tolist") else v for v in values])


def _is_sequence(value: Any) -> bool:
    return isinstance(value, list | tuple) or (hasattr(value, "ndim") and value.ndim > 0)


def pad_labels(values: list[Any], pad: int, *, side: str = "right", length: int | None = None):
    """Per-token labels padded with `pad` (-100); per-example labels stacked."""
    if not _is_sequence(values[0]):
        return _stack(values)
    return pad_rows(values, pad, side=side, length=length)


def default_data_collator(features: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
    """Stack equal-shaped features (already padded); `label` becomes `labels`."""
    if not features:
        raise ConfigError("Cannot collate an empty list of examples.")
    rows = [_rename_labels(feature) for feature in features]
    batch = {}
    for key, value in rows[0].items():
        if value is None or isinstance(value, str):
            continue
        batch[key] = _stack([row[key] for row in rows])
    return batch


class DataCollatorWithPadding:
    """Pad `input_ids` / `attention_mask` / `token_type_ids` to the longest in the batch (or
    `max_length`, rounded up to `pad_to_multiple_of`); other numeric fields are stacked."""

    def __init__(
        self,
        tokenizer: Any,
        padding: bool | str = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        return_tensors: str = "pt",
    ) -> None:
        if return_tensors != "pt":
            raise ConfigError("The tfx Trainer collators return PyTorch tensors: use 'pt'.")
        if tokenizer is not None and tokenizer.pad_token_id is None:
            raise TokenizerError(
                "The tokenizer has no pad token, so batches cannot be padded. Set one, e.g. "
                "`tokenizer.pad_token = tokenizer.eos_token`."
            )
        self.tokenizer = tokenizer
        self.padding = padding
        self.max_length = max_length
        self.pad_to_multiple_of = pad_to_multiple_of

    @property
    def _side(self) -> str:
        return getattr(self.tokenizer, "padding_side", "right") or "right"

    def _pad_value(self, key: str) -> int:
        return _PAD_VALUES.get(key, self.tokenizer.pad_token_id)

    def _target_length(self) -> int | None:
        return self.max_length if self.padding == "max_length" else None

    def pad_features(self, rows: list[dict[str, Any]], skip: tuple[str, ...] = ()) -> dict:
        batch: dict[str, Any] = {}
        for key in rows[0]:
            if key in skip or rows[0][key] is None or isinstance(rows[0][key], str):
                continue
            values = [row[key] for row in rows]
            if key in _SEQUENCE_KEYS:
                batch[key] = pad_rows(
                    values,
                    self._pad_value(key),
                    side=self._side,
                    length=self._target_length(),
                    multiple=self.pad_to_multiple_of,
                )
            else:
                batch[key] = _stack(values)
        return batch

    def __call__(self, features: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        return self.pad_features([_rename_labels(f) for f in features])


class DataCollatorForTokenClassification(DataCollatorWithPadding):
    """Pad inputs, and per-token `labels` with `label_pad_token_id` (ignored by the loss)."""

    def __init__(self, tokenizer: Any, label_pad_token_id: int = IGNORE_INDEX, **kwargs: Any):
        super().__init__(tokenizer, **kwargs)
        self.label_pad_token_id = label_pad_token_id

    def __call__(self, features: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        rows = [_rename_labels(f) for f in features]
        batch = self.pad_features(rows, skip=("labels",))
        if "labels" in rows[0]:
            batch["labels"] = pad_labels(
                [row["labels"] for row in rows],
                self.label_pad_token_id,
                side=self._side,
                length=batch["input_ids"].shape[1],
            )
        return batch


class DataCollatorForLanguageModeling(DataCollatorWithPadding):
    """Masked-LM batches (`mlm=True`: `mlm_probability` of the non-special tokens are
    predicted; of those `mask_replace_prob` (0.8) become the mask token, `random_replace_prob`
    (0.1) a random token, the rest stay) or causal-LM batches (`mlm=False`: labels are the
    inputs, padding ignored). With `seed`, masks come from the collator's own generator.
    `whole_word_mask=True` chooses whole words (from the features' `offset_mapping`) and
    always uses the mask token, as the reference."""

    def __init__(
        self,
        tokenizer: Any,
        mlm: bool = True,
        mlm_probability: float = 0.15,
        whole_word_mask: bool = False,
        mask_replace_prob: float = 0.8,
        random_replace_prob: float = 0.1,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(tokenizer, **kwargs)
        if mlm and tokenizer.mask_token_id is None:
            raise TokenizerError(
                "Masked-LM needs a tokenizer with a mask token; use mlm=False for causal LM."
            )
        if mlm:
            mlm_probability = masking.check_probability("mlm_probability", mlm_probability)
        masking.check_replace_probabilities(mask_replace_prob, random_replace_prob)
        if whole_word_mask:
            mask_replace_prob, random_replace_prob = masking.whole_word_replacement(
                mlm, mask_replace_prob, random_replace_prob
            )
        self.mlm = mlm
        self.whole_word_mask = whole_word_mask
        self.mlm_probability = mlm_probability
        self.mask_replace_prob = float(mask_replace_prob)
        self.random_replace_prob = float(random_replace_prob)
        self.seed = seed
        self.generator: torch.Generator | None = None

    def __call__(self, features: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        rows = [_rename_labels(f if isinstance(f, Mapping) else {"input_ids": f}) for f in features]
        offsets = [row.pop("offset_mapping", None) for row in rows]
        batch = self.pad_features(rows, skip=("labels",))
        special = batch.pop("special_tokens_mask", None)
        shape = batch["input_ids"].shape
        offsets = masking.pad_offsets(offsets, shape, self._side) if self.whole_word_mask else None
        if self.seed and self.generator is None:
            self.generator = masking.seeded_generator(self.seed)
        if self.mlm:
            batch["input_ids"], batch["labels"] = self.mask_tokens(
                batch["input_ids"], special, offsets
            )
        else:
            labels = batch["input_ids"].clone()
            if "attention_mask" in batch:
                labels[batch["attention_mask"] == 0] = IGNORE_INDEX
            else:
                labels[labels == self.tokenizer.pad_token_id] = IGNORE_INDEX
            batch["labels"] = labels
        return batch

    def mask_tokens(
        self,
        input_ids: torch.Tensor,
        special_tokens_mask: torch.Tensor | None = None,
        offsets: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs with the chosen tokens corrupted, and labels (-100 off the chosen); given
        `offsets` (`[batch, length, 2]`), whole words are chosen."""
        labels = input_ids.clone()
        if special_tokens_mask is None:
            special_tokens_mask = masking.special_tokens_mask(self.tokenizer, input_ids)
        not_chosen = special_tokens_mask.bool()
        if offsets is not None:
            word_ids, not_chosen = masking.word_ids_from_offsets(offsets, not_chosen)
        probability = torch.full(labels.shape, self.mlm_probability)
        probability.masked_fill_(not_chosen, 0.0)
        chosen = torch.bernoulli(probability, generator=self.generator).bool()
        if offsets is not None:
            chosen = masking.spread_to_words(word_ids, chosen)
        labels[~chosen] = IGNORE_INDEX
        inputs = masking.replace_chosen(
            input_ids.clone(),
            chosen,
            self.tokenizer,
            self.mask_replace_prob,
            self.random_replace_prob,
            self.generator,
        )
        return inputs, labels


class DataCollatorForSeq2Seq(DataCollatorWithPadding):
    """Pad encoder inputs, and `labels` with `label_pad_token_id` (on the tokenizer's padding
    side); with a `model`, add `decoder_input_ids`: the labels shifted by the model's own shift
    (`prepare_decoder_input_ids_from_labels` or `shift_labels`), -100 becoming the pad id."""

    def __init__(
        self,
        tokenizer: Any,
        model: Any = None,
        label_pad_token_id: int = IGNORE_INDEX,
        **kwargs: Any,
    ) -> None:
        super().__init__(tokenizer, **kwargs)
        self.model = model
        self.label_pad_token_id = label_pad_token_id

    def __call__(self, features: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        rows = [_rename_labels(f) for f in features]
        batch = self.pad_features(rows, skip=("labels", "decoder_input_ids"))
        if "labels" in rows[0]:
            labels = [row["labels"] for row in rows]
            if _is_sequence(labels[0]):
                batch["labels"] = pad_rows(
                    labels,
                    self.label_pad_token_id,
                    side=self._side,
                    multiple=self.pad_to_multiple_of,
                )
            else:
                batch["labels"] = _stack(labels)
            shift = _label_shift(self.model)
            if shift is not None and batch["labels"].dim() == 2:
                batch["decoder_input_ids"] = shift(batch["labels"])
        return batch


def _label_shift(model: Any) -> Any:
    """The model's labels -> decoder inputs shift (reference name first, then the tfx one)."""
    for name in ("prepare_decoder_input_ids_from_labels", "shift_labels"):
        shift = getattr(model, name, None)
        if callable(shift):
            return shift
    return None
