"""`fill-mask`: the most likely tokens behind each mask token of a text.

For one mask the result is a list of `{"score", "token", "token_str", "sequence"}` (best first);
for several masks, one such list per mask, each filled independently. `targets` restricts the
candidates to given words.
"""

from __future__ import annotations

import warnings
from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline


class FillMaskPipeline(Pipeline):
    """Predict masked tokens (`"Paris is the [MASK] of France."`)."""

    task = "fill-mask"
    token_level_outputs = ("logits",)

    def _sanitize_parameters(
        self,
        top_k: int | None = None,
        targets: str | list[str] | None = None,
        tokenizer_kwargs: dict | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        if self.encoder.ids["mask"] is None:
            raise PipelineError(
                "This tokenizer defines no mask token, so the model cannot fill masks: use a "
                "masked-language model checkpoint (e.g. a BERT) for fill-mask."
            )
        pre: dict[str, Any] = {}
        if tokenizer_kwargs:
            allowed = {"truncation", "max_length"}
            extra = set(tokenizer_kwargs) - allowed
            if extra:
                raise PipelineError(
                    f"tokenizer_kwargs supports {', '.join(sorted(allowed))}; got "
                    f"{', '.join(sorted(extra))}."
                )
            pre.update(tokenizer_kwargs)
        post: dict[str, Any] = {}
        if targets is not None:
            post["target_ids"] = self._target_ids(targets)
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise PipelineError(f"top_k must be a positive int, got {top_k!r}.")
            post["top_k"] = top_k
        return pre, {}, post

    def _target_ids(self, targets: str | list[str]) -> list[int]:
        if isinstance(targets, str):
            targets = [targets]
        ids = []
        for target in targets:
            token_id = self.encoder.token_id(target)
            if token_id is None:
                (encoding,) = self.encoder.encode([target], add_special_tokens=False)[0]
                if not encoding.ids:
                    warnings.warn(
                        f"The target {target!r} is not in the vocabulary and encodes to nothing; "
                        "it is ignored.",
                        UserWarning,
                        stacklevel=5,
                    )
                    continue
                token_id = encoding.ids[0]
                warnings.warn(
                    f"The target {target!r} is not in the vocabulary; using its first token "
                    f"{self.encoder.id_to_token(token_id)!r} instead.",
                    UserWarning,
                    stacklevel=5,
                )
            ids.append(token_id)
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise PipelineError("targets= was given but none of the targets can be used.")
        return ids

    # ------------------------------------------------------------------ calling
    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, str)

    def _wrap_list(self, results: list, inputs: Any, post: dict) -> Any:
        return results[0] if len(results) == 1 else results

    def preprocess_batch(
        self, items: list[Any], truncation: bool | str = False, max_length: int | None = None
    ) -> list[list[dict]]:
        for item in items:
            if not isinstance(item, str):
                raise PipelineError(
                    f"The fill-mask pipeline takes strings, got {type(item).__name__}: {item!r}."
                )
        mask_id = self.encoder.ids["mask"]
        features = []
        for item, (enc, *_) in zip(
            items, self.encoder.encode(items, truncation=truncation, max_length=max_length)
        ):
            if mask_id not in enc.ids:
                raise PipelineError(
                    f"No mask token ({self.encoder.tokens['mask']}) found in the input {item!r}: "
                    f"put {self.encoder.tokens['mask']} where the model should fill in a word."
                )
            features.append(
                [
                    {
                        "input_ids": enc.ids,
                        "attention_mask": enc.attention_mask,
                        "token_type_ids": enc.type_ids,
                    }
                ]
            )
        return features

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs)["logits"]}

    # -------------------------------------------------------------- postprocess
    def postprocess(
        self, chunks: list[dict], top_k: int = 5, target_ids: list[int] | None = None
    ) -> list:
        import torch

        chunk = chunks[0]
        input_ids = chunk["input_ids"]
        mask_id, pad_id = self.encoder.ids["mask"], self.encoder.ids["pad"]
        positions = [i for i, token in enumerate(input_ids) if token == mask_id]
        probs = chunk["logits"][positions].softmax(dim=-1)
        if target_ids is not None:
            probs = probs[..., torch.tensor(target_ids)]
            top_k = min(top_k, len(target_ids))
        top_k = min(top_k, probs.shape[-1])  # asking for more than the vocabulary gives it all
        values, predictions = probs.topk(top_k)
        single = len(positions) == 1
        rows = []
        for position, row_values, row_ids in zip(positions, values.tolist(), predictions.tolist()):
            row = []
            for score, index in zip(row_values, row_ids):
                token = target_ids[index] if target_ids is not None else index
                filled = list(input_ids)
                filled[position] = token
                filled = [t for t in filled if t != pad_id]
                row.append(
                    {
                        "score": score,
                        "token": token,
                        "token_str": self.encoder.decode([token]),
                        "sequence": self.encoder.decode(filled, skip_special_tokens=single),
                    }
                )
            rows.append(row)
        return rows[0] if single else rows
