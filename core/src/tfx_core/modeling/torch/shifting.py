"""Decoder inputs from labels: the teacher-forcing shift of encoder-decoder models."""

from __future__ import annotations

import torch

from tfx_core.errors import ConfigError

__all__ = ["shift_tokens_right", "shift_tokens_right_mbart"]


def shift_tokens_right(
    input_ids: torch.Tensor, pad_token_id: int | None, decoder_start_token_id: int | None
) -> torch.Tensor:
    """`[start, t0, ..., t(n-2)]` from `[t0, ..., t(n-1)]`; label -100 becomes padding.

    The decoder input of BART, T5, Marian, Pegasus, ... when only `labels` are given.
    """
    if decoder_start_token_id is None:
        raise ConfigError(
            "shift_tokens_right needs decoder_start_token_id: set it in the model config."
        )
    if pad_token_id is None:
        raise ConfigError("shift_tokens_right needs pad_token_id: set it in the model config.")
    shifted = input_ids.new_empty(input_ids.shape)
    shifted[:, 1:] = input_ids[:, :-1]
    shifted[:, 0] = decoder_start_token_id
    return shifted.masked_fill_(shifted == -100, pad_token_id)


def shift_tokens_right_mbart(input_ids: torch.Tensor, pad_token_id: int | None) -> torch.Tensor:
    """mBART's shift: each row's last non-padding token (`</s>` or the language code the
    tokenizer appended) wraps around to start the decoder input; -100 becomes padding."""
    if pad_token_id is None:
        raise ConfigError(
            "shift_tokens_right_mbart needs pad_token_id: set it in the model config."
        )
    labels = input_ids.masked_fill(input_ids == -100, pad_token_id)
    last = (labels.ne(pad_token_id).sum(dim=1) - 1).clamp_min(0).unsqueeze(-1)
    start = labels.gather(1, last).squeeze(-1)
    shifted = labels.clone()
    shifted[:, 1:] = labels[:, :-1]
    shifted[:, 0] = start
    return shifted
