"""FNet in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

FNet replaces self-attention by token mixing with a 2-D Fourier transform (over positions and
hidden units; the real part is kept), with no parameters and no attention mask: each layer is
`LayerNorm(x + Re(FFT2(x)))` then BERT's feed-forward block (the core's `Intermediate` /
`Output`). The embeddings add a `projection` after their norm. Read top to bottom: embeddings,
the Fourier sublayer, layer, encoder, `FNetModel`, the pretraining heads, then one class per
task head (the core's generic heads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutputWithPooling, ModelOutput
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.heads import (
    MaskedLMAndNextSentenceHead,
    MaskedLMHead,
    MultipleChoiceHead,
    NextSentencePredictionHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_fnet.configuration_fnet import FNetConfig


class FNetEmbeddings(nn.Module):
    """Word + token-type + position embeddings, `LayerNorm`, `projection`, dropout."""

    def __init__(self, config: FNetConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, hidden, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, hidden)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.projection = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> torch.Tensor:
        embeddings = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        if token_type_ids is None:
            embeddings = embeddings + self.token_type_embeddings.weight[0]
        else:
            embeddings = embeddings + self.token_type_embeddings(token_type_ids)
        if position_ids is None:
            length = embeddings.shape[1]
            if length > self.max_positions:
                raise ConfigError(
                    f"The input has {length} positions but this model handles at most "
                    f"{self.max_positions} (max_position_embeddings): truncate it "
                    "(e.g. tokenizer(..., truncation=True))."
                )
            embeddings = embeddings + self.position_embeddings.weight[:length]
        else:
            embeddings = embeddings + self.position_embeddings(position_ids)
        embeddings = self.projection(self.LayerNorm(embeddings))
        return self.dropout(embeddings) if self.training else embeddings


class FNetBasicFourierTransform(nn.Module):
    """Re(FFT over positions and hidden units): the token mixing, no parameters. Half
    precision runs the transform in float32 (torch has no half-precision FFT on CPU)."""

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if hidden_states.dtype in (torch.float16, torch.bfloat16):
            mixed = torch.fft.fftn(hidden_states.float(), dim=(1, 2)).real
            return mixed.to(hidden_states.dtype)
        return torch.fft.fftn(hidden_states, dim=(1, 2)).real


class FNetBasicOutput(nn.Module):
    """`LayerNorm` of the residual sum."""

    def __init__(self, config: FNetConfig) -> None:
        super().__init__()
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(input_tensor + hidden_states)


class FNetFourierTransform(nn.Module):
    """`self` (the transform) and `output` (residual + norm)."""

    def __init__(self, config: FNetConfig) -> None:
        super().__init__()
        self.self = FNetBasicFourierTransform()
        self.output = FNetBasicOutput(config)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(hidden_states), hidden_states)


class FNetIntermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


class FNetOutput(blocks.Output):
    """Second feed-forward projection (`dense`), dropout, residual add and `LayerNorm`."""


class FNetLayer(nn.Module):
    """`fourier` mixing, then `intermediate` and `output` (feed-forward)."""

    def __init__(self, config: FNetConfig) -> None:
        super().__init__()
        self.fourier = FNetFourierTransform(config)
        self.intermediate = FNetIntermediate(config)
        self.output = FNetOutput(config)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        mixed = self.fourier(hidden_states)
        return self.output(self.intermediate(mixed), mixed)


class FNetEncoder(nn.Module):
    """`num_hidden_layers` layers in `layer`."""

    def __init__(self, config: FNetConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(FNetLayer(config) for _ in range(config.num_hidden_layers))

    def forward(
        self, hidden_states: torch.Tensor, output_hidden_states: bool = False
    ) -> tuple[torch.Tensor, tuple | None]:
        all_hidden = (hidden_states,) if output_hidden_states else None
        for layer in self.layer:
            hidden_states = layer(hidden_states)
            if all_hidden is not None:
                all_hidden += (hidden_states,)
        return hidden_states, all_hidden


class FNetPooler(blocks.Pooler):
    """tanh(dense(first token)): the summary the classification heads read."""


# ------------------------------------------------------------------ pretraining heads
class FNetPredictionHeadTransform(blocks.PredictionHeadTransform):
    """dense -> `hidden_act` -> `LayerNorm`, before the vocabulary projection."""


class FNetLMPredictionHead(blocks.LMPredictionHead):
    """Transform, then `decoder` onto the vocabulary (tied to the word embeddings; bias shared)."""

    transform_class = FNetPredictionHeadTransform


class FNetOnlyMLMHead(blocks.OnlyMLMHead):
    prediction_class = FNetLMPredictionHead


class FNetOnlyNSPHead(blocks.OnlyNSPHead):
    """`seq_relationship`: is sentence B the continuation of sentence A (two logits)."""


class FNetPreTrainingHeads(blocks.PreTrainingHeads):
    prediction_class = FNetLMPredictionHead


@dataclass(repr=False, eq=False)
class FNetForPreTrainingOutput(ModelOutput):
    loss: Any = None
    prediction_logits: Any = None
    seq_relationship_logits: Any = None
    hidden_states: tuple | None = None


# ---------------------------------------------------------------------------- models
_MLM_TIES = {"cls.predictions.decoder.weight": "fnet.embeddings.word_embeddings.weight"}
_MLM_SHARED = {"cls.predictions.decoder.bias": "cls.predictions.bias"}


class FNetPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every FNet class (weight init is the core's default)."""

    config_class = FNetConfig
    base_model_prefix = "fnet"
    # buffers the reference may save: position/type ids, the TPU variant's DFT matrices
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"(^|\.)embeddings\.(position|token_type)_ids$",
        r"(^|\.)fourier\.self\.dft_mat_(hidden|seq)$",
    ]


class FNetModel(FNetPreTrainedModel):
    """`embeddings`, the Fourier `encoder` and the `pooler` (optional)."""

    def __init__(self, config: FNetConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        self.embeddings = FNetEmbeddings(config)
        self.encoder = FNetEncoder(config)
        self.pooler = FNetPooler(config) if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        output_hidden_states = self.output_flags(None, output_hidden_states)[1]
        hidden = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds)
        hidden, all_hidden = self.encoder(hidden, output_hidden_states)
        outputs = BaseModelOutputWithPooling(
            last_hidden_state=hidden,
            pooler_output=self.pooler(hidden) if self.pooler is not None else None,
            hidden_states=all_hidden,
        )
        return self.model_outputs(outputs, return_dict)


class FNetForPreTraining(MaskedLMAndNextSentenceHead, FNetPreTrainedModel):
    """Masked-LM `cls.predictions` and next-sentence `cls.seq_relationship`."""

    base_model_class = FNetModel
    output_class = FNetForPreTrainingOutput
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: FNetConfig) -> None:
        self.cls = FNetPreTrainingHeads(config)


class FNetForMaskedLM(MaskedLMHead, FNetPreTrainedModel):
    """Predicts masked tokens (`fill-mask`); label -100 is ignored."""

    base_model_class = FNetModel
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: FNetConfig) -> None:
        self.cls = FNetOnlyMLMHead(config)


class FNetForNextSentencePrediction(NextSentencePredictionHead, FNetPreTrainedModel):
    """Is text B the continuation of text A? From the pooled output (`cls.seq_relationship`)."""

    base_model_class = FNetModel

    def build_head(self, config: FNetConfig) -> None:
        self.cls = FNetOnlyNSPHead(config)


class FNetForSequenceClassification(SequenceClassificationHead, FNetPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = FNetModel
    dropout_fields = ("hidden_dropout_prob",)


class FNetForMultipleChoice(MultipleChoiceHead, FNetPreTrainedModel):
    """Scores each of `num_choices` text pairs from the pooled output."""

    base_model_class = FNetModel
    dropout_fields = ("hidden_dropout_prob",)


class FNetForTokenClassification(TokenClassificationHead, FNetPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = FNetModel
    dropout_fields = ("hidden_dropout_prob",)


class FNetForQuestionAnswering(QuestionAnsweringHead, FNetPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = FNetModel
