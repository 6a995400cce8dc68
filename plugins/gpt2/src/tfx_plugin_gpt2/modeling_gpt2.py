"""GPT-2 in PyTorch, with the reference's parameter names so Hub checkpoints load unchanged.

Read top to bottom: the `Conv1D` projection (GPT-2's `[in, out]` weight layout), attention, MLP,
block, the base `GPT2Model`, then the heads (`GPT2LMHeadModel` with tied embeddings and
`generate`, sequence and token classification).

Decoding speed. One generated token multiplies a few activation rows by every weight matrix, so
on CPU the step time is the time to stream the weights from memory, and a single matrix-vector
product from the BLAS library uses one core's share of the bandwidth. Before generating,
`_prepare_for_decoding` switches the large projections to a split-K product: the weight is
viewed (no copy) as `[threads, in / threads, out]` and one batched product lets each core
stream its own contiguous slice, then the partial sums are added. The tied output projection is
laid out `[hidden, vocab]` in memory (still seen as `[vocab, hidden]`, so checkpoints and the
embedding lookup are unaffected) for the same reason. Training and long inputs use the plain
`addmm` of the reference. For small models the cost is per-op Python overhead instead, so
single-token steps run through `_DecodePlan`, the block math without module calls.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from tfx_core.modeling.torch import PreTrainedModel, attention
from tfx_core.modeling.torch.activations import get_activation
from tfx_core.modeling.torch.cache import Cache, DynamicCache
from tfx_core.modeling.torch.lean import LeanGuard, exactly
from tfx_core.modeling.torch.losses import sequence_classification_loss
from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config

#: Rows (batch x new tokens) up to which the split-K decode product is used.
SPLIT_MAX_ROWS = 16
#: Weights smaller than this (elements) stay with addmm: they fit in cache, overhead dominates.
SPLIT_MIN_ELEMENTS = 1 << 19


def split_k_matmul(x: torch.Tensor, weight: torch.Tensor, parts: int) -> torch.Tensor:
    """`x [rows, in] @ weight [in, out]` with `in` split into `parts` contiguous slices.

    Each slice of the (row-major, contiguous) weight is a view; `bmm` runs one slice per thread,
    so every core streams its own memory, and the partial products are summed.
    """
    rows, inner = x.shape
    chunks = x.reshape(rows, parts, inner // parts).transpose(0, 1)
    partial = torch.bmm(chunks, weight.view(parts, inner // parts, -1))
    out = partial[0]
    for index in range(1, parts):  # in place: cheaper than a reduction kernel over dim 0
        out = out.add_(partial[index])
    return out


class Conv1D(nn.Module):
    """A linear layer whose weight is stored `[in_features, out_features]` (GPT-2's layout)."""

    def __init__(self, out_features: int, in_features: int) -> None:
        super().__init__()
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.split_parts = 0  # > 1: use split_k_matmul for few rows (set for decoding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:  # the model itself always passes rows [tokens, features]
            return self.forward(x.reshape(-1, x.shape[-1])).view(*x.shape[:-1], -1)
        if self.split_parts and x.shape[0] <= SPLIT_MAX_ROWS and self.weight.is_contiguous():
            return split_k_matmul(x, self.weight, self.split_parts).add_(self.bias)
        return torch.addmm(self.bias, x, self.weight)

    def decode_fn(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """`forward` for a few rows, with the weights bound (no module call, no lookups)."""
        weight, bias, parts = self.weight, self.bias, self.split_parts
        if parts and weight.is_contiguous():
            return lambda x: split_k_matmul(x, weight, parts).add_(bias)
        return partial(torch.addmm, bias, mat2=weight)


class GPT2Attention(nn.Module):
    """Causal multi-head self-attention with a fused query/key/value projection (`c_attn`)."""

    def __init__(self, config: GPT2Config, layer_idx: int) -> None:
        super().__init__()
        self.embed_dim = config.n_embd
        self.num_heads = config.n_head
        self.head_dim = self.embed_dim // self.num_heads
        self.layer_idx = layer_idx
        scale = self.head_dim**-0.5 if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            scale /= float(layer_idx + 1)
        self.scale = scale
        self.upcast = config.reorder_and_upcast_attn
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)

    def forward(
        self,
        hidden_states: torch.Tensor,
        shape: tuple[int, int],
        bias: torch.Tensor | None,
        is_causal: bool,
        cache: Cache | None,
        output_attentions: bool,
        implementation: str,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`hidden_states` are rows `[batch * length, embed]`; `shape` is `(batch, length)`."""
        batch, length = shape
        qkv = self.c_attn(hidden_states).view(batch, length, 3, self.num_heads, self.head_dim)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each [batch, heads, len, dim]
        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)
        dtype = query.dtype
        if self.upcast and dtype != torch.float32:  # the reference's fp32 attention scores
            query, key, value = query.float(), key.float(), value.float()
            bias = bias.float() if bias is not None else None
        out, weights = attention(
            query,
            key,
            value,
            attention_mask=bias,
            is_causal=is_causal,
            dropout_p=self.attn_dropout.p if self.training else 0.0,
            scale=self.scale,
            output_attentions=output_attentions,
            implementation=implementation,
        )
        if out.dtype != dtype:
            out = out.to(dtype)
        out = self.c_proj(out.transpose(1, 2).reshape(batch * length, self.embed_dim))
        if self.training:
            out = self.resid_dropout(out)
        return out, weights


class GPT2MLP(nn.Module):
    """Position-wise feed-forward: expand (`c_fc`), activation, project back (`c_proj`)."""

    def __init__(self, inner_size: int, config: GPT2Config) -> None:
        super().__init__()
        self.c_fc = Conv1D(inner_size, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, inner_size)
        self.act = get_activation(config.activation_function)
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        hidden_states = self.c_proj(self.act(self.c_fc(hidden_states)))
        if self.training:
            hidden_states = self.dropout(hidden_states)
        return hidden_states


class GPT2Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, config: GPT2Config, layer_idx: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config.inner_size, config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        shape: tuple[int, int],
        bias: torch.Tensor | None,
        is_causal: bool,
        cache: Cache | None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Rows `[batch * length, embed]` in and out (see `GPT2Attention.forward`)."""
        attn_out, weights = self.attn(
            self.ln_1(hidden_states),
            shape,
            bias,
            is_causal,
            cache,
            output_attentions,
            implementation,
        )
        hidden_states = hidden_states + attn_out
        hidden_states = hidden_states + self.mlp(self.ln_2(hidden_states))
        return hidden_states, weights


def attention_bias(
    attention_mask: torch.Tensor | None,
    *,
    batch: int,
    query_length: int,
    past_length: int,
    key_length: int,
    dtype: torch.dtype,
    device: torch.device,
) -> tuple[torch.Tensor | None, bool]:
    """The additive mask `[batch, 1, query, key]` (or None) and whether SDPA may use `is_causal`.

    Query `i` sits at absolute position `past_length + i` and sees keys at positions up to its
    own; a 2D `attention_mask` (1 = token, 0 = padding) additionally hides padded keys. A 4D
    mask is taken as the caller's ready-made additive mask. Keys past `past_length +
    query_length` (a static cache's empty slots) are hidden by the causal rule.
    """
    if attention_mask is not None and attention_mask.dim() == 4:
        return attention_mask[..., :key_length].to(dtype), False
    if attention_mask is None:
        if past_length == 0 and query_length == key_length:
            return None, query_length > 1
        if query_length == 1 and key_length == past_length + 1:
            return None, False
    minimum = torch.finfo(dtype).min
    query_pos = torch.arange(past_length, past_length + query_length, device=device)
    key_pos = torch.arange(key_length, device=device)
    allowed = (key_pos[None, :] <= query_pos[:, None])[None, None]  # [1, 1, query, key]
    if attention_mask is not None:
        if attention_mask.dim() != 2:
            raise ValueError(
                f"attention_mask must be 2D [batch, length] or 4D, got {attention_mask.dim()}D."
            )
        keys = attention_mask.to(device=device, dtype=torch.bool)
        if keys.shape[-1] < key_length:
            keys = F.pad(keys, (0, key_length - keys.shape[-1]), value=True)
        allowed = allowed & keys[:, None, None, :key_length]
    bias = torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill_(~allowed, minimum)
    return bias.expand(batch, 1, query_length, key_length), False


class GPT2PreTrainedModel(PreTrainedModel):
    """Shared GPT-2 loading rules and weight initialisation."""

    config_class = GPT2Config
    base_model_prefix = "transformer"
    # old checkpoints saved the causal-mask buffers of the attention layers; they are not weights
    ignore_unexpected_keys: ClassVar[list[str]] = [r"\.attn\.bias$", r"\.attn\.masked_bias$"]

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, Conv1D)):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=std)
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)
        # GPT-2 paper: residual projections scaled by 1/sqrt(number of residual layers)
        if isinstance(module, (GPT2Attention, GPT2MLP)):
            module.c_proj.weight.data.normal_(mean=0.0, std=std / (2 * self.config.n_layer) ** 0.5)


class GPT2Model(GPT2PreTrainedModel):
    """The GPT-2 decoder stack: token + position embeddings, blocks, final layer norm."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.embed_dim = config.n_embd
        self.wte = nn.Embedding(config.vocab_size, self.embed_dim)
        self.wpe = nn.Embedding(config.n_positions, self.embed_dim)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList([GPT2Block(config, layer_idx=i) for i in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.wte

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.wte = embeddings

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        cache_position: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPast | tuple:
        config = self.config
        if head_mask is not None or encoder_hidden_states is not None:
            raise NotImplementedError(
                "tfx's GPT-2 does not implement head_mask or cross-attention "
                "(encoder_hidden_states); drop those arguments."
            )
        use_cache = config.use_cache if use_cache is None else use_cache
        output_attentions = (
            config.output_attentions if output_attentions is None else output_attentions
        )
        output_hidden_states = (
            config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        return_dict = config.return_dict if return_dict is None else return_dict
        if use_cache:
            if past_key_values is None:
                past_key_values = DynamicCache()
            elif not isinstance(past_key_values, Cache):
                past_key_values = DynamicCache.from_legacy_cache(past_key_values)
        else:
            past_key_values = None

        all_hidden: list[torch.Tensor] | None = [] if output_hidden_states else None
        all_attentions: list[torch.Tensor] | None = [] if output_attentions else None
        hidden_states = self._run(
            input_ids,
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            cache=past_key_values,
            all_hidden=all_hidden,
            all_attentions=all_attentions,
        )
        hidden = tuple(all_hidden) if all_hidden is not None else None
        attentions = tuple(all_attentions) if all_attentions is not None else None
        if not return_dict:
            return tuple(
                v for v in (hidden_states, past_key_values, hidden, attentions) if v is not None
            )
        return BaseModelOutputWithPast(
            last_hidden_state=hidden_states,
            past_key_values=past_key_values,
            hidden_states=hidden,
            attentions=attentions,
        )

    def _run(
        self,
        input_ids: torch.LongTensor | None,
        *,
        inputs_embeds: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        all_hidden: list | None = None,
        all_attentions: list | None = None,
    ) -> torch.Tensor:
        """The decoder itself: embeddings, blocks, final norm (shared by forward and generate)."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        if inputs_embeds is None:
            inputs_embeds = self.wte(input_ids)
        batch, length = inputs_embeds.shape[:2]
        past = cache.get_seq_length() if cache is not None else 0
        if past + length > self.config.n_positions:
            raise ValueError(
                f"Sequence of {past + length} positions exceeds GPT-2's context of "
                f"{self.config.n_positions} (n_positions)."
            )
        if position_ids is None:
            position_embeds = self.wpe.weight[past : past + length]
        else:
            position_embeds = self.wpe(position_ids)
        hidden_states = inputs_embeds + position_embeds
        if token_type_ids is not None:
            hidden_states = hidden_states + self.wte(token_type_ids)
        if self.training:
            hidden_states = self.drop(hidden_states)
        shape = (batch, length)
        hidden_states = hidden_states.reshape(batch * length, -1)  # blocks work on token rows

        key_length = past + length
        if cache is not None and cache.is_static:
            key_length = cache.get_max_cache_shape()
        bias, is_causal = attention_bias(
            attention_mask,
            batch=batch,
            query_length=length,
            past_length=past,
            key_length=key_length,
            dtype=hidden_states.dtype,
            device=hidden_states.device,
        )
        implementation = self.config.attn_implementation or "sdpa"
        if all_attentions is not None:
            implementation = "eager"
        for block in self.h:
            if all_hidden is not None:
                all_hidden.append(hidden_states.view(batch, length, -1))
            hidden_states, weights = block(
                hidden_states,
                shape,
                bias,
                is_causal,
                cache,
                all_attentions is not None,
                implementation,
            )
            if all_attentions is not None:
                all_attentions.append(weights)
        hidden_states = self.ln_f(hidden_states).view(batch, length, -1)
        if all_hidden is not None:
            all_hidden.append(hidden_states)
        return hidden_states

    def _prepare_for_decoding(self) -> None:
        """Use split-K products for large projections on multi-core CPUs (see module doc)."""
        parts = torch.get_num_threads() if self.wte.weight.device.type == "cpu" else 0
        for module in self.modules():
            if isinstance(module, Conv1D):
                inner = module.weight.shape[0]
                large = module.weight.numel() >= SPLIT_MIN_ELEMENTS
                module.split_parts = parts if parts > 1 and large and inner % parts == 0 else 0


class _DecodePlan:
    """One-token decode steps as a flat sequence of tensor ops (the same math as the modules).

    Each step of generation runs ~20 small ops per layer; for small models the Python around
    them (module calls, attribute lookups, reshapes) costs as much as the ops. The plan binds
    every weight once per `generate` call and runs the block math directly on `[batch,
    hidden]` rows. Prompts, training and anything unusual go through the modules.
    """

    def __init__(self, model: GPT2LMHeadModel) -> None:
        transformer = model.transformer
        config = model.config
        self.embed_dim = config.n_embd
        self.num_heads = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.wte = transformer.wte.weight
        self.wpe = transformer.wpe.weight
        self.ln_f = (transformer.ln_f.weight, transformer.ln_f.bias, transformer.ln_f.eps)
        self.project = model._head_fn()
        self.layers = []
        for block in transformer.h:
            act = block.mlp.act
            self.layers.append(
                (
                    (block.ln_1.weight, block.ln_1.bias, block.ln_1.eps),
                    block.attn.c_attn.decode_fn(),
                    block.attn.c_proj.decode_fn(),
                    (block.ln_2.weight, block.ln_2.bias, block.ln_2.eps),
                    block.mlp.c_fc.decode_fn(),
                    act.forward if isinstance(act, nn.Module) else act,
                    block.mlp.c_proj.decode_fn(),
                    block.attn.layer_idx,
                    block.attn.scale,
                )
            )

    def __call__(
        self,
        input_ids: torch.LongTensor,
        position_ids: torch.LongTensor | None,
        mask: torch.Tensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        batch = input_ids.shape[0]
        shape = (self.embed_dim,)
        heads, head_dim = self.num_heads, self.head_dim
        past = cache.get_seq_length()
        hidden = torch.embedding(self.wte, input_ids.view(batch))
        if position_ids is None:
            hidden = hidden + self.wpe[past]
        else:
            hidden = hidden + torch.embedding(self.wpe, position_ids.view(batch))
        for ln_1, c_attn, c_proj, ln_2, c_fc, act, mlp_proj, layer_idx, scale in self.layers:
            x = torch.layer_norm(hidden, shape, *ln_1)
            query, key, value = c_attn(x).view(batch, 3, heads, 1, head_dim).unbind(1)
            key, value = cache.update(key, value, layer_idx)
            out = attention(query, key, value, attention_mask=mask, scale=scale)[0]
            hidden = hidden + c_proj(out.reshape(batch, self.embed_dim))
            x = torch.layer_norm(hidden, shape, *ln_2)
            hidden = hidden + mlp_proj(act(c_fc(x)))
        return self.project(torch.layer_norm(hidden, shape, *self.ln_f))


class GPT2LMHeadModel(GenerationMixin, GPT2PreTrainedModel):
    """GPT-2 with a language-modeling head tied to the token embeddings; has `generate`."""

    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self._head_parts = 0
        self._plan: _DecodePlan | None = None
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, embeddings: nn.Linear) -> None:
        self.lm_head = embeddings

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        cache_position: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int = 0,
    ) -> CausalLMOutputWithPast | tuple:
        """`labels` (same shape as `input_ids`, -100 = ignored) give the next-token loss."""
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            encoder_hidden_states=encoder_hidden_states,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        hidden_states = outputs.last_hidden_state
        if logits_to_keep:
            hidden_states = hidden_states[:, -logits_to_keep:]
        logits = self.lm_head(hidden_states)
        loss = None
        if labels is not None:
            shifted = F.pad(labels, (0, 1), value=-100)[..., 1:].to(logits.device)
            loss = F.cross_entropy(
                logits.float().reshape(-1, logits.shape[-1]), shifted.reshape(-1), ignore_index=-100
            )
        if not return_dict:
            rest = outputs.to_tuple()[1:]
            return (loss, logits, *rest) if loss is not None else (logits, *rest)
        return CausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )

    # ------------------------------------------------------------------ generation
    def _prepare_for_decoding(self) -> None:
        """Fast decode layouts (CPU): split-K projections and a `[hidden, vocab]` output matrix."""
        self.transformer._prepare_for_decoding()
        weight = self.lm_head.weight
        parts = torch.get_num_threads() if weight.device.type == "cpu" else 0
        large = weight.numel() >= SPLIT_MIN_ELEMENTS
        self._head_parts = parts if parts > 1 and large and weight.shape[1] % parts == 0 else 0
        if self._head_parts and not weight.t().is_contiguous():
            with torch.no_grad():  # same Parameter object, so tying and optimisers are kept
                weight.data = weight.data.t().contiguous().t()
        plain = self.config.attn_implementation in (None, "sdpa") and not (
            self.config.reorder_and_upcast_attn and self.dtype != torch.float32
        )
        # hooks, adapters or instance-level forwards: decode through the modules so they run
        plain = plain and LeanGuard(self).unobserved() and self._plain_modules()
        self._plan = _DecodePlan(self) if plain else None

    def _plain_modules(self) -> bool:
        """Every module is of the class whose math `_DecodePlan` runs (no adapter subclasses)."""
        for block in self.transformer.h:
            attn, mlp = block.attn, block.mlp
            if not (
                exactly(block, GPT2Block)
                and exactly(attn, GPT2Attention)
                and exactly(mlp, GPT2MLP)
                and exactly(block.ln_1, nn.LayerNorm)
                and exactly(block.ln_2, nn.LayerNorm)
                and all(
                    exactly(m, Conv1D) for m in (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj)
                )
            ):
                return False
        return exactly(self.transformer.ln_f, nn.LayerNorm) and exactly(self.lm_head, nn.Linear)

    def _project(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits for `hidden` `[rows, hidden_size]` through the (tied) output matrix."""
        weight = self.lm_head.weight
        if self._head_parts and hidden.shape[0] <= SPLIT_MAX_ROWS and weight.t().is_contiguous():
            return split_k_matmul(hidden, weight.t(), self._head_parts)
        return F.linear(hidden, weight)

    def _head_fn(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """`_project` for a few rows with the weight bound (used by the decode plan)."""
        weight, parts = self.lm_head.weight, self._head_parts
        if parts and weight.t().is_contiguous():
            return lambda hidden: split_k_matmul(hidden, weight.t(), parts)
        return partial(F.linear, weight=weight)

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        plan = self._plan
        if (
            plan is not None
            and input_ids.shape[1] == 1
            and not self.training
            and (attention_mask is None or attention_mask.dim() == 4)
        ):
            return plan(input_ids, position_ids, attention_mask, cache)
        hidden = self.transformer._run(
            input_ids, attention_mask=attention_mask, position_ids=position_ids, cache=cache
        )
        return self._project(hidden[:, -1])


class GPT2ForSequenceClassification(GPT2PreTrainedModel):
    """GPT-2 with a linear classifier on the hidden state of each sequence's last real token."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.transformer = GPT2Model(config)
        self.score = nn.Linear(config.n_embd, self.num_labels, bias=False)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutputWithPast | tuple:
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.score(outputs.last_hidden_state)
        batch, length = logits.shape[:2]
        pad = self.config.pad_token_id
        if pad is None and batch != 1:
            raise ConfigError(
                "GPT2ForSequenceClassification needs config.pad_token_id to find the last token "
                "of each sequence in a batch; set it (e.g. to the EOS id) or classify one at a time."
            )
        if pad is None or input_ids is None:
            last = torch.full((batch,), length - 1, device=logits.device)
        else:  # rightmost non-padding token, whichever side the padding is on
            not_pad = (input_ids != pad).to(device=logits.device, dtype=torch.int32)
            positions = torch.arange(length, device=logits.device, dtype=torch.int32)
            last = (positions * not_pad).argmax(-1)
        pooled = logits[torch.arange(batch, device=logits.device), last]
        loss = (
            sequence_classification_loss(pooled, labels, self.config)
            if labels is not None
            else None
        )
        if not return_dict:
            rest = outputs.to_tuple()[1:]
            return (loss, pooled, *rest) if loss is not None else (pooled, *rest)
        return SequenceClassifierOutputWithPast(
            loss=loss,
            logits=pooled,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )


class GPT2ForTokenClassification(GPT2PreTrainedModel):
    """GPT-2 with a linear classifier on every token's hidden state."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.transformer = GPT2Model(config)
        dropout = getattr(config, "classifier_dropout", None)
        if dropout is None:
            dropout = getattr(config, "hidden_dropout", None)
        self.dropout = nn.Dropout(0.1 if dropout is None else dropout)
        self.classifier = nn.Linear(config.n_embd, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(
                logits.reshape(-1, self.num_labels), labels.to(logits.device).reshape(-1)
            )
        if not return_dict:
            rest = (v for v in (outputs.hidden_states, outputs.attentions) if v is not None)
            return (loss, logits, *rest) if loss is not None else (logits, *rest)
        return TokenClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
