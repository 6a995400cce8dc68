"""Wav2Vec2's self-supervised objective: quantized targets and the contrastive loss.

`Wav2Vec2ForPreTraining` predicts, at masked frames, which quantized CNN feature is the true
one among sampled distractors. The quantizer picks one learned codevector per group (Gumbel
softmax while training, argmax otherwise); the loss adds a diversity term that keeps the
codebooks in use. Masks and negatives are inputs (`mask_time_indices`,
`sampled_negative_indices`), as in the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_plugin_wav2vec2.configuration_wav2vec2 import Wav2Vec2Config
from tfx_plugin_wav2vec2.modeling_wav2vec2 import Wav2Vec2Model, Wav2Vec2PreTrainedModel


@dataclass(repr=False, eq=False)
class Wav2Vec2ForPreTrainingOutput(ModelOutput):
    loss: torch.Tensor | None = None
    projected_states: torch.Tensor | None = None
    projected_quantized_states: torch.Tensor | None = None
    codevector_perplexity: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None
    contrastive_loss: torch.Tensor | None = None
    diversity_loss: torch.Tensor | None = None


def codebook_perplexity(probs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """exp(entropy) of the average codevector choice per group, summed over groups."""
    if mask is not None:
        keep = mask.flatten()[:, None, None].expand(probs.shape)
        marginal = torch.where(keep, probs, torch.zeros_like(probs)).sum(dim=0) / mask.sum()
    else:
        marginal = probs.mean(dim=0)
    return torch.exp(-torch.sum(marginal * torch.log(marginal + 1e-7), dim=-1)).sum()


class Wav2Vec2GumbelVectorQuantizer(nn.Module):
    """One codevector per group from `weight_proj` scores; the groups' vectors concatenated."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.num_groups = config.num_codevector_groups
        self.num_vars = config.num_codevectors_per_group
        if config.codevector_dim % self.num_groups:
            raise ConfigError(
                f"codevector_dim ({config.codevector_dim}) must be divisible by "
                f"num_codevector_groups ({self.num_groups})."
            )
        self.codevectors = nn.Parameter(
            torch.empty(
                1, self.num_groups * self.num_vars, config.codevector_dim // self.num_groups
            )
        )
        self.weight_proj = nn.Linear(config.conv_dim[-1], self.num_groups * self.num_vars)
        self.temperature = 2

    def forward(
        self, features: torch.Tensor, mask_time_indices: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, length, _ = features.shape
        scores = self.weight_proj(features).view(batch * length * self.num_groups, -1)
        if self.training:
            probs = nn.functional.gumbel_softmax(
                scores.float(), tau=self.temperature, hard=True
            ).type_as(scores)
            soft = torch.softmax(scores.view(batch * length, self.num_groups, -1).float(), dim=-1)
            perplexity = codebook_perplexity(soft, mask_time_indices)
        else:
            probs = scores.new_zeros(scores.shape).scatter_(-1, scores.argmax(dim=-1)[:, None], 1.0)
            probs = probs.view(batch * length, self.num_groups, -1)
            perplexity = codebook_perplexity(probs, mask_time_indices)
        chosen = probs.view(batch * length, -1).unsqueeze(-1) * self.codevectors
        chosen = chosen.view(batch * length, self.num_groups, self.num_vars, -1).sum(-2)
        return chosen.view(batch, length, -1), perplexity


class Wav2Vec2ForPreTraining(Wav2Vec2PreTrainedModel):
    """Contrastive prediction of quantized features at masked frames, plus a diversity loss."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__(config)
        self.wav2vec2 = Wav2Vec2Model(config)
        self.dropout_features = nn.Dropout(config.feat_quantizer_dropout)
        self.quantizer = Wav2Vec2GumbelVectorQuantizer(config)
        self.project_hid = nn.Linear(config.hidden_size, config.proj_codevector_dim)
        self.project_q = nn.Linear(config.codevector_dim, config.proj_codevector_dim)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        with torch.no_grad():
            if isinstance(module, Wav2Vec2GumbelVectorQuantizer):
                module.weight_proj.weight.normal_(mean=0.0, std=1)
                module.weight_proj.bias.zero_()
                nn.init.uniform_(module.codevectors)
            elif isinstance(module, Wav2Vec2ForPreTraining):
                module.project_hid.reset_parameters()
                module.project_q.reset_parameters()

    def set_gumbel_temperature(self, temperature: float) -> None:
        self.quantizer.temperature = temperature

    def freeze_feature_encoder(self) -> None:
        self.wav2vec2.freeze_feature_encoder()

    @staticmethod
    def compute_contrastive_logits(
        target: torch.Tensor, negatives: torch.Tensor, predicted: torch.Tensor, temperature: float
    ) -> torch.Tensor:
        """Cosine similarity of the prediction to the target (row 0) and each negative."""
        candidates = torch.cat([target, negatives], dim=0)
        logits = torch.cosine_similarity(predicted.float(), candidates.float(), dim=-1)
        return logits.type_as(candidates) / temperature

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        mask_time_indices: torch.Tensor | None = None,
        sampled_negative_indices: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        if mask_time_indices is not None:
            mask_time_indices = mask_time_indices.to(torch.bool)
        outputs = self.wav2vec2(
            input_values,
            attention_mask=attention_mask,
            mask_time_indices=mask_time_indices,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        predicted = self.project_hid(outputs.last_hidden_state)
        features = self.dropout_features(outputs.extract_features)
        quantized, perplexity = self.quantizer(features, mask_time_indices)
        quantized = self.project_q(quantized.to(self.project_q.weight.dtype))
        loss = contrastive = diversity = None
        if sampled_negative_indices is not None:
            if mask_time_indices is None:
                raise ConfigError("sampled_negative_indices needs mask_time_indices as well.")
            batch, length, size = quantized.shape
            negatives = quantized.view(-1, size)[sampled_negative_indices.long().view(-1)]
            negatives = negatives.view(batch, length, -1, size).permute(2, 0, 1, 3)
            logits = self.compute_contrastive_logits(
                quantized[None], negatives, predicted, self.config.contrastive_logits_temperature
            )
            same = (quantized == negatives).all(-1)
            if same.any():
                logits[1:][same] = float("-inf")
            logits = logits.transpose(0, 2).reshape(-1, logits.size(0))
            target = ((1 - mask_time_indices.long()) * -100).transpose(0, 1).flatten()
            contrastive = nn.functional.cross_entropy(logits.float(), target, reduction="sum")
            codevectors = self.config.num_codevectors_per_group * self.config.num_codevector_groups
            diversity = ((codevectors - perplexity) / codevectors) * mask_time_indices.sum()
            loss = contrastive + self.config.diversity_loss_weight * diversity
        return self.model_outputs(
            Wav2Vec2ForPreTrainingOutput(
                loss=loss,
                projected_states=predicted,
                projected_quantized_states=quantized,
                codevector_perplexity=perplexity,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
                contrastive_loss=contrastive,
                diversity_loss=diversity,
            ),
            return_dict,
        )
