"""BERT in PyTorch, with the reference's parameter names so Hub checkpoints load unchanged.

Read top to bottom: embeddings, self-attention, feed-forward, layer, encoder, pooler, the heads'
building blocks, the base `BertModel`, then one class per task head. A module's attribute name
is the key prefix of its weights in `model.safetensors` (`encoder.layer.0.attention.self.query`).

Inference is lean on purpose: no attention mask is built when nothing is padded (the fused
kernel then runs unmasked), token type 0 is added as a row instead of an embedding lookup,
positions are a slice of the table, dropout runs only in training, query/key/value are one
matmul (see `BertSelfAttention._fused_projection`), and projections use the core's `Linear`,
which stays fast for short inputs on CPU. At inference the encoder runs its layers as straight
tensor ops (`BertEncoder._lean_forward`) instead of calling a dozen modules per layer, while
the core's `LeanGuard` says that is unobservable: a hook, an adapter subclass, training mode or
autograd sends the call through the modules as usual.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError, GenerationError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import (
    BaseModelOutputWithPoolingAndPast,
    CausalLMOutputWithPast,
    MaskedLMOutput,
    ModelOutput,
    MultipleChoiceModelOutput,
    NextSentencePredictorOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from tfx_core.modeling.torch import PreTrainedModel, attention, causal_mask, padding_mask
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.cache import Cache, DynamicCache
from tfx_core.modeling.torch.lean import LeanGuard, exactly
from tfx_core.modeling.torch.linear import Linear, linear
from tfx_core.modeling.torch.losses import (
    causal_lm_loss,
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)
from tfx_plugin_bert.configuration_bert import BertConfig


class BertEmbeddings(nn.Module):
    """Word + position + token-type embeddings, then layer norm and dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, hidden, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, hidden)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.absolute = config.position_embedding_type == "absolute"
        self.max_positions = config.max_position_embeddings
        # Not saved (like the reference); old checkpoints that carry it are reported as ignored.
        self.register_buffer(
            "position_ids", torch.arange(config.max_position_embeddings)[None], persistent=False
        )

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = F.embedding(input_ids, self.word_embeddings.weight)
        if token_type_ids is None:  # all type 0: add the row, no lookup
            embeddings = inputs_embeds + self.token_type_embeddings.weight[0]
        else:
            embeddings = inputs_embeds + F.embedding(
                token_type_ids, self.token_type_embeddings.weight
            )
        if self.absolute:
            if position_ids is None:
                length = inputs_embeds.shape[1]
                if past_length + length > self.max_positions:
                    raise ConfigError(
                        f"The input has {past_length + length} positions but this model handles "
                        f"at most {self.max_positions} (max_position_embeddings): truncate it "
                        "(e.g. tokenizer(..., truncation=True))."
                    )
                positions = self.position_embeddings.weight[past_length : past_length + length]
            else:
                positions = F.embedding(position_ids, self.position_embeddings.weight)
            embeddings = embeddings + positions
        embeddings = self.LayerNorm(embeddings)
        return self.dropout(embeddings) if self.training else embeddings


class _FusedProjection(NamedTuple):
    """Query, key and value as one matrix, and the parameters (and memory) it was built from."""

    weight: torch.Tensor
    bias: torch.Tensor
    modules: tuple[nn.Module, ...]
    parameters: tuple[nn.Parameter, ...]
    pointers: tuple[int, ...]


class BertSelfAttention(nn.Module):
    """Multi-head attention through the core's `attention` (fused SDPA unless weights asked)."""

    def __init__(self, config: BertConfig, layer_idx: int) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = hidden // self.num_heads
        self.layer_idx = layer_idx
        self.query = Linear(hidden, hidden)
        self.key = Linear(hidden, hidden)
        self.value = Linear(hidden, hidden)
        self.dropout_p = config.attention_probs_dropout_prob
        self.position_embedding_type = config.position_embedding_type
        if self.position_embedding_type != "absolute":
            self.max_positions = config.max_position_embeddings
            self.distance_embedding = nn.Embedding(2 * self.max_positions - 1, self.head_dim)
        self._fused: _FusedProjection | None = None  # see _fused_projection

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None,
        is_causal: bool,
        cache: Cache | None,
        head_mask: torch.Tensor | None,
        output_attentions: bool,
        implementation: str,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, length, hidden = hidden_states.shape
        fused = None if torch.is_grad_enabled() else self._fused_projection()
        if fused is not None:  # inference: one matmul for all three projections
            qkv = linear(hidden_states, *fused)
            qkv = qkv.view(batch, length, 3, self.num_heads, self.head_dim)
            query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        else:  # training: three projections, each gets its gradient
            shape = (batch, length, self.num_heads, self.head_dim)
            query = self.query(hidden_states).view(shape).transpose(1, 2)
            key = self.key(hidden_states).view(shape).transpose(1, 2)
            value = self.value(hidden_states).view(shape).transpose(1, 2)
        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)
        if self.position_embedding_type != "absolute":
            bias = self._relative_bias(query, key, bias, is_causal)
            is_causal = False
        out, weights = attention(
            query,
            key,
            value,
            attention_mask=bias,
            is_causal=is_causal,
            dropout_p=self.dropout_p if self.training else 0.0,
            output_attentions=output_attentions or head_mask is not None,
            implementation=implementation,
        )
        if head_mask is not None:  # the reference scales each head's weights (eager only)
            weights = weights * head_mask
            out = torch.matmul(weights, value)
        return out.transpose(1, 2).reshape(batch, length, hidden), weights

    def _fused_projection(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The query, key and value weights (and biases) as one `[3 * hidden, hidden]` matrix.

        Built on first use by copying the three into one buffer and re-pointing each
        parameter's data at its slice: the same Parameter objects, names and checkpoint keys
        (an optimizer holding them keeps working). Rebuilt when a parameter's memory changes
        (loading, `.to()`); None when a projection is not a plain `nn.Linear` (e.g. an adapter
        wraps it), so the modules themselves are called.
        """
        if self.fused_current():
            return self._fused.weight, self._fused.bias
        q, k, v = self.query, self.key, self.value
        if not all(exactly(m, Linear, nn.Linear) and m.bias is not None for m in (q, k, v)):
            return None
        weight = torch.cat([q.weight.detach(), k.weight.detach(), v.weight.detach()])
        bias = torch.cat([q.bias.detach(), k.bias.detach(), v.bias.detach()])
        size = q.out_features
        for i, module in enumerate((q, k, v)):
            module.weight.data = weight[i * size : (i + 1) * size]
            module.bias.data = bias[i * size : (i + 1) * size]
        parameters = (q.weight, k.weight, v.weight, q.bias, k.bias, v.bias)
        pointers = tuple(map(torch.Tensor.data_ptr, parameters))
        self._fused = _FusedProjection(weight, bias, (q, k, v), parameters, pointers)
        return weight, bias

    def fused_current(self) -> bool:
        """The fused matrix exists and still holds the projections' parameters' memory."""
        fused = self._fused
        q, k, v = self.query, self.key, self.value
        if fused is None or not all(map(operator.is_, (q, k, v), fused.modules)):
            return False  # (identity checks: `==` on parameters would compare values)
        parameters = (q.weight, k.weight, v.weight, q.bias, k.bias, v.bias)
        same = all(map(operator.is_, parameters, fused.parameters))
        return same and tuple(map(torch.Tensor.data_ptr, parameters)) == fused.pointers

    def _relative_bias(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        bias: torch.Tensor | None,
        is_causal: bool,
    ) -> torch.Tensor:
        """Relative-position scores as an additive bias (already divided by sqrt(head_dim)).

        `relative_key` adds q . e(i - j); `relative_key_query` also adds k . e(i - j), where
        e is a learned embedding of the distance between query i and key j.
        """
        q_len, k_len = query.shape[2], key.shape[2]
        device = query.device
        rows = torch.arange(k_len - q_len, k_len, device=device)[:, None]
        distance = rows - torch.arange(k_len, device=device)[None]
        table = self.distance_embedding(distance + self.max_positions - 1).to(query.dtype)
        scores = torch.einsum("bhld,lrd->bhlr", query, table)
        if self.position_embedding_type == "relative_key_query":
            scores = scores + torch.einsum("bhrd,lrd->bhlr", key, table)
        scores = scores * self.head_dim**-0.5
        if is_causal:
            causal = causal_mask(None, q_len, k_len, query.dtype, device)
            bias = (
                causal if bias is None else (bias + causal).clamp_min(torch.finfo(bias.dtype).min)
            )
        return scores if bias is None else scores + bias


class BertSelfOutput(nn.Module):
    """Output projection of attention, dropout, residual add and layer norm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        hidden_states = self.dense(hidden_states)
        if self.training:
            hidden_states = self.dropout(hidden_states)
        return self.LayerNorm(hidden_states + residual)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig, layer_idx: int) -> None:
        super().__init__()
        self.self = BertSelfAttention(config, layer_idx)
        self.output = BertSelfOutput(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None,
        is_causal: bool,
        cache: Cache | None,
        head_mask: torch.Tensor | None,
        output_attentions: bool,
        implementation: str,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        out, weights = self.self(
            hidden_states, bias, is_causal, cache, head_mask, output_attentions, implementation
        )
        return self.output(out, hidden_states), weights


class BertIntermediate(nn.Module):
    """First feed-forward projection and the activation (`hidden_act`)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation_fn(config.hidden_act)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    """Second feed-forward projection, dropout, residual add and layer norm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        hidden_states = self.dense(hidden_states)
        if self.training:
            hidden_states = self.dropout(hidden_states)
        return self.LayerNorm(hidden_states + residual)


class BertLayer(nn.Module):
    """One post-norm transformer block: attention, then the feed-forward network."""

    def __init__(self, config: BertConfig, layer_idx: int) -> None:
        super().__init__()
        self.attention = BertAttention(config, layer_idx)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None,
        is_causal: bool,
        cache: Cache | None,
        head_mask: torch.Tensor | None,
        output_attentions: bool,
        implementation: str,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            hidden_states, bias, is_causal, cache, head_mask, output_attentions, implementation
        )
        return self.output(self.intermediate(attended), attended), weights


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config, i) for i in range(config.num_hidden_layers))
        self._lean_plan: _LeanPlan | None = None  # see _lean_layers

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None,
        is_causal: bool,
        cache: Cache | None,
        head_mask: list[torch.Tensor] | None,
        output_attentions: bool,
        output_hidden_states: bool,
        implementation: str,
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        plain_call = cache is None and head_mask is None and implementation == "sdpa"
        if plain_call and not (self.training or output_attentions or is_causal):
            lean = self._lean_layers()
            if lean is not None:
                return self._lean_forward(hidden_states, bias, lean, output_hidden_states)
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_weights = () if output_attentions else None
        for i, layer in enumerate(self.layer):
            layer_head_mask = head_mask[i] if head_mask is not None else None
            hidden_states, weights = layer(
                hidden_states,
                bias,
                is_causal,
                cache,
                layer_head_mask,
                output_attentions,
                implementation,
            )
            if output_hidden_states:
                all_hidden += (hidden_states,)
            if output_attentions:
                all_weights += (weights,)
        return hidden_states, all_hidden, all_weights

    def _lean_layers(self) -> list[_LeanLayer] | None:
        """Every layer's tensors for `_lean_forward`, or None when the layers must be called.

        Built once and kept while the encoder's structure is unchanged (see `LeanGuard`);
        rebuilt when a fused query/key/value matrix no longer matches its parameters' memory.
        """
        plan = self._lean_plan
        if plan is None or not plan.current():
            plan = self._lean_plan = _LeanPlan.of(self)
        return plan.layers if plan.layers is not None and plan.guard.unobserved() else None

    def _lean_forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None,
        layers: list[_LeanLayer],
        output_hidden_states: bool,
    ) -> tuple[torch.Tensor, tuple | None, None]:
        """The layers' inference math as straight tensor ops on `[tokens, hidden]` rows.

        Same operations, in the same order, as `BertLayer.forward` at inference; used only when
        that is unobservable (see `tfx_core.modeling.torch.lean`). Small models spend most of a
        forward in module-call overhead, which this path does not pay.
        """
        batch, length, hidden = hidden_states.shape
        shape = (hidden,)
        all_hidden = (hidden_states,) if output_hidden_states else None
        rows = hidden_states.reshape(batch * length, hidden)
        for lean in layers:
            qkv = linear(rows, lean.qkv_weight, lean.qkv_bias)
            qkv = qkv.view(batch, length, 3, lean.heads, hidden // lean.heads)
            query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
            context = attention(query, key, value, attention_mask=bias)[0]
            context = context.transpose(1, 2).reshape(batch * length, hidden)
            attended = linear(context, *lean.attention_output).add_(rows)
            attended = F.layer_norm(attended, shape, *lean.attention_norm)
            inner = lean.activation(linear(attended, *lean.intermediate, contiguous=False))
            rows = F.layer_norm(
                linear(inner, *lean.output).add_(attended), shape, *lean.output_norm
            )
            if all_hidden is not None:
                all_hidden += (rows.view(batch, length, hidden),)
        return rows.view(batch, length, hidden), all_hidden, None


class _LeanPlan(NamedTuple):
    """The encoder's lean layers (None if some layer is not plain), and what they rely on."""

    guard: LeanGuard
    layers: list[_LeanLayer] | None
    fused_parameters: tuple[torch.Tensor, ...]  # the projections copied into each layer's fused
    fused_pointers: tuple[int, ...]  # query/key/value matrix, and where their memory was then

    @classmethod
    def of(cls, encoder: BertEncoder) -> _LeanPlan:
        guard = LeanGuard(encoder)
        layers = [_LeanLayer.of(layer) for layer in encoder.layer]
        if any(layer is None for layer in layers):
            return cls(guard, None, (), ())
        fused = tuple(p for layer in encoder.layer for p in layer.attention.self._fused.parameters)
        return cls(guard, layers, fused, tuple(map(torch.Tensor.data_ptr, fused)))

    def current(self) -> bool:
        """Same modules, and no parameter moved since (`.to()`): the fused copies still match."""
        return self.guard.same_structure() and (
            tuple(map(torch.Tensor.data_ptr, self.fused_parameters)) == self.fused_pointers
        )


class _LeanLayer(NamedTuple):
    """One `BertLayer`'s tensors, bound for `BertEncoder._lean_forward`."""

    heads: int
    qkv_weight: torch.Tensor
    qkv_bias: torch.Tensor
    attention_output: tuple[torch.Tensor, torch.Tensor]
    attention_norm: tuple[torch.Tensor, torch.Tensor, float]
    intermediate: tuple[torch.Tensor, torch.Tensor]
    activation: Callable[[torch.Tensor], torch.Tensor]
    output: tuple[torch.Tensor, torch.Tensor]
    output_norm: tuple[torch.Tensor, torch.Tensor, float]

    @classmethod
    def of(cls, layer: BertLayer) -> _LeanLayer | None:
        """The layer's tensors, or None when a module is not of the class whose math we run."""
        self_attention, attention_out = layer.attention.self, layer.attention.output
        intermediate, output = layer.intermediate, layer.output
        linears = (attention_out.dense, intermediate.dense, output.dense)
        norms = (attention_out.LayerNorm, output.LayerNorm)
        plain = (
            exactly(layer, BertLayer)
            and exactly(layer.attention, BertAttention)
            and exactly(self_attention, BertSelfAttention)
            and exactly(attention_out, BertSelfOutput)
            and exactly(intermediate, BertIntermediate)
            and exactly(output, BertOutput)
            and all(exactly(m, Linear, nn.Linear) for m in linears)
            and all(exactly(m, nn.LayerNorm) for m in norms)
            and self_attention.position_embedding_type == "absolute"
        )
        qkv = self_attention._fused_projection() if plain else None
        if qkv is None:
            return None
        return cls(
            self_attention.num_heads,
            *qkv,
            (attention_out.dense.weight, attention_out.dense.bias),
            _norm(attention_out.LayerNorm),
            (intermediate.dense.weight, intermediate.dense.bias),
            intermediate.intermediate_act_fn,
            (output.dense.weight, output.dense.bias),
            _norm(output.LayerNorm),
        )


def _norm(module: nn.LayerNorm) -> tuple[torch.Tensor, torch.Tensor, float]:
    return module.weight, module.bias, module.eps


class BertPooler(nn.Module):
    """tanh(dense(first token)): the sentence summary that NSP and classifiers read."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden_states[:, 0]))


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation_fn(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    """Transform, then project onto the vocabulary (weight tied to the word embeddings).

    The output bias is its own parameter (`predictions.bias`) shared with `decoder.bias`, as in
    the reference, so both key spellings found in checkpoints load.
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.transform(hidden_states))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        return self.predictions(sequence_output)


class BertOnlyNSPHead(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.seq_relationship = Linear(config.hidden_size, 2)

    def forward(self, pooled_output: torch.Tensor) -> torch.Tensor:
        return self.seq_relationship(pooled_output)


class BertPreTrainingHeads(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = Linear(config.hidden_size, 2)

    def forward(
        self, sequence_output: torch.Tensor, pooled_output: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


@dataclass(repr=False, eq=False)
class BertForPreTrainingOutput(ModelOutput):
    loss: Any = None
    prediction_logits: Any = None
    seq_relationship_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
_MLM_TIES = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight"}
_MLM_SHARED = {"cls.predictions.decoder.bias": "cls.predictions.bias"}


class BertPreTrainedModel(PreTrainedModel):
    """Shared loading rules and weight init (normal(0, initializer_range), zero biases)."""

    config_class: ClassVar[type[BertConfig]] = BertConfig
    base_model_prefix: ClassVar[str] = "bert"
    # Checkpoints saved by old versions of the reference carry the position_ids buffer.
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, BertLMPredictionHead):
            nn.init.zeros_(module.bias)

    def _model_outputs(self, outputs: ModelOutput, return_dict: bool | None) -> Any:
        use_dict = self.config.return_dict if return_dict is None else return_dict
        return outputs if use_dict else outputs.to_tuple()


class BertModel(BertPreTrainedModel):
    """The encoder: embeddings, `num_hidden_layers` layers, and the pooler (optional).

    With `config.is_decoder` the self-attention is causal and a KV cache can be used.
    """

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        if config.add_cross_attention:
            raise ConfigError(
                "BertConfig field 'add_cross_attention' is true: BERT as the decoder of an "
                "encoder-decoder model is not supported by tfx-plugin-bert."
            )
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        config = self.config
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        output_attentions = (
            config.output_attentions if output_attentions is None else output_attentions
        )
        if output_hidden_states is None:
            output_hidden_states = config.output_hidden_states
        use_cache = bool(
            config.is_decoder and (config.use_cache if use_cache is None else use_cache)
        )
        if use_cache and past_key_values is None:
            past_key_values = DynamicCache()
        past = past_key_values.get_seq_length() if past_key_values is not None else 0

        hidden = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds, past)
        bias, is_causal = self._attention_bias(attention_mask, hidden, past)
        implementation = config.attn_implementation or "sdpa"
        hidden, all_hidden, all_weights = self.encoder(
            hidden,
            bias,
            is_causal,
            past_key_values if use_cache else None,
            self._layer_head_masks(head_mask, hidden.dtype),
            output_attentions,
            output_hidden_states,
            implementation,
        )
        outputs = BaseModelOutputWithPoolingAndPast(
            last_hidden_state=hidden,
            pooler_output=self.pooler(hidden) if self.pooler is not None else None,
            past_key_values=past_key_values if use_cache else None,
            hidden_states=all_hidden,
            attentions=all_weights,
        )
        return self._model_outputs(outputs, return_dict)

    def _layer_head_masks(
        self, head_mask: torch.Tensor | None, dtype: torch.dtype
    ) -> list[torch.Tensor] | None:
        """`[heads]` or `[layers, heads]` multipliers (1 keeps a head) as per-layer masks."""
        if head_mask is None:
            return None
        layers = self.config.num_hidden_layers
        if head_mask.dim() == 1:
            head_mask = head_mask[None].expand(layers, -1)
        if head_mask.dim() != 2 or head_mask.shape[0] != layers:
            raise ConfigError(
                f"head_mask must be shaped [heads] or [{layers}, heads], got {tuple(head_mask.shape)}."
            )
        return list(head_mask.to(dtype)[:, None, :, None, None])

    def _attention_bias(
        self, attention_mask: torch.Tensor | None, hidden: torch.Tensor, past: int
    ) -> tuple[torch.Tensor | None, bool]:
        """The additive mask for every layer, and whether attention is causal on top of it.

        None when nothing is masked, so the fused kernel runs without a mask.
        """
        dtype = hidden.dtype
        if not self.config.is_decoder:
            return padding_mask(attention_mask, dtype), False
        if attention_mask is None or attention_mask.dim() == 4:
            return padding_mask(attention_mask, dtype), attention_mask is None
        if bool(attention_mask.all()):
            return None, True
        length = hidden.shape[1]
        return causal_mask(attention_mask, length, past + length, dtype, hidden.device), False


class BertForMaskedLM(BertPreTrainedModel):
    """Masked-token prediction over the vocabulary (`fill-mask`)."""

    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *BertPreTrainedModel.ignore_unexpected_keys,
        r"(^|\.)pooler\.",
        r"^cls\.seq_relationship\.",
    ]

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        base = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.cls(base.last_hidden_state)
        loss = token_classification_loss(logits, labels) if labels is not None else None
        outputs = MaskedLMOutput(
            loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions
        )
        return self._model_outputs(outputs, return_dict)


class BertLMHeadModel(GenerationMixin, BertPreTrainedModel):
    """Left-to-right language modelling with a causal BERT (`is_decoder=True`); `generate`."""

    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = BertForMaskedLM.ignore_unexpected_keys

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder

    def _prepare_for_decoding(self) -> None:
        if not self.config.is_decoder:  # bidirectional attention cannot reuse a KV cache
            raise GenerationError(
                "BertLMHeadModel generates left to right only with a causal model: load it with "
                "is_decoder=True (e.g. from_pretrained(..., is_decoder=True))."
            )

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int = 0,
    ) -> Any:
        if labels is not None:
            use_cache = False
        base = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            past_key_values=past_key_values,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        hidden = base.last_hidden_state
        logits = self.cls(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = causal_lm_loss(logits, labels) if labels is not None else None
        outputs = CausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=base.past_key_values,
            hidden_states=base.hidden_states,
            attentions=base.attentions,
        )
        return self._model_outputs(outputs, return_dict)


class BertForPreTraining(BertPreTrainedModel):
    """Both pre-training heads: masked LM and next-sentence prediction."""

    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        base = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        prediction, relationship = self.cls(base.last_hidden_state, base.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = token_classification_loss(prediction, labels) + F.cross_entropy(
                relationship.view(-1, 2), next_sentence_label.view(-1)
            )
        outputs = BertForPreTrainingOutput(
            loss=loss,
            prediction_logits=prediction,
            seq_relationship_logits=relationship,
            hidden_states=base.hidden_states,
            attentions=base.attentions,
        )
        return self._model_outputs(outputs, return_dict)


class BertForNextSentencePrediction(BertPreTrainedModel):
    """Is text B the continuation of text A? Label 0 means yes, 1 means random."""

    ignore_unexpected_keys: ClassVar[list[str]] = [
        *BertPreTrainedModel.ignore_unexpected_keys,
        r"^cls\.predictions\.",
    ]

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertOnlyNSPHead(config)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        base = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.cls(base.pooler_output)
        loss = F.cross_entropy(logits.view(-1, 2), labels.view(-1)) if labels is not None else None
        outputs = NextSentencePredictorOutput(
            loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions
        )
        return self._model_outputs(outputs, return_dict)


class BertForSequenceClassification(BertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        base = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        pooled = base.pooler_output
        logits = self.classifier(self.dropout(pooled) if self.training else pooled)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config)
        outputs = SequenceClassifierOutput(
            loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions
        )
        return self._model_outputs(outputs, return_dict)


class BertForMultipleChoice(BertPreTrainedModel):
    """Scores each of `num_choices` text pairs; inputs are `[batch, num_choices, length]`."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        reference = input_ids if input_ids is not None else inputs_embeds
        if reference is None or reference.dim() < 3:
            raise ConfigError(
                "BertForMultipleChoice takes inputs shaped [batch, num_choices, length]."
            )
        num_choices = reference.shape[1]

        def flat(tensor: torch.Tensor | None, dims: int = 1) -> torch.Tensor | None:
            return None if tensor is None else tensor.reshape(-1, *tensor.shape[-dims:])

        base = self.bert(
            flat(input_ids),
            flat(attention_mask),
            flat(token_type_ids),
            flat(position_ids),
            head_mask,
            flat(inputs_embeds, 2),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        pooled = base.pooler_output
        logits = self.classifier(self.dropout(pooled) if self.training else pooled)
        logits = logits.view(-1, num_choices)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        outputs = MultipleChoiceModelOutput(
            loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions
        )
        return self._model_outputs(outputs, return_dict)


class BertForTokenClassification(BertPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    ignore_unexpected_keys: ClassVar[list[str]] = [
        *BertPreTrainedModel.ignore_unexpected_keys,
        r"(^|\.)pooler\.",
    ]

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        base = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        sequence = base.last_hidden_state
        logits = self.classifier(self.dropout(sequence) if self.training else sequence)
        loss = token_classification_loss(logits, labels) if labels is not None else None
        outputs = TokenClassifierOutput(
            loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions
        )
        return self._model_outputs(outputs, return_dict)


class BertForQuestionAnswering(BertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    ignore_unexpected_keys: ClassVar[list[str]] = BertForTokenClassification.ignore_unexpected_keys

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        base = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.qa_outputs(base.last_hidden_state)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        outputs = QuestionAnsweringModelOutput(
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=base.hidden_states,
            attentions=base.attentions,
        )
        return self._model_outputs(outputs, return_dict)


def _classifier_dropout(config: BertConfig) -> float:
    if config.classifier_dropout is not None:
        return config.classifier_dropout
    return config.hidden_dropout_prob
