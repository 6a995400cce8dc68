"""Removing attention heads from the BERT-style encoder (`blocks.encoder.Attention`).

Pruning head h of a layer drops its rows of `query`, `key` and `value` and its columns of the
attention output projection, so the layer computes exactly what it did with that head's
attention weights set to zero, with smaller matrices. Head ids are those of the unpruned layer;
each layer remembers what it pruned (`attention.pruned_heads`), so pruning a head twice does
nothing, as in the reference. The fused query/key/value product and the lean plan are rebuilt
from the new layers on their next use.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.linear import Linear


def prune_linear(layer: nn.Linear, index: torch.Tensor, dim: int = 0) -> Linear:
    """A new linear layer keeping `index` of its outputs (`dim=0`) or inputs (`dim=1`)."""
    index = index.to(layer.weight.device)
    weight = layer.weight.index_select(dim, index).detach().clone()
    bias = layer.bias
    if bias is not None:
        bias = (bias.index_select(0, index) if dim == 0 else bias).detach().clone()
    out_features, in_features = weight.shape
    pruned = Linear(
        in_features,
        out_features,
        bias=bias is not None,
        device=weight.device,
        dtype=weight.dtype,
    )
    if weight.device.type != "meta":
        with torch.no_grad():
            pruned.weight.copy_(weight)
            if bias is not None:
                pruned.bias.copy_(bias)
    pruned.weight.requires_grad_(layer.weight.requires_grad)
    if bias is not None:
        pruned.bias.requires_grad_(layer.bias.requires_grad)
    return pruned


def _heads_to_remove(attention: nn.Module, heads: Iterable[int]) -> set[int]:
    """The heads of `heads` still in the layer; refuses ids out of range or emptying it."""
    attn = attention.self
    done: set[int] = attention.__dict__.get("pruned_heads", set())
    original = attn.num_attention_heads + len(done)
    heads = {int(h) for h in heads}
    bad = sorted(h for h in heads if not 0 <= h < original)
    if bad:
        raise ConfigError(f"Cannot prune heads {bad}: the layer has heads 0..{original - 1}.")
    if len(heads | done) >= original:
        raise ConfigError(
            f"Pruning heads {sorted(heads)} would leave the layer without attention heads; "
            "keep at least one."
        )
    return heads - done


def prune_attention_heads(attention: nn.Module, heads: Iterable[int]) -> None:
    """Remove `heads` (ids of the unpruned layer) from a core encoder `Attention`."""
    heads = _heads_to_remove(attention, heads)
    if not heads:
        return
    attn = attention.self
    done: set[int] = attention.__dict__.setdefault("pruned_heads", set())
    size = attn.attention_head_size
    current = [h for h in range(attn.num_attention_heads + len(done)) if h not in done]
    kept = [h for h in current if h not in heads]
    index = torch.cat([torch.arange(size) + current.index(h) * size for h in kept])
    attn.query = prune_linear(attn.query, index)
    attn.key = prune_linear(attn.key, index)
    attn.value = prune_linear(attn.value, index)
    attention.output.dense = prune_linear(attention.output.dense, index, dim=1)
    attn.num_attention_heads = len(kept)
    done |= heads


def encoder_attentions(model: nn.Module) -> list[nn.Module] | None:
    """The self-attention block of each layer of the model's core BERT-style encoder, or None
    when the model is not built on it."""
    from tfx_core.modeling.torch.blocks.encoder import Attention

    encoder = getattr(model, "encoder", None)
    layers = getattr(encoder, "layer", None)
    if not isinstance(layers, nn.ModuleList) or len(layers) == 0:
        return None
    attentions = [getattr(layer, "attention", None) for layer in layers]
    if not all(isinstance(a, Attention) for a in attentions):
        return None
    return attentions


def prune_encoder_heads(model: nn.Module, heads_to_prune: dict[int, list[int]]) -> None:
    """Prune `{layer: [heads]}` in `model` (a base model on the core encoder)."""
    attentions = encoder_attentions(model)
    if attentions is None:
        raise ConfigError(
            f"prune_heads is implemented for models on the core BERT-style encoder; "
            f"{type(model).__name__} is not built on it."
        )
    for layer, heads in heads_to_prune.items():  # check everything before changing anything
        if not 0 <= int(layer) < len(attentions):
            raise ConfigError(
                f"Cannot prune heads of layer {layer}: the model has layers 0..{len(attentions) - 1}."
            )
        _heads_to_remove(attentions[int(layer)], heads)
    for layer, heads in heads_to_prune.items():
        prune_attention_heads(attentions[int(layer)], heads)
