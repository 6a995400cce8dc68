"""OpenAI GPT in PyTorch, with the reference's class and parameter names (Hub checkpoints load as is).

The first GPT is a post-norm decoder: `h = ln_1(x + attn(x))`, `out = ln_2(h + mlp(h))`
(the core's `post_norm_layer`), with GPT-2's fused `c_attn` / `c_proj` projections stored
`[in, out]`, learned positions (`positions_embed`) and no final norm. The reference has no KV
cache; tfx's model keeps one while generating (`use_cache=True`), so each step costs one token
and runs through the core's one-token decode plan, with the same ids as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import DecoderAttention, DecoderLayer, DecoderMLP
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.functional import post_norm_layer
from tfx_core.modeling.torch.blocks.lean_decoder import LeanDecoding
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.conv1d import Conv1D
from tfx_core.modeling.torch.heads import CausalLMHead, SequenceClassificationHead, TaskHead
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.losses import causal_lm_loss
from tfx_core.modeling.torch.summary import SequenceSummary
from tfx_plugin_openai_gpt.configuration_openai_gpt import OpenAIGPTConfig

__all__ = [
    "OpenAIGPTAttention",
    "OpenAIGPTBlock",
    "OpenAIGPTDoubleHeadsModel",
    "OpenAIGPTDoubleHeadsModelOutput",
    "OpenAIGPTForSequenceClassification",
    "OpenAIGPTLMHeadModel",
    "OpenAIGPTMLP",
    "OpenAIGPTModel",
    "OpenAIGPTPreTrainedModel",
]


class OpenAIGPTAttention(DecoderAttention):
    """Causal self-attention; query, key and value from one fused projection `c_attn`."""

    qkv_attribute = "c_attn"
    output_attribute = "c_proj"
    projection_kind = "conv1d"
    attention_dropout_field = "attn_pdrop"
    output_dropout_field = "resid_pdrop"


class OpenAIGPTMLP(DecoderMLP):
    """Expand to 4 x n_embd (`c_fc`), activation (`afn`), project back (`c_proj`)."""

    up_attribute = "c_fc"
    gate_attribute = None
    down_attribute = "c_proj"
    activation_attribute = "act"
    activation_field = "mlp_activation"
    projection_kind = "conv1d"
    dropout_field = "resid_pdrop"

    def inner_size(self, config: OpenAIGPTConfig) -> int:
        return 4 * config.n_embd


class OpenAIGPTBlock(DecoderLayer):
    """Post-norm block: h = ln_1(x + attn(x)), then ln_2(h + mlp(h))."""

    input_norm_attribute = "ln_1"
    attention_attribute = "attn"
    post_norm_attribute = "ln_2"
    layer_function = staticmethod(post_norm_layer)
    attention_class = OpenAIGPTAttention
    mlp_class = OpenAIGPTMLP
    norm_kind = "layer"
    norm_eps_field = "layer_norm_epsilon"


class OpenAIGPTPreTrainedModel(PreTrainedModel):
    """Shared OpenAI GPT loading rules and weight initialisation."""

    config_class = OpenAIGPTConfig
    base_model_prefix = "transformer"
    # old checkpoints saved the causal-mask and position-id buffers; they are not weights
    ignore_unexpected_keys: ClassVar[list[str]] = [r"\.attn\.bias$", r"(^|\.)position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, Conv1D):
            with torch.no_grad():
                module.weight.normal_(mean=0.0, std=self.config.initializer_range)
                module.bias.zero_()


def _flat(value: Any, keep: int = 1) -> Any:
    """`[batch, choices, ..., length(, hidden)]` -> `[batch * choices, length(, hidden)]`."""
    if not isinstance(value, torch.Tensor) or value.dim() <= keep + 1:
        return value
    return value.reshape(-1, *value.shape[-keep:])


@trusted_forward
class OpenAIGPTModel(DecoderModel, OpenAIGPTPreTrainedModel):
    """Token (`tokens_embed`) + position (`positions_embed`) embeddings, post-norm blocks `h`."""

    layers_attribute = "h"
    final_norm_attribute = None
    token_embedding_attribute = "tokens_embed"
    position_embedding_attribute = "positions_embed"

    def __init__(self, config: OpenAIGPTConfig) -> None:
        super().__init__(config)
        self.tokens_embed = nn.Embedding(config.vocab_size, config.n_embd)
        self.positions_embed = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(OpenAIGPTBlock(config, layer_idx=i) for i in range(config.n_layer))
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.tokens_embed

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.tokens_embed = embeddings

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        past_key_values: Cache | tuple | None = None,
        use_cache: bool | None = None,
    ) -> Any:
        """The reference's inputs (`[batch, choices, length]` too); `past_key_values` and
        `use_cache` are tfx's (the reference keeps no cache, so none is made unless asked)."""
        reference = input_ids if input_ids is not None else inputs_embeds
        leading = None
        if reference is not None and reference.dim() > (2 if input_ids is not None else 3):
            leading = reference.shape[: -1 if input_ids is not None else -2]
        outputs = self.decoder_forward(
            _flat(input_ids),
            past_key_values=past_key_values,
            attention_mask=_flat(attention_mask),
            token_type_ids=_flat(token_type_ids),
            position_ids=_flat(position_ids),
            head_mask=head_mask,
            inputs_embeds=_flat(inputs_embeds, keep=2),
            use_cache=bool(use_cache),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        if leading is not None:  # multiple choice: back to [batch, choices, length, hidden]
            hidden = outputs.last_hidden_state
            outputs.last_hidden_state = hidden.reshape(*leading, *hidden.shape[-2:])
        return self.model_outputs(outputs, return_dict)


@trusted_forward
class OpenAIGPTLMHeadModel(LeanDecoding, GenerationMixin, CausalLMHead, OpenAIGPTPreTrainedModel):
    """Language modelling (`lm_head` tied to the token embeddings); has `generate`."""

    base_model_class = OpenAIGPTModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.tokens_embed.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: OpenAIGPTConfig) -> None:
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """The reference's `generate` passes no positions: they count 0, 1, ... from the
        first column, padding included; so do these."""
        return super()._decode_forward(
            input_ids, attention_mask=attention_mask, position_ids=None, cache=cache
        )


@dataclass(repr=False, eq=False)
class OpenAIGPTDoubleHeadsModelOutput(ModelOutput):
    """LM logits over every choice and one multiple-choice score per choice."""

    loss: torch.Tensor | None = None
    mc_loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    mc_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class OpenAIGPTDoubleHeadsModel(TaskHead, OpenAIGPTPreTrainedModel):
    """Language modelling plus a multiple-choice score read at `mc_token_ids` (RocStories, SWAG).

    Inputs are `[batch, choices, length]` (or `[batch, length]`); `multiple_choice_head` is the
    core's `SequenceSummary` configured by the `summary_*` fields.
    """

    base_model_class = OpenAIGPTModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.tokens_embed.weight"}
    output_class = OpenAIGPTDoubleHeadsModelOutput
    dropout_fields = None
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: OpenAIGPTConfig) -> None:
        config.num_labels = 1  # one score per choice, as the reference sets it
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.multiple_choice_head = SequenceSummary(config)

    def forward(
        self,
        *args: Any,
        mc_token_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        mc_labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        hidden = base.last_hidden_state
        logits = self.lm_head(hidden)
        length, width = hidden.shape[-2:]
        cls_index = mc_token_ids.reshape(-1) if mc_token_ids is not None else None
        summary = self.multiple_choice_head(hidden.reshape(-1, length, width), cls_index)
        mc_logits = summary.reshape(*hidden.shape[:-2], -1).squeeze(-1)
        loss = causal_lm_loss(logits, labels.to(logits.device)) if labels is not None else None
        mc_loss = None
        if mc_labels is not None:
            mc_loss = F.cross_entropy(
                mc_logits.reshape(-1, mc_logits.shape[-1]), mc_labels.reshape(-1)
            )
        return self.finish(
            return_dict, base, loss=loss, mc_loss=mc_loss, logits=logits, mc_logits=mc_logits
        )


class OpenAIGPTForSequenceClassification(SequenceClassificationHead, OpenAIGPTPreTrainedModel):
    """A linear classifier (`score`, no bias) on each sequence's last non-padding token."""

    base_model_class = OpenAIGPTModel
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None
