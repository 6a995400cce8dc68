"""The one Keras head `call`: targets named by `target_names` are taken out before the base
model runs, and heads that are their own encoder-decoder (T5's QA / LM heads) still tell the
pipelines' `TorchView` every input they take."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tfx_core.modeling.keras.serving import TorchView

T5_TINY = dict(
    vocab_size=50,
    d_model=16,
    d_kv=4,
    d_ff=20,
    num_layers=1,
    num_heads=4,
    pad_token_id=0,
    eos_token_id=1,
    decoder_start_token_id=0,
)
IDS = np.array([[5, 6, 7, 1], [8, 9, 1, 0]])
MASK = (IDS != 0).astype(np.int64)


@pytest.fixture(scope="module")
def t5_qa():
    from tfx_plugin_t5.configuration_t5 import T5Config
    from tfx_plugin_t5.modeling_tf_t5_heads import TFT5ForQuestionAnswering

    return TFT5ForQuestionAnswering(T5Config(**T5_TINY))


def test_own_stacks_head_view_takes_the_encoder_decoder_inputs(t5_qa):
    view = TorchView(t5_qa)
    assert {"attention_mask", "decoder_input_ids", "encoder_outputs"} <= view._accepted
    masked = view(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK))
    direct = t5_qa(input_ids=IDS, attention_mask=MASK)
    np.testing.assert_allclose(masked.start_logits.numpy(), np.asarray(direct.start_logits))
    unmasked = t5_qa(input_ids=IDS)  # the mask changes the padded row: it was passed on
    assert not np.allclose(masked.start_logits.numpy()[1], np.asarray(unmasked.start_logits)[1])


def test_targets_are_taken_out_and_give_the_loss(t5_qa):
    out = t5_qa(
        {"input_ids": IDS, "attention_mask": MASK},
        start_positions=np.array([1, 0]),
        end_positions=np.array([2, 1]),
    )
    assert out.loss is not None and np.isfinite(float(out.loss))
    assert t5_qa(input_ids=IDS, attention_mask=MASK).loss is None
