"""SqueezeBERT in PyTorch: BERT whose projections are grouped pointwise convolutions.

SqueezeBERT (Iandola et al., 2020) keeps BERT's embeddings, post-norm layer order and heads, but
every projection in a layer is a `Conv1d` with kernel size 1 over `[batch, channels, length]`,
most of them grouped (`q_groups`, ..., `output_groups`), which cuts their cost by the number of
groups. The layer is SqueezeBERT's own (written here with the reference's names: `attention.
{query,key,value}`, `post_attention`, `intermediate`, `output`, each `conv1d` + `layernorm`);
the embeddings, pooler, masked-LM head and task heads are the core's. As in the reference, the
returned attentions are the masked scores before the softmax, and head masks are not supported.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_squeezebert.configuration_squeezebert import SqueezeBertConfig


class SqueezeBertEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings, then layer norm and dropout."""


# ---------------------------------------------------------------------------- the layer
def pointwise(channels_in: int, channels_out: int, groups: int) -> nn.Conv1d:
    """A grouped convolution of kernel size 1 over `[batch, channels, length]`."""
    return nn.Conv1d(channels_in, channels_out, kernel_size=1, groups=groups)


class SqueezeBertLayerNorm(nn.LayerNorm):
    """Layer norm over the channels of a `[batch, channels, length]` tensor (eps 1e-12)."""

    def __init__(self, hidden_size: int, eps: float = 1e-12) -> None:
        super().__init__(hidden_size, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class ConvDropoutLayerNorm(nn.Module):
    """`conv1d`, dropout, residual add, `layernorm`."""

    def __init__(self, cin: int, cout: int, groups: int, dropout_prob: float) -> None:
        super().__init__()
        self.conv1d = pointwise(cin, cout, groups)
        self.layernorm = SqueezeBertLayerNorm(cout)
        self.dropout = nn.Dropout(dropout_prob)

    def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
        return self.layernorm(self.dropout(self.conv1d(hidden_states)) + input_tensor)


class ConvActivation(nn.Module):
    """`conv1d`, then the activation."""

    def __init__(self, cin: int, cout: int, groups: int, act: str) -> None:
        super().__init__()
        self.conv1d = pointwise(cin, cout, groups)
        self.act = activation_fn(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv1d(x))


class SqueezeBertSelfAttention(nn.Module):
    """Multi-head attention whose `query`, `key`, `value` are grouped pointwise convolutions."""

    def __init__(self, config: SqueezeBertConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = hidden // config.num_attention_heads
        self.query = pointwise(hidden, hidden, config.q_groups)
        self.key = pointwise(hidden, hidden, config.k_groups)
        self.value = pointwise(hidden, hidden, config.v_groups)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def heads(self, x: torch.Tensor) -> torch.Tensor:
        """`[batch, channels, length]` -> `[batch, heads, head_size, length]`."""
        return x.view(x.shape[0], self.num_attention_heads, self.attention_head_size, x.shape[-1])

    def forward(
        self, hidden_states: torch.Tensor, bias: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Context `[batch, channels, length]` and the masked scores before the softmax."""
        query = self.heads(self.query(hidden_states)).transpose(2, 3)
        key = self.heads(self.key(hidden_states))
        value = self.heads(self.value(hidden_states)).transpose(2, 3)
        scores = (query @ key) / self.attention_head_size**0.5
        if bias is not None:
            scores = scores + bias
        context = self.dropout(scores.softmax(-1)) @ value  # [batch, heads, length, head_size]
        batch, _, length, _ = context.shape
        return context.permute(0, 1, 3, 2).reshape(batch, -1, length), scores


class SqueezeBertModule(nn.Module):
    """One layer: attention, `post_attention` (conv, residual, norm), then `intermediate` (conv,
    activation) and `output` (conv, residual, norm). It takes and returns `[batch, length,
    hidden]` like every other layer (so hooks and adapters see the usual layout) and runs its
    convolutions on `[batch, channels, length]`."""

    def __init__(self, config: SqueezeBertConfig) -> None:
        super().__init__()
        hidden, inner, drop = (
            config.hidden_size,
            config.intermediate_size,
            config.hidden_dropout_prob,
        )
        self.attention = SqueezeBertSelfAttention(config)
        self.post_attention = ConvDropoutLayerNorm(
            hidden, hidden, config.post_attention_groups, drop
        )
        self.intermediate = ConvActivation(
            hidden, inner, config.intermediate_groups, config.hidden_act
        )
        self.output = ConvDropoutLayerNorm(inner, hidden, config.output_groups, drop)

    def forward(
        self, hidden_states: torch.Tensor, bias: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        channels = hidden_states.transpose(1, 2)
        context, scores = self.attention(channels, bias)
        attended = self.post_attention(context, channels)
        return self.output(self.intermediate(attended), attended).transpose(1, 2), scores


class SqueezeBertEncoder(nn.Module):
    """`num_hidden_layers` layers in `layers`."""

    def __init__(self, config: SqueezeBertConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            SqueezeBertModule(config) for _ in range(config.num_hidden_layers)
        )

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: list[torch.Tensor | None] | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        if head_mask is not None and any(mask is not None for mask in head_mask):
            raise ConfigError("SqueezeBERT does not support head_mask (nor does the reference).")
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_scores: tuple | None = () if output_attentions else None
        for layer in self.layers:
            hidden_states, scores = layer(hidden_states, bias)
            if all_hidden is not None:
                all_hidden += (hidden_states,)
            if all_scores is not None:
                all_scores += (scores,)
        return hidden_states, all_hidden, all_scores


class SqueezeBertPooler(blocks.Pooler):
    """tanh(dense(first token)): the sentence summary the classifiers read."""


class SqueezeBertPredictionHeadTransform(blocks.PredictionHeadTransform):
    """dense -> `hidden_act` -> `LayerNorm`, before the vocabulary projection."""


class SqueezeBertLMPredictionHead(blocks.LMPredictionHead):
    """Transform, then the vocabulary projection (tied to the word embeddings; bias shared)."""

    transform_class = SqueezeBertPredictionHeadTransform


class SqueezeBertOnlyMLMHead(nn.Module):
    def __init__(self, config: SqueezeBertConfig) -> None:
        super().__init__()
        self.predictions = SqueezeBertLMPredictionHead(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        return self.predictions(sequence_output)


# ---------------------------------------------------------------------------- models
class SqueezeBertPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every SqueezeBERT class (weight init is the core's default)."""

    config_class = SqueezeBertConfig
    base_model_prefix = "transformer"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, nn.Conv1d):  # as the reference: N(0, initializer_range), bias 0
            module.weight.data.normal_(0.0, self.config.initializer_range)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, SqueezeBertLMPredictionHead):
            module.bias.data.zero_()


class SqueezeBertModel(blocks.EncoderModel, SqueezeBertPreTrainedModel):
    """The encoder: `embeddings`, `encoder` (the convolutional layers) and `pooler`."""

    embeddings_class = SqueezeBertEmbeddings
    encoder_class = SqueezeBertEncoder
    pooler_class = SqueezeBertPooler

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self.config, "is_decoder", False):
            raise ConfigError("SqueezeBERT is an encoder only: set is_decoder=False.")
        return super().forward(*args, **kwargs)


class SqueezeBertForMaskedLM(MaskedLMHead, SqueezeBertPreTrainedModel):
    """Predicts masked tokens over the vocabulary (`fill-mask`)."""

    base_model_class = SqueezeBertModel
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "transformer.embeddings.word_embeddings.weight"
    }
    shared_weights: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.bias": "cls.predictions.bias"
    }
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: SqueezeBertConfig) -> None:
        self.cls = SqueezeBertOnlyMLMHead(config)


class SqueezeBertForSequenceClassification(SequenceClassificationHead, SqueezeBertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = SqueezeBertModel
    dropout_fields = ("hidden_dropout_prob",)


class SqueezeBertForMultipleChoice(MultipleChoiceHead, SqueezeBertPreTrainedModel):
    """Scores each of `num_choices` text pairs; inputs are `[batch, num_choices, length]`."""

    base_model_class = SqueezeBertModel
    dropout_fields = ("hidden_dropout_prob",)


class SqueezeBertForTokenClassification(TokenClassificationHead, SqueezeBertPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = SqueezeBertModel
    dropout_fields = ("hidden_dropout_prob",)


class SqueezeBertForQuestionAnswering(QuestionAnsweringHead, SqueezeBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = SqueezeBertModel
