"""`RemBertConfig`: the fields of a RemBERT `config.json`, with the reference's defaults.

RemBERT decouples its embeddings: tokens enter at `input_embedding_size` (projected to
`hidden_size` by the encoder) and the masked-LM head predicts from `output_embedding_size`,
with its own (untied) output matrix. The classifiers' dropout is `classifier_dropout_prob`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class RemBertConfig(EncoderConfig):
    """Configuration of a RemBERT encoder (defaults: google/rembert)."""

    model_type: ClassVar[str] = "rembert"
    token_defaults: ClassVar[dict[str, int | None]] = {
        "pad_token_id": 0,
        "bos_token_id": 312,
        "eos_token_id": 313,
    }
    #: the core's factorized embeddings read `embedding_size`
    attribute_map: ClassVar[dict[str, str]] = {"embedding_size": "input_embedding_size"}

    def __init__(
        self,
        vocab_size: int = 250300,
        hidden_size: int = 1152,
        num_hidden_layers: int = 32,
        num_attention_heads: int = 18,
        input_embedding_size: int = 256,
        output_embedding_size: int = 1664,
        intermediate_size: int = 4608,
        hidden_dropout_prob: float = 0.0,
        attention_probs_dropout_prob: float = 0.0,
        classifier_dropout_prob: float = 0.1,
        **kwargs: Any,
    ) -> None:
        self.input_embedding_size = input_embedding_size
        self.output_embedding_size = output_embedding_size
        self.classifier_dropout_prob = classifier_dropout_prob
        kwargs.setdefault("tie_word_embeddings", False)
        super().__init__(
            vocab_size=vocab_size,
            hidden_size=hidden_size,
            num_hidden_layers=num_hidden_layers,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            hidden_dropout_prob=hidden_dropout_prob,
            attention_probs_dropout_prob=attention_probs_dropout_prob,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("input_embedding_size", "output_embedding_size")
        self.require_probability("classifier_dropout_prob")
