"""T5 / mT5 against transformers on tiny random weights: every head, padding, cache, losses."""

import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_t5 import layers_t5, modeling_mt5, modeling_t5  # noqa: E402
from tfx_plugin_t5.configuration_t5 import MT5Config, T5Config  # noqa: E402

from tfx_core import AutoConfig, AutoModel, AutoModelForSeq2SeqLM  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402
from tfx_core.modeling.torch.cache import EncoderDecoderCache  # noqa: E402

TINY = dict(
    vocab_size=99,
    d_model=32,
    d_kv=8,
    d_ff=37,
    num_layers=2,
    num_decoder_layers=3,
    num_heads=4,
    relative_attention_num_buckets=8,
    relative_attention_max_distance=20,
    decoder_start_token_id=0,
)
V10 = {"feed_forward_proj": "relu", "tie_word_embeddings": True}
V11 = {"feed_forward_proj": "gated-gelu", "tie_word_embeddings": False}
HEADS = (
    "Model",
    "ForConditionalGeneration",
    "EncoderModel",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
)
ENCODER_ONLY = ("EncoderModel", "ForTokenClassification")


def make_pair(head="ForConditionalGeneration", family="t5", **overrides):
    prefix = "MT5" if family == "mt5" else "T5"
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference_config = getattr(transformers, f"{prefix}Config")(**fields)
        reference = getattr(transformers, prefix + head)(reference_config).eval()
    config = (MT5Config if family == "mt5" else T5Config)(**fields)
    module = modeling_mt5 if family == "mt5" else modeling_t5
    ours = getattr(module, prefix + head)(config).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    return ours, reference


def padded_inputs(head):
    """Encoder rows padded right and left; decoder rows padded right; each row ends in </s>."""
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 99, (3, 11), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, -4:] = 0
    mask[2, :3] = 0
    ids[1, 6] = ids[0, -1] = ids[2, -1] = 1  # one </s> per row (sequence classification)
    inputs = {"input_ids": ids, "attention_mask": mask}
    if head in ("Model", "ForConditionalGeneration"):
        decoder = torch.randint(3, 99, (3, 6), generator=generator)
        decoder_mask = torch.ones_like(decoder)
        decoder_mask[2, -2:] = 0
        inputs.update(decoder_input_ids=decoder, decoder_attention_mask=decoder_mask)
    return inputs


def assert_same(got, want, atol=1e-5):
    for name, value in want.items():
        if isinstance(value, torch.Tensor):
            assert (got[name] - value).abs().max() <= atol, name
        elif isinstance(value, tuple) and value and isinstance(value[0], torch.Tensor):
            assert len(got[name]) == len(value), name
            for mine, theirs in zip(got[name], value):
                assert (mine - theirs).abs().max() <= atol, name


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize(
    "family, variant", [("t5", V10), ("t5", V11), ("mt5", V11)], ids=["t5-v1.0", "t5-v1.1", "mt5"]
)
def test_every_head_matches_reference(head, family, variant):
    ours, reference = make_pair(head, family, **variant)
    inputs = padded_inputs(head)
    flags = {"output_hidden_states": True, "output_attentions": True}
    with torch.no_grad():
        got, want = ours(**inputs, **flags), reference(**inputs, **flags)
    assert type(got).__name__ == type(want).__name__
    assert_same(got, want)


@pytest.mark.parametrize("variant", [V10, V11], ids=["v1.0", "v1.1"])
def test_losses_match_reference(variant):
    inputs = padded_inputs("ForSequenceClassification")
    labels = torch.randint(0, 99, (3, 5), generator=torch.Generator().manual_seed(2))
    labels[0, -2:] = -100
    cases = {
        "ForConditionalGeneration": {"labels": labels},
        "ForSequenceClassification": {"labels": torch.tensor([0, 1, 1])},
        "ForTokenClassification": {"labels": torch.randint(0, 2, (3, 11))},
        "ForQuestionAnswering": {
            "start_positions": torch.tensor([1, 3, 20]),
            "end_positions": torch.tensor([2, 5, 4]),
        },
    }
    for head, targets in cases.items():
        ours, reference = make_pair(head, **variant)
        with torch.no_grad():
            got, want = ours(**inputs, **targets), reference(**inputs, **targets)
        assert (got.loss - want.loss).abs() <= 1e-5, head
        assert_same(got, want)


def test_tuple_outputs_and_encoder_outputs_reuse():
    ours, reference = make_pair(**V11)
    inputs = padded_inputs("ForConditionalGeneration")
    with torch.no_grad():
        got = ours(**inputs, return_dict=False)
        want = reference(**inputs, return_dict=False)
        encoder = ours.get_encoder()(inputs["input_ids"], inputs["attention_mask"])
        reused = ours(**inputs, encoder_outputs=(encoder.last_hidden_state,))
    assert len(got) == len(want)
    assert (got[0] - want[0]).abs().max() <= 1e-5
    assert (reused.logits - want[0]).abs().max() <= 1e-5


@pytest.mark.parametrize("variant", [V10, V11], ids=["v1.0", "v1.1"])
def test_cached_decoding_matches_full_forward(variant):
    """One decoder token at a time through the cache == the reference's cached steps."""
    ours, reference = make_pair(**variant)
    inputs = padded_inputs("ForConditionalGeneration")
    decoder = inputs.pop("decoder_input_ids")
    inputs.pop("decoder_attention_mask")
    with torch.no_grad():
        full = reference(**inputs, decoder_input_ids=decoder).logits
        encoder = ours.get_encoder()(**inputs)
        cache, ref_cache = None, None
        ref_encoder = reference.get_encoder()(**inputs)
        for step in range(decoder.shape[1]):
            token = decoder[:, step : step + 1]
            out = ours(
                attention_mask=inputs["attention_mask"],
                decoder_input_ids=token,
                encoder_outputs=encoder,
                past_key_values=cache,
                use_cache=True,
            )
            ref = reference(
                attention_mask=inputs["attention_mask"],
                decoder_input_ids=token,
                encoder_outputs=ref_encoder,
                past_key_values=ref_cache,
                use_cache=True,
            )
            cache, ref_cache = out.past_key_values, ref.past_key_values
            assert isinstance(cache, EncoderDecoderCache)
            assert (out.logits[:, -1] - ref.logits[:, -1]).abs().max() <= 1e-5
            assert (out.logits[:, -1] - full[:, step]).abs().max() <= 1e-5
    assert cache.get_seq_length() == decoder.shape[1]
    assert len(cache.cross_attention_cache) == TINY["num_decoder_layers"]


def test_head_masks_match_reference():
    ours, reference = make_pair(**V10)
    inputs = padded_inputs("ForConditionalGeneration")
    masks = {
        "head_mask": torch.tensor([[1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]]),
        "decoder_head_mask": torch.ones(3, 4).index_fill_(1, torch.tensor([3]), 0.0),
        "cross_attn_head_mask": torch.ones(3, 4).index_fill_(1, torch.tensor([0]), 0.0),
    }
    with torch.no_grad():
        got, want = ours(**inputs, **masks), reference(**inputs, **masks)
    assert_same(got, want)


def test_sdpa_is_within_rounding():
    ours, reference = make_pair(**V10)
    ours.config.attn_implementation = "sdpa"
    sdpa = modeling_t5.T5ForConditionalGeneration(ours.config).eval()
    sdpa.load_state_dict(reference.state_dict(), strict=False)
    inputs = padded_inputs("ForConditionalGeneration")
    with torch.no_grad():
        assert (sdpa(**inputs).logits - reference(**inputs).logits).abs().max() <= 1e-5


def test_training_dropout_and_backward():
    ours, _ = make_pair(**V11, dropout_rate=0.5)
    ours.train()
    inputs = padded_inputs("ForConditionalGeneration")
    labels = inputs.pop("decoder_input_ids")
    inputs.pop("decoder_attention_mask")
    first = ours(**inputs, labels=labels)
    second = ours(**inputs, labels=labels)
    assert not torch.equal(first.logits, second.logits)  # dropout is active in training
    first.loss.backward()
    table = ours.encoder.block[0].layer[0].SelfAttention.relative_attention_bias.weight
    assert table.grad is not None and table.grad.abs().sum() > 0


def test_relative_position_buckets_match_reference():
    from transformers.models.t5.modeling_t5 import T5Attention

    relative = torch.arange(-300, 300)[None, :]
    for bidirectional in (True, False):
        for buckets, distance in ((32, 128), (8, 20)):
            want = T5Attention._relative_position_bucket(relative, bidirectional, buckets, distance)
            got = layers_t5.relative_position_bucket(
                relative, bidirectional=bidirectional, num_buckets=buckets, max_distance=distance
            )
            assert torch.equal(got, want)


@pytest.mark.parametrize("stack", ["encoder", "decoder"])
def test_position_bias_matches_reference_at_every_length(stack):
    ours, reference = make_pair("Model", **V10)
    mine = getattr(ours, stack).block[0].layer[0].SelfAttention
    theirs = getattr(reference, stack).block[0].layer[0].SelfAttention
    with torch.no_grad():
        for queries, keys in ((1, 1), (5, 5), (300, 300), (1, 77), (3, 40)):
            positions = torch.arange(keys - queries, keys)
            want = theirs.compute_bias(keys, keys, cache_position=positions)
            assert torch.equal(mine.compute_bias(positions, keys), want), (queries, keys)


def test_fp16_clamp_keeps_activations_finite():
    hidden = torch.tensor([1.0, float("inf"), -float("inf"), 70000.0]).half()
    clamped = layers_t5.clamp_fp16(hidden)
    assert torch.isfinite(clamped).all()
    assert clamped[1] == torch.finfo(torch.float16).max - 1000
    finite = torch.tensor([1.0, 65504.0]).half()
    assert torch.equal(layers_t5.clamp_fp16(finite), finite)
    assert layers_t5.clamp_fp16(torch.tensor([float("inf")])).isinf().all()  # fp32 untouched


@pytest.mark.parametrize("family", ["t5", "mt5"])
def test_round_trip_and_auto_classes(family, tmp_path):
    prefix = "MT5" if family == "mt5" else "T5"
    _, reference = make_pair(family=family, **V11)
    reference.save_pretrained(tmp_path / "hf")
    config = AutoConfig.from_pretrained(tmp_path / "hf")
    assert type(config).__name__ == f"{prefix}Config" and config.model_type == family
    loaded = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "hf", strict=True)
    assert type(loaded).__name__ == f"{prefix}ForConditionalGeneration"
    assert type(AutoModel.from_pretrained(tmp_path / "hf")).__name__ == f"{prefix}Model"
    loaded.save_pretrained(tmp_path / "tfx")
    back = getattr(transformers, f"{prefix}ForConditionalGeneration").from_pretrained(
        tmp_path / "tfx"
    )
    inputs = padded_inputs("ForConditionalGeneration")
    with torch.no_grad():
        want = reference(**inputs).logits
        assert (loaded(**inputs).logits - want).abs().max() <= 1e-5
        assert (back.eval()(**inputs).logits - want).abs().max() <= 1e-5


def test_encoder_model_loads_full_checkpoint_cleanly(tmp_path):
    _, reference = make_pair(**V11)
    reference.save_pretrained(tmp_path)
    encoder = modeling_t5.T5EncoderModel.from_pretrained(tmp_path)
    assert not encoder.load_report.missing and not encoder.load_report.unexpected


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"feed_forward_proj": "gated-gelu-new"}, "feed_forward_proj"),
        ({"feed_forward_proj": "swiglu-gelu"}, "feed_forward_proj"),
        ({"d_kv": 0}, "d_kv"),
        ({"decoder_start_token_id": "0"}, "decoder_start_token_id"),
    ],
)
def test_bad_configs_are_config_errors(fields, message):
    with pytest.raises(ConfigError, match=message):
        T5Config(**{**TINY, **fields})


def test_unknown_activation_is_a_config_error():
    with pytest.raises(ConfigError):
        modeling_t5.T5Model(T5Config(**{**TINY, "feed_forward_proj": "gated-nope"}))


def test_bad_inputs_are_typed_errors():
    ours, _ = make_pair("ForSequenceClassification", **V10)
    ids = torch.tensor([[5, 6, 1], [5, 1, 1]])
    with pytest.raises(ConfigError, match="same number"):
        ours(ids)
    lm, _ = make_pair(**V10)
    with pytest.raises(ConfigError, match="decoder_input_ids"):
        lm(ids)
    lm.config.decoder_start_token_id = None
    with pytest.raises(ConfigError, match="decoder_start_token_id"):
        lm(ids, labels=ids)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_loading_matches_reference(dtype, tmp_path):
    """Float16 keeps every `wo` in float32 (read from the file), as the reference does."""
    _, reference = make_pair(**V11)
    reference.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = transformers.T5ForConditionalGeneration.from_pretrained(tmp_path, dtype=dtype)
    ours = modeling_t5.T5ForConditionalGeneration.from_pretrained(tmp_path, dtype=dtype)
    wo = ours.encoder.block[0].layer[1].DenseReluDense.wo.weight
    assert wo.dtype == (torch.float32 if dtype == torch.float16 else dtype)
    inputs = padded_inputs("ForConditionalGeneration")
    with torch.no_grad():
        got, want = ours(**inputs).logits, theirs.eval()(**inputs).logits
    assert got.dtype == want.dtype == dtype
    assert torch.equal(got, want)
