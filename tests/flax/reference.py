"""Tiny random checkpoints saved by the reference library, and inputs with padding."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TINY = {
    "bert": dict(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        type_vocab_size=2,
    ),
    "roberta": dict(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    ),
    "distilbert": dict(
        vocab_size=99, dim=32, n_layers=2, n_heads=4, hidden_dim=37, max_position_embeddings=64
    ),
    "gpt2": dict(vocab_size=99, n_embd=32, n_layer=2, n_head=4, n_positions=64, pad_token_id=0),
}
CONFIG_CLASSES = {
    "bert": "BertConfig",
    "roberta": "RobertaConfig",
    "distilbert": "DistilBertConfig",
    "gpt2": "GPT2Config",
}
PAD = {"bert": 0, "roberta": 1, "distilbert": 0, "gpt2": 0}


def reference_model(model_type: str, class_name: str, seed: int = 0, **overrides):
    """A randomly initialised reference PyTorch model (eval mode) with a tiny config."""
    import torch
    import transformers

    torch.manual_seed(seed)
    config = getattr(transformers, CONFIG_CLASSES[model_type])(**{**TINY[model_type], **overrides})
    return getattr(transformers, class_name)(config).eval()


def save_reference(
    folder: Path, model_type: str, class_name: str, seed: int = 0, **overrides
) -> Path:
    model = reference_model(model_type, class_name, seed, **overrides)
    model.save_pretrained(folder)
    return folder


def padded_inputs(model_type: str, batch: int = 2, length: int = 7, seed: int = 0):
    """input_ids and attention_mask with the last row right-padded (pad id in the padding)."""
    rng = np.random.RandomState(seed)
    ids = rng.randint(3, 99, (batch, length)).astype(np.int64)
    mask = np.ones_like(ids)
    mask[-1, length - 2 :] = 0
    ids[mask == 0] = PAD[model_type]
    return ids, mask
