"""Head layers that many encoders share, with the checkpoint names they use.

- `DenseLMHead` (`dense`, `layer_norm`, `decoder`, `bias`): RoBERTa's masked-LM head, also
  XLM-R, CamemBERT, Longformer, Data2Vec-text, ...: dense -> activation -> layer norm -> the
  vocabulary projection (tied to the word embeddings), whose bias is its own parameter shared
  with `decoder.bias` so both key spellings found in checkpoints load.
- `DenseClassificationHead` (`dense`, `dropout`, `out_proj`): the sentence classifier on the
  first token's features of RoBERTa (tanh) and ELECTRA (gelu): dropout, dense, activation,
  dropout, projection.
- `LMPredictionHead` (`transform.{dense,LayerNorm}`, `decoder`, `bias`): BERT's masked-LM
  head (`cls.predictions`), also Megatron-BERT, RoFormer, ...: `PredictionHeadTransform`
  (dense, `hidden_act`, layer norm), then the vocabulary projection with its bias shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.lean import trusted_forward


class DenseLMHead(nn.Module):
    """dense -> `activation` -> `layer_norm` -> `decoder` (vocabulary; bias shared)."""

    activation: ClassVar[str] = "gelu"

    def __init__(self, config: Any) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.dense = nn.Linear(hidden, hidden)
        self.layer_norm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(hidden, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias
        self.activation_fn = activation_fn(self.activation)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.layer_norm(self.activation_fn(self.dense(hidden_states))))


@trusted_forward
class DenseClassificationHead(nn.Module):
    """Dropout, dense, `activation`, dropout, `out_proj` over first-token features `[batch, hidden]`."""

    activation: ClassVar[str] = "tanh"

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        dropout = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)
        self.activation_fn = activation_fn(self.activation)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.run_parts(self._modules, features)

    def run_parts(self, parts: Mapping[str, Any], features: torch.Tensor) -> torch.Tensor:
        """`forward`'s math over `parts`: the submodules by name, or a lean plan's stand-ins."""
        if self.training:  # dropout is the identity at inference
            features = parts["dropout"](features)
        x = self.activation_fn(parts["dense"](features))
        if self.training:
            x = parts["dropout"](x)
        return parts["out_proj"](x)


class PredictionHeadTransform(nn.Module):
    """dense -> `hidden_act` -> `LayerNorm` (width `width`, default `hidden_size`)."""

    def __init__(self, config: Any, width: int | None = None) -> None:
        super().__init__()
        width = width or config.hidden_size
        self.dense = nn.Linear(config.hidden_size, width)
        self.transform_act_fn = activation_fn(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(width, eps=config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class LMPredictionHead(nn.Module):
    """`transform`, then `decoder` onto the vocabulary (tied to the word embeddings).

    The output bias is its own parameter (`bias`) shared with `decoder.bias`, so both key
    spellings found in checkpoints load (declare the pair in the head's `shared_weights`).
    `width` is the transform's output width (`embedding_size` for factorized embeddings).
    """

    transform_class: ClassVar[type[nn.Module]] = PredictionHeadTransform

    def __init__(self, config: Any, width: int | None = None) -> None:
        super().__init__()
        width = width or config.hidden_size
        self.transform = self.transform_class(config, width)
        self.decoder = nn.Linear(width, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.transform(hidden_states))


class OnlyMLMHead(nn.Module):
    """A masked-LM head's `cls`: `predictions` alone (an `LMPredictionHead`, `prediction_class`)."""

    prediction_class: ClassVar[type[nn.Module]] = LMPredictionHead

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.predictions = self.prediction_class(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        return self.predictions(sequence_output)


class OnlyNSPHead(nn.Module):
    """A next-sentence head's `cls`: `seq_relationship`, two logits from the pooled output."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled_output: torch.Tensor) -> torch.Tensor:
        return self.seq_relationship(pooled_output)


class PreTrainingHeads(nn.Module):
    """A pre-training head's `cls`: `predictions` over the tokens, `seq_relationship` over the
    pooled output."""

    prediction_class: ClassVar[type[nn.Module]] = LMPredictionHead

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.predictions = self.prediction_class(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(
        self, sequence_output: torch.Tensor, pooled_output: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)
