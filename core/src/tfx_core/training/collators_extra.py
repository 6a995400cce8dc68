"""More of the reference's data collators: whole-word masking (BERT pre-training), multiple
choice, and XLNet's permutation language modeling.

Each draws its random numbers exactly as the reference does (Python's `random` for the
whole-word choice, torch's RNG for the rest), so after `random.seed(s); torch.manual_seed(s)`
a batch equals the reference collator's.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from tfx_core.errors import ConfigError, TokenizerError
from tfx_core.training import masking
from tfx_core.training.collators import (
    IGNORE_INDEX,
    DataCollatorWithPadding,
    _as_list,
    pad_rows,
)

_WORD_PIECE_TOKENIZERS = ("BertTokenizer", "BertTokenizerFast")
_CONTINUATION = "##"


def _check_pt(return_tensors: str, supported: tuple[str, ...] = ("pt",)) -> str:
    if return_tensors not in supported:
        raise ConfigError(
            f"return_tensors={return_tensors!r} is not supported here; use one of {supported}."
        )
    return return_tensors


def _require_mask_token(tokenizer: Any, what: str) -> None:
    if getattr(tokenizer, "mask_token_id", None) is None:
        raise TokenizerError(
            f"{what} needs a tokenizer with a mask token; add one, e.g. "
            "`tokenizer.add_special_tokens({'mask_token': '[MASK]'})`, and resize the embeddings."
        )


def collate_ids(
    rows: Sequence[Sequence[int]], tokenizer: Any, pad_to_multiple_of: int | None = None
) -> torch.Tensor:
    """Stack token-id rows, padding with the tokenizer's pad id (on its padding side) only when
    they differ in length or miss the multiple."""
    lengths = {len(row) for row in rows}
    first = len(rows[0])
    aligned = not pad_to_multiple_of or first % pad_to_multiple_of == 0
    if len(lengths) == 1 and aligned:
        return pad_rows(rows, 0)
    pad_id = getattr(tokenizer, "pad_token_id", None)
    if pad_id is None:
        raise TokenizerError(
            "These examples differ in length, and the tokenizer has no pad token to pad them "
            "with; set one (e.g. `tokenizer.pad_token = tokenizer.eos_token`)."
        )
    side = getattr(tokenizer, "padding_side", "right") or "right"
    return pad_rows(rows, pad_id, side=side, multiple=pad_to_multiple_of)


class DataCollatorForWholeWordMask:
    """Masked-LM batches that mask whole words: a word is a token plus the `##` continuation
    pieces after it (WordPiece). About `mlm_probability` of each example's tokens are chosen,
    whole words at a time; of the chosen, `mask_replace_prob` become the mask token,
    `random_replace_prob` a random token, the rest stay. Returns `input_ids` and `labels`.

    Tokenizers without `##` pieces get one "word" per token (the reference's behaviour, with a
    warning). A `chinese_ref` column (positions that continue a word) marks extra pieces.
    Without `seed`, words are chosen with Python's `random` and replaced with torch's RNG;
    with `seed`, both use the collator's own torch generator.
    """

    def __init__(
        self,
        tokenizer: Any,
        *,
        mlm_probability: float = 0.15,
        mask_replace_prob: float = 0.8,
        random_replace_prob: float = 0.1,
        pad_to_multiple_of: int | None = None,
        return_tensors: str = "pt",
        seed: int | None = None,
    ) -> None:
        _require_mask_token(tokenizer, "Whole-word masking")
        self.mlm_probability = masking.check_probability("mlm_probability", mlm_probability)
        masking.check_replace_probabilities(mask_replace_prob, random_replace_prob)
        self.tokenizer = tokenizer
        self.mask_replace_prob = float(mask_replace_prob)
        self.random_replace_prob = float(random_replace_prob)
        self.pad_to_multiple_of = pad_to_multiple_of
        self.return_tensors = _check_pt(return_tensors)
        self.seed = seed
        self.generator: torch.Generator | None = None
        names = {cls.__name__ for cls in type(tokenizer).__mro__}
        if not names & set(_WORD_PIECE_TOKENIZERS):
            warnings.warn(
                f"DataCollatorForWholeWordMask finds words from '##' pieces (BERT WordPiece); "
                f"{type(tokenizer).__name__} has none, so each token counts as a word.",
                UserWarning,
                stacklevel=2,
            )

    def __call__(self, features: list[Any]) -> dict[str, torch.Tensor]:
        if not features:
            raise ConfigError("Cannot collate an empty list of examples.")
        if self.seed and self.generator is None:
            self.generator = masking.seeded_generator(self.seed)
        if isinstance(features[0], Mapping):
            ids = [_as_list(feature["input_ids"]) for feature in features]
            refs = [feature.get("chinese_ref") for feature in features]
        else:
            ids = [_as_list(feature) for feature in features]
            refs = [None] * len(ids)
        input_ids = collate_ids(ids, self.tokenizer, self.pad_to_multiple_of)
        word_masks = [self.word_mask(self._pieces(row, ref)) for row, ref in zip(ids, refs)]
        chosen = pad_rows(word_masks, 0, side=self._side, length=input_ids.shape[1]).bool()
        return dict(zip(("input_ids", "labels"), self.mask_tokens(input_ids, chosen)))

    @property
    def _side(self) -> str:
        return getattr(self.tokenizer, "padding_side", "right") or "right"

    def _pieces(self, ids: list[int], chinese_ref: Any) -> list[str]:
        tokens = list(self.tokenizer.convert_ids_to_tokens(ids))
        if chinese_ref is not None:
            for position in set(_as_list(chinese_ref)):
                if 0 <= position < len(tokens):
                    tokens[position] = _CONTINUATION + tokens[position]
        return tokens

    def _shuffle(self, words: list[list[int]]) -> list[list[int]]:
        if self.seed is None:
            random.shuffle(words)
            return words
        order = torch.randperm(len(words), generator=self.generator)
        return [words[i] for i in order]

    def word_mask(self, tokens: list[str], max_predictions: int = 512) -> list[int]:
        """1 for the tokens of the words chosen in one example (its tokens as strings)."""
        words: list[list[int]] = []
        for position, token in enumerate(tokens):
            if token in ("[CLS]", "[SEP]"):
                continue
            if words and token.startswith(_CONTINUATION):
                words[-1].append(position)
            else:
                words.append([position])
        budget = min(max_predictions, max(1, round(len(tokens) * self.mlm_probability)))
        chosen: set[int] = set()
        for word in self._shuffle(words):
            if len(chosen) >= budget:
                break
            if len(chosen) + len(word) <= budget:
                chosen.update(word)
        return [int(position in chosen) for position in range(len(tokens))]

    def mask_tokens(
        self, input_ids: torch.Tensor, chosen: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs with the chosen (non-special, non-pad) tokens corrupted, and their labels."""
        labels = input_ids.clone()
        chosen = chosen & ~masking.special_tokens_mask(self.tokenizer, labels)
        pad_id = getattr(self.tokenizer, "pad_token_id", None)
        if pad_id is not None:
            chosen &= labels != pad_id
        labels[~chosen] = IGNORE_INDEX
        inputs = masking.replace_chosen(
            input_ids,
            chosen,
            self.tokenizer,
            self.mask_replace_prob,
            self.random_replace_prob,
            self.generator,
        )
        return inputs, labels


class DataCollatorForMultipleChoice(DataCollatorWithPadding):
    """Batches of `[batch, choices, length]`: each example holds one sequence per choice
    (`input_ids: [[...], [...]]`); all choices of all examples are padded together, and
    `label` / `labels` (the right choice) becomes an int64 `labels`."""

    def __call__(self, features: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        if not features:
            raise ConfigError("Cannot collate an empty list of examples.")
        rows = [dict(feature) for feature in features]
        label_name = "label" if "label" in rows[0] else "labels"
        labels = [row.pop(label_name) for row in rows] if label_name in rows[0] else None
        choices = len(rows[0]["input_ids"])
        if any(len(row["input_ids"]) != choices for row in rows):
            raise ConfigError(
                "Every multiple-choice example needs the same number of choices; got "
                f"{[len(row['input_ids']) for row in rows]}."
            )
        flat = [
            {key: value[i] for key, value in row.items()} for row in rows for i in range(choices)
        ]
        wants_mask = "attention_mask" in getattr(self.tokenizer, "model_input_names", ())
        if wants_mask and "attention_mask" not in flat[0]:
            for choice in flat:
                choice["attention_mask"] = [1] * len(choice["input_ids"])
        batch = {
            key: value.view(len(rows), choices, -1)
            for key, value in self.pad_features(flat).items()
        }
        if labels is not None:
            batch["labels"] = torch.tensor([int(label) for label in labels], dtype=torch.int64)
        return batch


class DataCollatorForPermutationLanguageModeling:
    """XLNet's permutation-LM batches: `input_ids` with spans masked, `labels` (-100 off the
    spans), `perm_mask` (`[b, i, j]` = 1: token i may not see token j) and `target_mapping`
    (the identity: the k-th prediction is the k-th token).

    Along each sequence, spans of 1..`max_span_length` tokens are masked, one per context of
    `span / plm_probability` tokens; the factorisation order permutes the two halves of the
    sequence together, so lengths must be even.
    """

    def __init__(
        self,
        tokenizer: Any,
        plm_probability: float = 1 / 6,
        max_span_length: int = 5,
        return_tensors: str = "pt",
    ) -> None:
        _require_mask_token(tokenizer, "Permutation language modeling")
        if not 0.0 < float(plm_probability) <= 1.0:
            raise ConfigError(f"plm_probability must be in (0, 1], got {plm_probability!r}.")
        if int(max_span_length) < 1:
            raise ConfigError(f"max_span_length must be at least 1, got {max_span_length!r}.")
        self.tokenizer = tokenizer
        self.plm_probability = float(plm_probability)
        self.max_span_length = int(max_span_length)
        self.return_tensors = _check_pt(return_tensors)

    def __call__(self, features: list[Any]) -> dict[str, torch.Tensor]:
        if not features:
            raise ConfigError("Cannot collate an empty list of examples.")
        if isinstance(features[0], Mapping):
            features = [feature["input_ids"] for feature in features]
        batch = collate_ids([_as_list(row) for row in features], self.tokenizer)
        inputs, perm_mask, target_mapping, labels = self.mask_tokens(batch)
        return {
            "input_ids": inputs,
            "perm_mask": perm_mask,
            "target_mapping": target_mapping,
            "labels": labels,
        }

    def _span_mask(self, length: int) -> torch.Tensor:
        """One sequence's masked positions: a span drawn in each successive context."""
        masked = torch.zeros(length, dtype=torch.bool)
        start = 0
        while start < length:
            span = torch.randint(1, self.max_span_length + 1, (1,)).item()
            context = int(span / self.plm_probability)
            offset = start + torch.randint(context - span + 1, (1,)).item()
            masked[offset : offset + span] = True
            start += context
        return masked

    @staticmethod
    def _order(length: int) -> torch.Tensor:
        """A factorisation order: positions i and i + length/2 move together."""
        half = length // 2
        pairs = torch.arange(length).reshape(-1, half).transpose(0, 1)
        return pairs[torch.randperm(half)].transpose(0, 1).flatten()

    def mask_tokens(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(inputs, perm_mask, target_mapping, labels) for a padded `[batch, length]` batch."""
        batch, length = input_ids.shape
        if length % 2:
            raise ConfigError(
                f"Permutation LM needs an even sequence length (got {length}) so the "
                "factorisation order never leaks; pad or truncate the examples to even lengths."
            )
        masked = torch.stack([self._span_mask(length) for _ in range(batch)])
        special = masking.special_tokens_mask(self.tokenizer, input_ids)
        pad_id = getattr(self.tokenizer, "pad_token_id", None)
        padding = input_ids == pad_id if pad_id is not None else torch.zeros_like(special)
        masked &= ~special & ~padding
        functional = special | padding
        inputs = input_ids.clone()
        inputs[masked] = self.tokenizer.mask_token_id
        labels = input_ids.clone()
        labels[~masked] = IGNORE_INDEX
        perm_mask = torch.zeros((batch, length, length), dtype=torch.float32)
        for row in range(batch):
            order = self._order(length)
            order.masked_fill_(~masked[row] & ~functional[row], -1)
            perm_mask[row] = (order[:, None] <= order[None, :]) & masked[row]
        target_mapping = torch.eye(length).expand(batch, length, length).clone()
        return inputs.long(), perm_mask, target_mapping, labels.long()
