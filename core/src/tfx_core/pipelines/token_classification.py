"""`token-classification` (alias `ner`): a label per token, or entities grouped from them.

Aggregation follows the reference's rules: `none` (one entry per token, with its `index`),
`simple` (adjacent tokens with the same tag grouped, B-/I- prefixes respected), and the word-level
`first` / `average` / `max` (a word's sub-tokens forced to one label before grouping). Offsets
point into the original text. With `stride`, long texts are read in overlapping windows and
overlapping entities are reconciled (longest, then highest score, wins).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline
from tfx_core.pipelines.numeric import softmax

STRATEGIES = ("none", "simple", "first", "average", "max")
_WORD_STRATEGIES = ("first", "average", "max")


class TokenClassificationPipeline(Pipeline):
    """Named entities (or any per-token labels) for texts."""

    task = "token-classification"
    token_level_outputs = ("logits",)

    def _sanitize_parameters(
        self,
        aggregation_strategy: Any = None,
        ignore_labels: list[str] | None = None,
        stride: int | None = None,
        is_split_into_words: bool | None = None,
        delimiter: str | None = None,
        grouped_entities: bool | None = None,
        ignore_subwords: bool | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre: dict[str, Any] = {}
        post: dict[str, Any] = {}
        if is_split_into_words is not None:
            pre["is_split_into_words"] = bool(is_split_into_words)
        if delimiter is not None:
            pre["delimiter"] = delimiter
        if aggregation_strategy is None and (
            grouped_entities is not None or ignore_subwords is not None
        ):  # deprecated spellings kept for ported code
            if grouped_entities:
                aggregation_strategy = "first" if ignore_subwords else "simple"
            else:
                aggregation_strategy = "none"
        if aggregation_strategy is not None:
            name = str(getattr(aggregation_strategy, "value", aggregation_strategy)).lower()
            if name not in STRATEGIES:
                raise PipelineError(
                    f"aggregation_strategy must be one of {', '.join(STRATEGIES)}, got "
                    f"{aggregation_strategy!r}."
                )
            post["aggregation_strategy"] = name
        if ignore_labels is not None:
            if isinstance(ignore_labels, str) or not (
                isinstance(ignore_labels, (list, tuple, set))
                and all(isinstance(label, str) for label in ignore_labels)
            ):
                raise PipelineError(
                    f"ignore_labels must be a list of label names such as ['O'], got "
                    f"{ignore_labels!r}."
                )
            post["ignore_labels"] = list(ignore_labels)
        if stride is not None:
            limit = self.encoder.model_max_length
            if not isinstance(stride, int) or stride < 0 or (limit and stride >= limit):
                raise PipelineError(
                    f"stride must be an int from 0 to below the tokenizer's model_max_length "
                    f"({limit}), got {stride!r}."
                )
            strategy = post.get("aggregation_strategy", self._options_strategy())
            if strategy == "none":
                raise PipelineError(
                    "stride reads the whole text in overlapping windows, which needs entities "
                    'to be merged: pass aggregation_strategy="simple" (or first/average/max).'
                )
            pre["stride"] = stride
        return pre, {}, post

    def _options_strategy(self) -> str:
        options = getattr(self, "_options", None)
        return options[2].get("aggregation_strategy", "none") if options else "none"

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs: Any, **options: Any) -> Any:
        split = options.get("is_split_into_words")
        if split is None and getattr(self, "_options", None):
            split = self._options[0].get("is_split_into_words", False)
        if (
            split
            and isinstance(inputs, list)
            and inputs
            and all(isinstance(w, str) for w in inputs)
        ):
            return super().__call__([inputs], **options)  # one pre-split sentence
        return super().__call__(inputs, **options)

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, str)

    # --------------------------------------------------------------- preprocess
    def preprocess_batch(
        self,
        items: list[Any],
        is_split_into_words: bool = False,
        delimiter: str | None = None,
        stride: int | None = None,
    ) -> list[list[dict]]:
        sentences: list[str] = []
        char_maps: list[list[tuple[int, int]] | None] = []
        for item in items:
            if is_split_into_words:
                if not isinstance(item, list) or not all(isinstance(w, str) for w in item):
                    raise PipelineError(
                        "With is_split_into_words=True each input must be a list of words, "
                        f"got {item!r}."
                    )
                sep = " " if delimiter is None else delimiter
                spans, position = [], 0
                for word in item:
                    spans.append((position, position + len(word)))
                    position += len(word) + len(sep)
                sentences.append(sep.join(item))
                char_maps.append(spans)
            else:
                if not isinstance(item, str):
                    raise PipelineError(
                        f"The {self.task} pipeline takes strings (or lists of words with "
                        f"is_split_into_words=True), got {type(item).__name__}: {item!r}."
                    )
                sentences.append(item)
                char_maps.append(None)
        encoded = self.encoder.encode(
            items if is_split_into_words else sentences,
            truncation=True,
            stride=stride or 0,
            is_pretokenized=is_split_into_words,
        )
        features = []
        for sentence, char_map, encodings in zip(sentences, char_maps, encoded):
            if stride is None:
                encodings = encodings[:1]
            features.append(
                [
                    {
                        "input_ids": enc.ids,
                        "attention_mask": enc.attention_mask,
                        "token_type_ids": enc.type_ids,
                        "offsets": enc.offsets,
                        "special_tokens_mask": enc.special_tokens_mask,
                        "word_ids": enc.word_ids if char_map is not None else None,
                        "word_to_chars": char_map,
                        "sentence": sentence,
                    }
                    for enc in encodings
                ]
            )
        return features

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs)["logits"]}

    # -------------------------------------------------------------- postprocess
    def postprocess(
        self,
        chunks: list[dict],
        aggregation_strategy: str = "none",
        ignore_labels: list[str] | None = None,
    ) -> list[dict]:
        ignore = ["O"] if ignore_labels is None else ignore_labels
        entities: list[dict] = []
        for chunk in chunks:
            scores = softmax(chunk["logits"].numpy())
            tokens = self._gather(chunk, scores, aggregation_strategy)
            for entity in self._aggregate(tokens, aggregation_strategy):
                if entity.get("entity") in ignore or entity.get("entity_group") in ignore:
                    continue
                entities.append(entity)
        if len(chunks) > 1:
            entities = _merge_overlapping(entities)
        for entity in entities:
            entity["score"] = float(entity["score"])
        return entities

    def _gather(self, chunk: dict, scores: np.ndarray, strategy: str) -> list[dict]:
        """One record per non-special token: its token, scores, char span, subword flag."""
        sentence = chunk["sentence"]
        unk_id = self.encoder.ids["unk"]
        prefix = self.encoder.continuing_subword_prefix
        word_ids, char_map = chunk["word_ids"], chunk["word_to_chars"]
        warned = False
        records = []
        for index, token_id in enumerate(chunk["input_ids"]):
            if chunk["special_tokens_mask"][index]:
                continue
            word = self.encoder.id_to_token(token_id)
            start, end = chunk["offsets"][index]
            if char_map is not None and word_ids[index] is not None:
                shift = char_map[word_ids[index]][0]
                start, end = start + shift, end + shift
            reference = sentence[start:end]
            if prefix:
                is_subword = len(word) != len(reference)
            else:
                if strategy in _WORD_STRATEGIES and not warned:
                    warnings.warn(
                        "This tokenizer does not mark subwords; words are guessed from spaces.",
                        UserWarning,
                        stacklevel=3,
                    )
                    warned = True
                is_subword = start > 0 and " " not in sentence[start - 1 : start + 1]
            if token_id == unk_id:
                word, is_subword = reference, False
            records.append(
                {
                    "word": word,
                    "scores": scores[index],
                    "start": start,
                    "end": end,
                    "index": index,
                    "is_subword": is_subword,
                }
            )
        return records

    def _aggregate(self, tokens: list[dict], strategy: str) -> list[dict]:
        id2label = self.config.id2label
        if strategy in ("none", "simple"):
            entities = []
            for token in tokens:
                best = int(token["scores"].argmax())
                entities.append(
                    {
                        "entity": id2label[best],
                        "score": token["scores"][best],
                        "index": token["index"],
                        "word": token["word"],
                        "start": token["start"],
                        "end": token["end"],
                    }
                )
            if strategy == "none":
                return entities
        else:
            entities = self._aggregate_words(tokens, strategy)
        return self._group(entities)

    def _aggregate_words(self, tokens: list[dict], strategy: str) -> list[dict]:
        """Give each word (a token and its following subwords) one label."""
        words: list[list[dict]] = []
        for token in tokens:
            if words and token["is_subword"]:
                words[-1].append(token)
            else:
                words.append([token])
        id2label = self.config.id2label
        out = []
        for group in words:
            if strategy == "first":
                scores = group[0]["scores"]
            elif strategy == "max":
                scores = max(group, key=lambda token: token["scores"].max())["scores"]
            else:
                scores = np.nanmean(np.stack([token["scores"] for token in group]), axis=0)
            best = int(scores.argmax())
            out.append(
                {
                    "entity": id2label[best],
                    "score": scores[best],
                    "word": self.encoder.tokens_to_string([token["word"] for token in group]),
                    "start": group[0]["start"],
                    "end": group[-1]["end"],
                }
            )
        return out

    def _group(self, entities: list[dict]) -> list[dict]:
        """Merge adjacent entities with the same tag; a B- tag starts a new group."""
        groups: list[list[dict]] = []
        for entity in entities:
            bi, tag = _split_tag(entity["entity"])
            if groups and bi != "B" and tag == _split_tag(groups[-1][-1]["entity"])[1]:
                groups[-1].append(entity)
            else:
                groups.append([entity])
        return [
            {
                "entity_group": group[0]["entity"].split("-", 1)[-1],
                "score": np.mean(np.nanmean([entity["score"] for entity in group])),
                "word": self.encoder.tokens_to_string([entity["word"] for entity in group]),
                "start": group[0]["start"],
                "end": group[-1]["end"],
            }
            for group in groups
        ]


def _split_tag(label: str) -> tuple[str, str]:
    if label.startswith("B-"):
        return "B", label[2:]
    if label.startswith("I-"):
        return "I", label[2:]
    return "I", label


def _merge_overlapping(entities: list[dict]) -> list[dict]:
    """Entities seen by two windows: keep the longer one, then the higher score."""
    if not entities:
        return entities
    ordered = sorted(entities, key=lambda entity: entity["start"])
    kept = []
    previous = ordered[0]
    for entity in ordered:
        if previous["start"] <= entity["start"] < previous["end"]:
            length = entity["end"] - entity["start"]
            previous_length = previous["end"] - previous["start"]
            if length > previous_length or (
                length == previous_length and entity["score"] > previous["score"]
            ):
                previous = entity
        else:
            kept.append(previous)
            previous = entity
    kept.append(previous)
    return kept


#: The reference's other name for the token-classification ("ner") pipeline.
NerPipeline = TokenClassificationPipeline
