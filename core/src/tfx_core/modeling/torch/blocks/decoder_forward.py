"""A decoder base model's `forward` with the reference's positional order for GPT-Neo, GPT-J
and CTRL: `input_ids, past_key_values, attention_mask, token_type_ids, position_ids,
head_mask, inputs_embeds, use_cache, output_attentions, output_hidden_states, return_dict`.

Scripts call these models positionally as the reference documents them, so the order matters;
the work is `DecoderModel.decoder_forward`'s. A plugin lists this class before `DecoderModel`.
"""

from __future__ import annotations

from typing import Any

import torch

from tfx_core.modeling.torch.cache import Cache


class PastFirstForward:
    """`forward` taking `past_key_values` second, as GPT-Neo, GPT-J and CTRL do."""

    decoder_forward: Any

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.LongTensor | None = None,
    ) -> Any:
        """The base model's outputs (`cache_position` is accepted for the reference's
        signature; positions come from `past_key_values`)."""
        return self.decoder_forward(
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
            return_dict=return_dict,
        )
