"""GPT-2 forward parity with transformers (<= 1e-5) across heads, masks, caches and configs."""

import pytest
import torch

from tfx_core.modeling.torch.cache import DynamicCache, StaticCache

ATOL = 1e-5


def close(a, b, atol=ATOL):
    assert a.shape == b.shape
    assert (a - b).abs().max().item() <= atol


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"activation_function": "relu", "n_inner": 48},
        # the reference applies these two only in its eager attention (its SDPA path drops them)
        {"scale_attn_weights": False, "layer_norm_epsilon": 1e-3, "attn_implementation": "eager"},
        {
            "scale_attn_by_inverse_layer_idx": True,
            "reorder_and_upcast_attn": True,
            "attn_implementation": "eager",
        },
        {"activation_function": "gelu"},
    ],
)
def test_lm_logits_with_and_without_padding(make_pair, overrides, left_padded):
    ours, ref = make_pair(**overrides)
    ids, mask = left_padded
    with torch.no_grad():
        close(ours(ids).logits, ref(ids).logits)
        got, expected = ours(ids, attention_mask=mask).logits, ref(ids, attention_mask=mask).logits
    real = mask.bool()
    close(got[real], expected[real])


def test_hidden_states_attentions_and_loss(make_pair, left_padded):
    ours, ref = make_pair(attn_implementation="eager")  # the reference returns weights in eager
    ids, _ = left_padded
    kwargs = dict(output_hidden_states=True, output_attentions=True, labels=ids)
    with torch.no_grad():
        got, expected = ours(ids, **kwargs), ref(ids, **kwargs)
    close(got.loss, expected.loss)
    assert len(got.hidden_states) == len(expected.hidden_states) == 3
    for a, b in zip(got.hidden_states, expected.hidden_states):
        close(a, b)
    for a, b in zip(got.attentions, expected.attentions):
        close(a, b)
    tuple_out = ours(ids, return_dict=False, use_cache=False)
    close(tuple_out[0], expected.logits)


def test_continuing_with_a_cache_matches_the_full_pass(make_pair, left_padded):
    ours, ref = make_pair()
    ids, mask = left_padded
    with torch.no_grad():
        full = ref(ids, attention_mask=mask).logits
        first = ours(ids[:, :4], attention_mask=mask[:, :4], use_cache=True)
        assert isinstance(first.past_key_values, DynamicCache)
        rest = ours(ids[:, 4:], attention_mask=mask, past_key_values=first.past_key_values)
    real = mask[:, 4:].bool()
    close(rest.logits[real], full[:, 4:][real])
    # the reference's legacy tuple cache is accepted too
    with torch.no_grad():
        prefix = ref(ids[:1, :5], use_cache=True).past_key_values
        legacy = tuple((layer.keys, layer.values) for layer in prefix.layers)
        step = ours(ids[:1, 5:], past_key_values=legacy).logits
    close(step, full[:1, 5:])


def test_static_cache_gives_the_same_logits(make_pair):
    ours, _ = make_pair()
    ids = torch.randint(3, 99, (2, 6))
    cache = StaticCache(num_layers=2, max_batch_size=2, max_cache_len=10, num_heads=4, head_dim=8)
    with torch.no_grad():
        full = ours(ids).logits
        first = ours(ids[:, :4], past_key_values=cache).logits
        second = ours(ids[:, 4:], past_key_values=cache).logits
    close(torch.cat([first, second], dim=1), full)


def test_base_model_and_classification_heads(make_pair, left_padded):
    ids, mask = left_padded
    ours, ref = make_pair("GPT2Model")
    with torch.no_grad():
        got, expected = ours(ids, attention_mask=mask), ref(ids, attention_mask=mask)
    real = mask.bool()
    close(got.last_hidden_state[real], expected.last_hidden_state[real])

    right = ids.flip(1)  # classification models find the last real token on either side
    ours, ref = make_pair("GPT2ForSequenceClassification", pad_token_id=0, num_labels=3)
    labels = torch.tensor([0, 2, 1])
    with torch.no_grad():
        got, expected = ours(right, labels=labels), ref(right, labels=labels)
    close(got.logits, expected.logits)
    close(got.loss, expected.loss)

    ours, ref = make_pair("GPT2ForTokenClassification", num_labels=5)
    labels = torch.randint(0, 5, ids.shape)
    with torch.no_grad():
        got, expected = ours(ids, labels=labels), ref(ids, labels=labels)
    close(got.logits, expected.logits)
    close(got.loss, expected.loss)


def test_decode_layouts_do_not_change_results(make_pair):
    """The split-K / transposed-head layouts used while generating give the same logits."""
    from tfx_core.modeling.torch.conv1d import split_parts

    ours, _ = make_pair(n_embd=512, n_head=4, vocab_size=2048)
    ids = torch.randint(3, 2048, (2, 5))
    with torch.no_grad():
        before = ours(ids).logits
        threads = torch.get_num_threads()
        torch.set_num_threads(2)
        try:
            ours._prepare_for_decoding()
            assert split_parts(ours.transformer.h[0].mlp.c_fc.weight) == 2
            assert ours.lm_head.weight.t().is_contiguous()
            assert ours.lm_head.weight is ours.transformer.wte.weight  # still tied
            after = ours(ids).logits
            one_row = ours._decode_forward(
                ids[:, :1], attention_mask=None, position_ids=None, cache=DynamicCache()
            )
        finally:
            torch.set_num_threads(threads)
    close(after, before, atol=1e-4)
    close(one_row, before[:, 0], atol=1e-4)


def test_head_mask_matches_the_reference(make_pair, left_padded):
    ours, ref = make_pair(attn_implementation="eager")  # the reference masks heads in eager
    ids, mask = left_padded
    head_mask = torch.tensor([[1.0, 0.0, 1.0, 0.5], [0.0, 1.0, 1.0, 1.0]])
    with torch.no_grad():
        got = ours(ids, attention_mask=mask, head_mask=head_mask).logits
        expected = ref(ids, attention_mask=mask, head_mask=head_mask).logits
    real = mask.bool()
    close(got[real], expected[real])


def test_errors_are_clear(make_pair):
    ours, _ = make_pair()
    with pytest.raises(ValueError, match="exactly one"):
        ours()
    with pytest.raises(ValueError, match="context"):
        ours(torch.zeros(1, 65, dtype=torch.long))
    with pytest.raises(ValueError, match="add_cross_attention=True"):  # no cross-attention built
        ours(torch.zeros(1, 3, dtype=torch.long), encoder_hidden_states=torch.ones(1, 2, 32))
    seq, _ = make_pair("GPT2ForSequenceClassification")
    with pytest.raises(ValueError, match="pad_token_id"):
        seq(torch.ones(2, 3, dtype=torch.long))
