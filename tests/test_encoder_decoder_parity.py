"""EncoderDecoderModel (BERT2BERT) against transformers: logits, loss, generation, round trips.

The reference builds the model with `from_encoder_decoder_pretrained` from two tiny BERT
checkpoints (its cross-attention starts random) and saves it; tfx loads that folder strictly.
"""

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bert")

from safetensors import safe_open  # noqa: E402

from tfx_core import AutoConfig, AutoModelForSeq2SeqLM  # noqa: E402
from tfx_core.encoder_decoder_config import EncoderDecoderConfig  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402
from tfx_core.modeling.torch.encoder_decoder import EncoderDecoderModel  # noqa: E402

BERT = dict(
    vocab_size=160,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
)


@pytest.fixture(scope="module")
def bert2bert(tmp_path_factory):
    root = tmp_path_factory.mktemp("bert2bert")
    torch.manual_seed(0)
    transformers.BertModel(transformers.BertConfig(**BERT)).save_pretrained(root / "encoder")
    decoder = transformers.BertConfig(**BERT, is_decoder=True, hidden_act="gelu_new")
    transformers.BertLMHeadModel(decoder).save_pretrained(root / "decoder")
    reference = transformers.EncoderDecoderModel.from_encoder_decoder_pretrained(
        str(root / "encoder"), str(root / "decoder")
    )
    for config in (reference.config, reference.generation_config):
        config.decoder_start_token_id, config.pad_token_id = 2, 0
    reference.save_pretrained(root / "model")
    return root


def _inputs():
    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 99, (2, 9), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    decoder_ids = torch.randint(3, 99, (2, 5), generator=generator)
    decoder_mask = torch.ones_like(decoder_ids)
    decoder_mask[0, 4:] = 0
    return ids, mask, decoder_ids, decoder_mask


def test_logits_and_loss_match_the_reference(bert2bert):
    reference = transformers.EncoderDecoderModel.from_pretrained(bert2bert / "model").eval()
    ours = AutoModelForSeq2SeqLM.from_pretrained(bert2bert / "model", strict=True)
    assert isinstance(ours, EncoderDecoderModel)
    ids, mask, decoder_ids, decoder_mask = _inputs()
    options = dict(input_ids=ids, attention_mask=mask, output_attentions=True)
    with torch.no_grad():
        expected = reference(
            **options, decoder_input_ids=decoder_ids, decoder_attention_mask=decoder_mask
        )
        got = ours(**options, decoder_input_ids=decoder_ids, decoder_attention_mask=decoder_mask)
        labels = decoder_ids.masked_fill(decoder_mask == 0, -100)
        expected_loss = reference(input_ids=ids, attention_mask=mask, labels=labels).loss
        got_loss = ours(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert (got.logits - expected.logits).abs().max() <= 1e-5
    assert (got.encoder_last_hidden_state - expected.encoder_last_hidden_state).abs().max() <= 1e-5
    for a, b in zip(got.cross_attentions, expected.cross_attentions):
        assert (a - b).abs().max() <= 1e-5
    assert abs(float(got_loss) - float(expected_loss)) <= 1e-5


@pytest.mark.parametrize(
    "options",
    [
        {"max_new_tokens": 6},
        {"max_new_tokens": 6, "num_beams": 3},
        {"max_new_tokens": 6, "num_beams": 4, "num_return_sequences": 2, "length_penalty": 0.7},
        {"max_new_tokens": 5, "do_sample": True, "top_k": 20},
    ],
)
def test_generation_matches_the_reference(bert2bert, options):
    reference = transformers.EncoderDecoderModel.from_pretrained(bert2bert / "model").eval()
    ours = EncoderDecoderModel.from_pretrained(bert2bert / "model", strict=True)
    ids, mask, _, _ = _inputs()
    if options.get("do_sample"):
        torch.manual_seed(7)
        expected = reference.generate(ids, attention_mask=mask, **options)
        torch.manual_seed(7)
    else:
        expected = reference.generate(ids, attention_mask=mask, **options)
    assert ours.generate(ids, attention_mask=mask, **options).tolist() == expected.tolist()


def test_round_trip_both_ways(bert2bert, tmp_path):
    ours = EncoderDecoderModel.from_pretrained(bert2bert / "model", strict=True)
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.EncoderDecoderModel.from_pretrained(tmp_path / "ours").eval()
    ids, mask, decoder_ids, _ = _inputs()
    with torch.no_grad():
        a = back(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids).logits
        b = ours(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids).logits
    assert (a - b).abs().max() <= 1e-5

    def keys(folder):
        with safe_open(folder / "model.safetensors", "pt") as reader:
            return set(reader.keys())

    assert keys(tmp_path / "ours") == keys(bert2bert / "model")
    config = AutoConfig.from_pretrained(tmp_path / "ours")
    assert isinstance(config, EncoderDecoderConfig) and config.decoder.add_cross_attention
    assert config.encoder.model_type == "bert" and config.is_encoder_decoder


def test_from_encoder_decoder_pretrained_and_cache_reuse(bert2bert):
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(
        bert2bert / "encoder", bert2bert / "decoder"
    ).eval()
    assert model.config.decoder.is_decoder and model.config.decoder.add_cross_attention
    assert not model.config.encoder.is_decoder and not model.config.tie_word_embeddings
    ids, mask, decoder_ids, _ = _inputs()
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids).logits
        encoded = model.get_encoder()(input_ids=ids, attention_mask=mask)
        first = model(
            attention_mask=mask,
            encoder_outputs=encoded,
            decoder_input_ids=decoder_ids[:, :3],
            use_cache=True,
        )
        step = model(
            attention_mask=mask,
            encoder_outputs=(encoded.last_hidden_state,),
            decoder_input_ids=decoder_ids[:, 3:4],
            past_key_values=first.past_key_values,
        )
    assert (step.logits[:, -1] - full[:, 3]).abs().max() <= 1e-5


def test_bad_configs_get_typed_errors(bert2bert):
    with pytest.raises(ConfigError, match="both an encoder and a decoder"):
        EncoderDecoderModel()
    with pytest.raises(ConfigError, match="'decoder'"):
        EncoderDecoderConfig(encoder={"model_type": "bert"})
    with pytest.raises(ConfigError, match="model_type"):
        EncoderDecoderConfig(encoder={"hidden_size": 4}, decoder={"model_type": "bert"})


def test_tie_encoder_decoder_shares_weights_like_the_reference(tmp_path):
    """One set of weights for the encoder and the decoder's base model: the reference's file
    (decoder copies only) loads strictly, outputs and ids match, and a save gives its keys."""
    encoder = transformers.BertConfig(**BERT)
    decoder = transformers.BertConfig(**BERT, is_decoder=True, add_cross_attention=True)
    config = transformers.EncoderDecoderConfig.from_encoder_decoder_configs(
        encoder, decoder, tie_encoder_decoder=True, decoder_start_token_id=2, pad_token_id=0
    )
    torch.manual_seed(0)
    reference = transformers.EncoderDecoderModel(config=config).eval()
    reference.save_pretrained(tmp_path / "reference")
    ours = EncoderDecoderModel.from_pretrained(tmp_path / "reference", strict=True)
    shared = ours.encoder.encoder.layer[0].attention.self.query.weight
    assert shared is ours.decoder.bert.encoder.layer[0].attention.self.query.weight
    count = lambda model: sum(p.numel() for p in model.parameters())  # noqa: E731
    assert count(ours) == count(reference)
    ids, mask, decoder_ids, _ = _inputs()
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids)
        got = ours(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids)
    assert (got.logits - expected.logits).abs().max() <= 1e-5
    options = dict(attention_mask=mask, max_new_tokens=5, num_beams=2)
    assert ours.generate(ids, **options).tolist() == reference.generate(ids, **options).tolist()
    ours.save_pretrained(tmp_path / "ours")
    with (
        safe_open(tmp_path / "ours" / "model.safetensors", "pt") as a,
        safe_open(tmp_path / "reference" / "model.safetensors", "pt") as b,
    ):
        assert set(a.keys()) == set(b.keys())
    back = transformers.EncoderDecoderModel.from_pretrained(tmp_path / "ours").eval()
    with torch.no_grad():
        again = back(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids)
    assert (again.logits - expected.logits).abs().max() <= 1e-5


def test_bert2gpt2_with_a_width_projection_matches_the_reference(tmp_path):
    pytest.importorskip("tfx_plugin_gpt2")
    torch.manual_seed(0)
    transformers.BertModel(transformers.BertConfig(**BERT)).save_pretrained(tmp_path / "bert")
    gpt2 = transformers.GPT2Config(
        vocab_size=120,
        n_embd=48,
        n_layer=2,
        n_head=4,
        n_positions=64,
        bos_token_id=1,
        eos_token_id=1,
    )
    transformers.GPT2LMHeadModel(gpt2).save_pretrained(tmp_path / "gpt2")
    reference = transformers.EncoderDecoderModel.from_encoder_decoder_pretrained(
        str(tmp_path / "bert"), str(tmp_path / "gpt2")
    )
    for config in (reference.config, reference.generation_config):
        config.decoder_start_token_id, config.pad_token_id = 1, 0
    reference.save_pretrained(tmp_path / "model")
    reference = transformers.EncoderDecoderModel.from_pretrained(tmp_path / "model").eval()
    ours = EncoderDecoderModel.from_pretrained(tmp_path / "model", strict=True)
    assert ours.enc_to_dec_proj.weight.shape == (48, 32)
    ids, mask, decoder_ids, decoder_mask = _inputs()
    with torch.no_grad():
        expected = reference(
            input_ids=ids,
            attention_mask=mask,
            decoder_input_ids=decoder_ids,
            decoder_attention_mask=decoder_mask,
        ).logits
        got = ours(
            input_ids=ids,
            attention_mask=mask,
            decoder_input_ids=decoder_ids,
            decoder_attention_mask=decoder_mask,
        ).logits
    assert (got - expected).abs().max() <= 1e-5
    for options in ({"max_new_tokens": 6}, {"max_new_tokens": 6, "num_beams": 3}):
        expected_ids = reference.generate(ids, attention_mask=mask, **options)
        assert ours.generate(ids, attention_mask=mask, **options).tolist() == expected_ids.tolist()


def test_summarization_pipeline_on_bert2bert_matches_the_reference(bert2bert, tmp_path):
    from tfx_core import pipeline
    from tfx_sdk.conformance import write_wordpiece

    vocab = write_wordpiece(tmp_path / "tokenizer", legacy=True)
    reference_tokenizer = transformers.BertTokenizerFast.from_pretrained(tmp_path / "tokenizer")
    model = transformers.EncoderDecoderModel.from_pretrained(bert2bert / "model")
    assert vocab <= model.config.encoder.vocab_size
    model.save_pretrained(tmp_path / "model")
    reference_tokenizer.save_pretrained(tmp_path / "model")
    texts = ["the quick brown fox jumps over the lazy dog", "hello world"]
    expected = transformers.pipeline("summarization", model=str(tmp_path / "model"))(
        texts, max_new_tokens=5, num_beams=2
    )
    got = pipeline("summarization", model=str(tmp_path / "model"))(
        texts, max_new_tokens=5, num_beams=2
    )
    assert got == expected


def test_the_kit_seq2seq_checks_pass_and_catch_an_unmasked_cross_attention(bert2bert, monkeypatch):
    from tfx_sdk.conformance.checks_seq2seq import check_seq2seq_model
    from tfx_sdk.conformance.failures import ConformanceFailure

    model = EncoderDecoderModel.from_pretrained(bert2bert / "model", strict=True).eval()
    ids, mask, _, _ = _inputs()
    check_seq2seq_model(model, ids, mask, steps=4)
    original = type(model).forward

    def unmasked(self, *args, **kwargs):
        if kwargs.get("encoder_outputs") is not None:
            kwargs["attention_mask"] = None  # the decoder no longer sees the encoder's padding
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(model), "forward", unmasked)
    with pytest.raises(ConformanceFailure):
        check_seq2seq_model(model, ids, mask, steps=4)
