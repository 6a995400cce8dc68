"""Speech task heads over a speech base model (Wav2Vec2, HuBERT, ...), with checkpoint names.

Mixed in before the plugin's `PreTrainedModel` subclass, with `base_model_class` set:

    class Wav2Vec2ForCTC(CTCHead, Wav2Vec2PreTrainedModel):
        base_model_class = Wav2Vec2Model

The base model is built at `base_model_prefix`; `use_weighted_layer_sum` configs mix every
layer's states with learned weights (`layer_weights`). Heads: `CTCHead` (`lm_head`, CTC loss),
`AudioClassificationHead` (`projector`, `classifier`, mean over unpadded frames),
`AudioFrameClassificationHead` (`classifier` per frame), `XVectorHead` (speaker embeddings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import (
    CausalLMOutput,
    ModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from tfx_core.modeling.torch.blocks.speech import ctc_loss, feature_lengths, frame_attention_mask


class SpeechHead:
    """A base model at `base_model_prefix`, and the layer-weighted sum of its hidden states."""

    base_model_class: ClassVar[type[nn.Module]]

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        setattr(self, self.base_model_prefix, self.base_model_class(config))
        if getattr(config, "use_weighted_layer_sum", False):
            layers = config.num_hidden_layers + 1
            self.layer_weights = nn.Parameter(torch.ones(layers) / layers)

    def encode(
        self,
        input_values: Any,
        attention_mask: Any,
        output_attentions: Any,
        output_hidden_states: Any,
    ) -> tuple[torch.Tensor, ModelOutput]:
        weighted = getattr(self.config, "use_weighted_layer_sum", False)
        outputs = getattr(self, self.base_model_prefix)(
            input_values,
            attention_mask=attention_mask,
            output_attentions=output_attentions,
            output_hidden_states=True if weighted else output_hidden_states,
            return_dict=True,
        )
        if not weighted:
            return outputs.last_hidden_state, outputs
        stacked = torch.stack(outputs.hidden_states, dim=1)
        weights = nn.functional.softmax(self.layer_weights, dim=-1)
        return (stacked * weights.view(-1, 1, 1)).sum(dim=1), outputs

    def freeze_feature_encoder(self) -> None:
        getattr(self, self.base_model_prefix).freeze_feature_encoder()

    def freeze_base_model(self) -> None:
        for parameter in getattr(self, self.base_model_prefix).parameters():
            parameter.requires_grad = False


class CTCHead(SpeechHead):
    """Per-frame vocabulary logits for CTC speech recognition."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.dropout = nn.Dropout(config.final_dropout)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size)
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        labels: torch.Tensor | None = None,
    ) -> Any:
        hidden, outputs = self.encode(
            input_values, attention_mask, output_attentions, output_hidden_states
        )
        logits = self.lm_head(self.dropout(hidden))
        loss = None
        if labels is not None:
            loss = ctc_loss(logits, labels, attention_mask, input_values, self.config)
        return self.model_outputs(
            CausalLMOutput(
                loss=loss,
                logits=logits,
                hidden_states=outputs.get("hidden_states") if output_hidden_states else None,
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


class AudioClassificationHead(SpeechHead):
    """One label per clip: projected frame states, mean-pooled over the unpadded frames."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.projector = nn.Linear(config.hidden_size, config.classifier_proj_size)
        self.classifier = nn.Linear(config.classifier_proj_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        labels: torch.Tensor | None = None,
    ) -> Any:
        hidden, outputs = self.encode(
            input_values, attention_mask, output_attentions, output_hidden_states
        )
        hidden = self.projector(hidden)
        if attention_mask is None:
            pooled = hidden.mean(dim=1)
        else:
            frames = frame_attention_mask(hidden.shape[1], attention_mask, self.config)
            hidden = hidden.masked_fill(~frames[..., None], 0.0)
            pooled = hidden.sum(dim=1) / frames.sum(dim=1).view(-1, 1)
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(
                logits.view(-1, self.config.num_labels), labels.view(-1)
            )
        return self.model_outputs(
            SequenceClassifierOutput(
                loss=loss,
                logits=logits,
                hidden_states=outputs.get("hidden_states") if output_hidden_states else None,
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


class AudioFrameClassificationHead(SpeechHead):
    """One label per frame (e.g. speaker diarization)."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.num_labels = config.num_labels
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        hidden, outputs = self.encode(
            input_values, attention_mask, output_attentions, output_hidden_states
        )
        logits = self.classifier(hidden)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(
                logits.view(-1, self.num_labels),
                torch.argmax(labels.view(-1, self.num_labels), dim=1),
            )
        return self.model_outputs(
            TokenClassifierOutput(
                loss=loss,
                logits=logits,
                hidden_states=outputs.get("hidden_states") if output_hidden_states else None,
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


class TDNNLayer(nn.Module):
    """A dilated 1-D convolution over frames stored as a linear `kernel` (the checkpoint form)."""

    def __init__(self, config: Any, index: int) -> None:
        super().__init__()
        dims = config.tdnn_dim
        self.in_dim = dims[index - 1] if index > 0 else dims[index]
        self.out_dim = dims[index]
        self.kernel_size = config.tdnn_kernel[index]
        self.dilation = config.tdnn_dilation[index]
        self.kernel = nn.Linear(self.in_dim * self.kernel_size, self.out_dim)
        self.activation = nn.ReLU()

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        weight = self.kernel.weight.view(self.out_dim, self.kernel_size, self.in_dim).transpose(
            1, 2
        )
        hidden = nn.functional.conv1d(
            hidden.transpose(1, 2), weight, self.kernel.bias, dilation=self.dilation
        )
        return self.activation(hidden.transpose(1, 2))


class AMSoftmaxLoss(nn.Module):
    """Additive-margin softmax over cosine similarities to learned class directions."""

    def __init__(self, input_dim: int, num_labels: int, scale: float = 30.0, margin: float = 0.4):
        super().__init__()
        self.scale, self.margin, self.num_labels = scale, margin, num_labels
        self.weight = nn.Parameter(torch.randn(input_dim, num_labels), requires_grad=True)

    def forward(self, hidden: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        labels = labels.flatten()
        cosine = torch.mm(
            nn.functional.normalize(hidden, dim=1), nn.functional.normalize(self.weight, dim=0)
        )
        target = nn.functional.one_hot(labels, self.num_labels).bool()
        logits = self.scale * torch.where(target, cosine - self.margin, cosine)
        return nn.functional.cross_entropy(logits, labels)


@dataclass(repr=False, eq=False)
class XVectorOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    embeddings: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class XVectorHead(SpeechHead):
    """Speaker embeddings (x-vectors): TDNN layers, mean and std pooling, AM-softmax loss."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.projector = nn.Linear(config.hidden_size, config.tdnn_dim[0])
        self.tdnn = nn.ModuleList(TDNNLayer(config, i) for i in range(len(config.tdnn_dim)))
        self.feature_extractor = nn.Linear(config.tdnn_dim[-1] * 2, config.xvector_output_dim)
        self.classifier = nn.Linear(config.xvector_output_dim, config.xvector_output_dim)
        self.objective = AMSoftmaxLoss(config.xvector_output_dim, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        labels: torch.Tensor | None = None,
    ) -> Any:
        hidden, outputs = self.encode(
            input_values, attention_mask, output_attentions, output_hidden_states
        )
        hidden = self.projector(hidden)
        for layer in self.tdnn:
            hidden = layer(hidden)
        if attention_mask is None:
            pooled = torch.cat([hidden.mean(dim=1), hidden.std(dim=1)], dim=-1)
        else:
            lengths = feature_lengths(attention_mask.sum(dim=1), self.config)
            for kernel in self.config.tdnn_kernel:
                lengths = lengths - kernel + 1
            rows = [hidden[i, : int(n)] for i, n in enumerate(lengths)]
            pooled = torch.cat(
                [
                    torch.stack([r.mean(dim=0) for r in rows]),
                    torch.stack([r.std(dim=0) for r in rows]),
                ],
                dim=-1,
            )
        embeddings = self.feature_extractor(pooled)
        logits = self.classifier(embeddings)
        loss = self.objective(logits, labels) if labels is not None else None
        return self.model_outputs(
            XVectorOutput(
                loss=loss,
                logits=logits,
                embeddings=embeddings,
                hidden_states=outputs.get("hidden_states") if output_hidden_states else None,
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )
