"""The XLM family's task heads (XLM, FlauBERT): a plugin's head only sets `base_model_class`.

- `XLMLMHead`: `pred_layer.proj`, tied to the word embeddings (`XLMWithLMHeadModel`).
- `SummaryClassificationHead`: the core `SequenceSummary` as `sequence_summary` (first token,
  projected to `num_labels` with `summary_proj_to_labels`), the reference's classifier.
- `SummaryMultipleChoiceHead`: the same summary, then `logits_proj` to one score per choice.
- `XLMTokenClassificationHead` (dropout `config.dropout`) and `XLMQuestionAnsweringSimpleHead`
  (`qa_outputs`, no dropout) are the generic heads with the family's fields; the beam-search
  `...ForQuestionAnswering` is `tfx_core.modeling.torch.squad_heads.BeamQuestionAnsweringHead`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.summary import SequenceSummary


class XLMPredLayer(nn.Module):
    """The vocabulary projection `proj` (the adaptive softmax of `asm=True` is not supported)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        if config.asm:
            raise ConfigError(
                "asm=True (adaptive log-softmax output) is not supported by tfx's XLM models; "
                "use a checkpoint with asm=False."
            )
        self.proj = nn.Linear(config.emb_dim, config.n_words)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.proj(hidden)


class TokenHistory(Cache):
    """The generation "cache" of a model that reruns the whole sequence at every step."""

    def __init__(self) -> None:
        self.tokens: torch.Tensor | None = None

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return 0 if self.tokens is None else self.tokens.shape[1]

    def reorder(self, beam_idx: torch.LongTensor) -> None:
        if self.tokens is not None:
            self.tokens = self.tokens.index_select(0, beam_idx.to(self.tokens.device))


class XLMLMHead(GenerationMixin, MaskedLMHead):
    """Masked (or next-token) prediction over `n_words`; label -100 is ignored.

    `generate` works as the reference's: each step reruns the sequence with a mask token
    (`config.mask_token_id`) appended, languages all `config.lang_id`, no attention mask, and
    picks the next token from the mask position's logits (XLM's CLM checkpoints).
    """

    lm_head_attribute = "pred_layer"
    tied_weights: ClassVar[dict[str, str]] = {
        "pred_layer.proj.weight": "transformer.embeddings.weight"
    }

    def build_head(self, config: Any) -> None:
        self.pred_layer = XLMPredLayer(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.pred_layer.proj

    def _make_generation_cache(self, config: Any, batch_size: int, max_length: int) -> Cache:
        return TokenHistory()

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        history = cache.tokens  # type: ignore[attr-defined]
        tokens = input_ids if history is None else torch.cat([history, input_ids], dim=1)
        cache.tokens = tokens  # type: ignore[attr-defined]
        config = self.config
        mask = torch.full_like(tokens[:, :1], config.mask_token_id)
        tokens = torch.cat([tokens, mask], dim=1)
        langs = None if config.lang_id is None else torch.full_like(tokens, config.lang_id)
        return self(input_ids=tokens, langs=langs, return_dict=True).logits[:, -1, :]


class _Summary:
    """Reads every token's state and summarises it with `sequence_summary`."""

    head_input: ClassVar[str] = "sequence"
    classifier_attribute: ClassVar[str] = "sequence_summary"
    dropout_fields = None

    def build_classifier(self, config: Any, outputs: int) -> nn.Module:
        return SequenceSummary(config)


class SummaryClassificationHead(_Summary, SequenceClassificationHead):
    """Sequence classification or regression from the summary vector."""


class SummaryMultipleChoiceHead(_Summary, MultipleChoiceHead):
    """One score per choice: the summary (to `num_labels`), then `logits_proj` to one value."""

    def build_head(self, config: Any) -> None:
        super().build_head(config)
        self.logits_proj = nn.Linear(config.num_labels, 1)

    def head_features(self, features: torch.Tensor) -> torch.Tensor:
        return features

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.logits_proj(self.sequence_summary(features))

    def forward(self, *args: Any, lengths: Any = None, **kwargs: Any) -> Any:
        """`lengths` cannot describe flattened choices: ignored, as the reference does."""
        return super().forward(*args, **kwargs)


class XLMTokenClassificationHead(TokenClassificationHead):
    """One label per token, after dropout (`config.dropout`)."""

    dropout_fields = ("dropout",)


class XLMQuestionAnsweringSimpleHead(QuestionAnsweringHead):
    """Start and end logits from `qa_outputs` (`XLMForQuestionAnsweringSimple`)."""
