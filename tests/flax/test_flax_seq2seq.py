"""Flax encoder-decoders (BART family, T5, mT5) against the reference PyTorch classes.

Tiny random checkpoints saved by `transformers`: logits with padding in encoder and decoder for
every Flax head, greedy / beam ids equal to the reference's `generate` (jitted, no recompilation
for sources in one bucket), round trips Flax <-> tfx PyTorch <-> transformers, and the seq2seq
pipelines with `framework="flax"`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tfx_core.errors import GenerationError
from tfx_core.modeling.flax import trace_count
from tfx_core.plugins import get_registry

transformers = pytest.importorskip("transformers")

BART_FAMILY = dict(
    vocab_size=99,
    d_model=16,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=4,
    decoder_attention_heads=2,
    encoder_ffn_dim=24,
    decoder_ffn_dim=20,
    max_position_embeddings=40,
    scale_embedding=True,
)
FAIRSEQ_IDS = dict(pad_token_id=1, eos_token_id=2, decoder_start_token_id=2)
T5_TINY = dict(
    vocab_size=99,
    d_model=16,
    d_kv=4,
    d_ff=24,
    num_layers=2,
    num_heads=4,
    relative_attention_num_buckets=8,
    relative_attention_max_distance=20,
    decoder_start_token_id=0,
)
V1_1 = dict(feed_forward_proj="gated-gelu", tie_word_embeddings=False)

#: (model_type, config class, reference class, config overrides)
CASES = [
    ("bart", "BartConfig", "BartForConditionalGeneration", {}),
    ("bart", "BartConfig", "BartModel", {}),
    ("bart", "BartConfig", "BartForSequenceClassification", {"num_labels": 3}),
    ("bart", "BartConfig", "BartForQuestionAnswering", {}),
    ("mbart", "MBartConfig", "MBartForConditionalGeneration", {}),
    ("mbart", "MBartConfig", "MBartModel", {}),
    ("mbart", "MBartConfig", "MBartForSequenceClassification", {}),
    ("mbart", "MBartConfig", "MBartForQuestionAnswering", {}),
    ("marian", "MarianConfig", "MarianMTModel", FAIRSEQ_IDS),
    ("marian", "MarianConfig", "MarianModel", FAIRSEQ_IDS),
    (
        "marian",
        "MarianConfig",
        "MarianMTModel",
        {**FAIRSEQ_IDS, "share_encoder_decoder_embeddings": False, "decoder_vocab_size": 99},
    ),
    ("pegasus", "PegasusConfig", "PegasusForConditionalGeneration", FAIRSEQ_IDS),
    ("pegasus", "PegasusConfig", "PegasusModel", FAIRSEQ_IDS),
    ("blenderbot", "BlenderbotConfig", "BlenderbotForConditionalGeneration", FAIRSEQ_IDS),
    ("blenderbot", "BlenderbotConfig", "BlenderbotModel", FAIRSEQ_IDS),
    (
        "blenderbot-small",
        "BlenderbotSmallConfig",
        "BlenderbotSmallForConditionalGeneration",
        FAIRSEQ_IDS,
    ),
    ("blenderbot-small", "BlenderbotSmallConfig", "BlenderbotSmallModel", FAIRSEQ_IDS),
    ("m2m_100", "M2M100Config", "M2M100ForConditionalGeneration", FAIRSEQ_IDS),
    ("m2m_100", "M2M100Config", "M2M100Model", FAIRSEQ_IDS),
    ("t5", "T5Config", "T5ForConditionalGeneration", {}),
    ("t5", "T5Config", "T5ForConditionalGeneration", V1_1),
    ("t5", "T5Config", "T5Model", {}),
    ("t5", "T5Config", "T5EncoderModel", {}),
    ("mt5", "MT5Config", "MT5ForConditionalGeneration", {}),
    ("mt5", "MT5Config", "MT5Model", {}),
    ("mt5", "MT5Config", "MT5EncoderModel", {}),
    ("t5", "T5Config", "T5ForSequenceClassification", {"num_labels": 3}),
    ("t5", "T5Config", "T5ForTokenClassification", {"num_labels": 3}),
    ("t5", "T5Config", "T5ForQuestionAnswering", V1_1),
    ("mt5", "MT5Config", "MT5ForSequenceClassification", {}),
    ("mt5", "MT5Config", "MT5ForTokenClassification", {}),
    ("mt5", "MT5Config", "MT5ForQuestionAnswering", {}),
]


def _ids(case_type: str, config_class: str):
    """Source and decoder inputs, the last rows right-padded, ending with </s> (same count)."""
    t5 = config_class in ("T5Config", "MT5Config")
    pad, eos, bos = (0, 1, 5) if t5 else (1, 2, 0)
    source = np.array([[bos, 5, 6, 7, 8, 9, 10, eos], [bos, 11, 12, eos, pad, pad, pad, pad]])
    decoder = np.array([[eos, bos, 13, 14, 15], [eos, bos, 16, pad, pad]])
    return source, (source != pad).astype(np.int64), decoder, (decoder != pad).astype(np.int64)


def _reference(config_class: str, name: str, overrides: dict, seed: int = 0):
    torch.manual_seed(seed)
    base = T5_TINY if config_class in ("T5Config", "MT5Config") else BART_FAMILY
    config = getattr(transformers, config_class)(**{**base, **overrides})
    model = getattr(transformers, name)(config).eval()
    if getattr(model, "final_logits_bias", None) is not None:
        with torch.no_grad():
            model.final_logits_bias.normal_(0, 0.5)  # the bias takes part in the comparison
    return model


def _flax_class(model_type: str, name: str):
    return get_registry().architecture(model_type).head_for_architecture(name).load("flax")


def _inputs(name: str, config_class: str) -> dict:
    source, source_mask, decoder, decoder_mask = _ids(name, config_class)
    inputs = dict(input_ids=source, attention_mask=source_mask)
    if "Classification" not in name and "Question" not in name and "Encoder" not in name:
        inputs.update(decoder_input_ids=decoder, decoder_attention_mask=decoder_mask)
    return inputs


def _outputs(name: str) -> tuple[str, ...]:
    if "Question" in name:
        return ("start_logits", "end_logits")
    if name.endswith("Model") and not name.endswith("MTModel"):
        return ("last_hidden_state",)
    return ("logits",)


@pytest.mark.parametrize(
    ("model_type", "config_class", "name", "overrides"),
    CASES,
    ids=[
        f"{c[2]}{'-untied' if 'share_encoder_decoder_embeddings' in c[3] else ''}"
        f"{'-v1.1' if c[3] is V1_1 else ''}"
        for c in CASES
    ],
)
def test_flax_heads_match_reference(tmp_path, model_type, config_class, name, overrides):
    reference = _reference(config_class, name, overrides)
    reference.save_pretrained(tmp_path)
    model = _flax_class(model_type, name).from_pretrained(tmp_path, strict=True)
    assert type(model).__name__ == f"Flax{name}"
    inputs = _inputs(name, config_class)
    with torch.no_grad():
        expected = reference(**{k: torch.tensor(v) for k, v in inputs.items()})
    got = model(**inputs)
    for key in _outputs(name):
        np.testing.assert_allclose(np.asarray(got[key]), expected[key].numpy(), atol=1e-5)


# ------------------------------------------------------------------------ generation
GENERATION = {  # few settings: each is one compiled program
    "greedy_forced_min": dict(max_new_tokens=8, min_length=5, forced_bos_token_id=7),
    "beam3": dict(
        num_beams=3,
        max_new_tokens=8,
        num_return_sequences=2,
        length_penalty=0.7,
        no_repeat_ngram_size=2,
    ),
}


@pytest.fixture(scope="module")
def bart_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flax-bart")
    one_layer = dict(encoder_layers=1, decoder_layers=1)  # generation compiles: keep them small
    _reference("BartConfig", "BartForConditionalGeneration", one_layer).save_pretrained(folder)
    from tfx_core import FlaxAutoModelForSeq2SeqLM

    reference = transformers.BartForConditionalGeneration.from_pretrained(folder).eval()
    return folder, reference, FlaxAutoModelForSeq2SeqLM.from_pretrained(folder)


@pytest.fixture(scope="module")
def t5_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flax-t5")
    one_layer = dict(num_layers=1, **V1_1)  # generation compiles: keep them small
    _reference("T5Config", "T5ForConditionalGeneration", one_layer).save_pretrained(folder)
    from tfx_core import FlaxAutoModelForSeq2SeqLM

    reference = transformers.T5ForConditionalGeneration.from_pretrained(folder).eval()
    return folder, reference, FlaxAutoModelForSeq2SeqLM.from_pretrained(folder)


def _reference_generate(reference, source, mask, **kwargs):
    with torch.no_grad():
        out = reference.generate(
            torch.tensor(source), attention_mask=torch.tensor(mask), do_sample=False, **kwargs
        )
    return out.numpy()


@pytest.mark.parametrize("options", list(GENERATION), ids=list(GENERATION))
@pytest.mark.parametrize("family", ["bart", "t5"])
def test_generate_ids_equal_reference(request, family, options):
    _, reference, model = request.getfixturevalue(f"{family}_pair")
    config_class = "BartConfig" if family == "bart" else "T5Config"
    source, mask, _, _ = _ids(family, config_class)
    kwargs = GENERATION[options]
    expected = _reference_generate(reference, source, mask, **kwargs)
    got = np.asarray(model.generate(source, attention_mask=mask, **kwargs))
    np.testing.assert_array_equal(got, expected)


def test_sources_in_one_bucket_reuse_the_program(bart_pair):
    _, reference, model = bart_pair
    source, mask, _, _ = _ids("bart", "BartConfig")
    kwargs = GENERATION["greedy_forced_min"]
    model.generate(source, attention_mask=mask, **kwargs)
    before = trace_count()
    for length in (3, 5):
        short = np.concatenate([source[:, : length - 1], source[:, -1:]], axis=1)
        out = model.generate(short, **kwargs)
        expected = _reference_generate(reference, short, np.ones_like(short), **kwargs)
        np.testing.assert_array_equal(np.asarray(out), expected)
    assert trace_count() == before


def test_sampling_is_seeded_and_decoder_prompt_is_honoured(t5_pair):
    _, reference, model = t5_pair
    source, mask, _, _ = _ids("t5", "T5Config")
    kwargs = dict(attention_mask=mask, max_new_tokens=6, do_sample=True, top_k=10)
    first = np.asarray(model.generate(source, seed=1, **kwargs))
    np.testing.assert_array_equal(first, np.asarray(model.generate(source, seed=1, **kwargs)))
    assert (first[:, 0] == 0).all() and first.max() < 99
    prompt = np.array([[0, 7], [0, 9]])
    expected = reference.generate(
        torch.tensor(source),
        attention_mask=torch.tensor(mask),
        decoder_input_ids=torch.tensor(prompt),
        max_new_tokens=5,
        do_sample=False,
    ).numpy()
    got = model.generate(source, attention_mask=mask, decoder_input_ids=prompt, max_new_tokens=5)
    np.testing.assert_array_equal(np.asarray(got), expected)


def test_bad_generation_requests(bart_pair):
    _, _, model = bart_pair
    with pytest.raises(GenerationError, match="source"):
        model.generate(None)
    with pytest.raises(GenerationError, match="encoder reads at most"):
        model.generate(np.full((1, 41), 5))
    with pytest.raises(GenerationError, match="positions"):
        model.generate(np.array([[0, 5, 2]]), max_new_tokens=60)


# ------------------------------------------------------------------------ round trips
@pytest.mark.parametrize(
    ("model_type", "config_class", "name", "overrides"),
    [
        ("bart", "BartConfig", "BartForConditionalGeneration", {}),
        ("pegasus", "PegasusConfig", "PegasusForConditionalGeneration", FAIRSEQ_IDS),
        ("marian", "MarianConfig", "MarianMTModel", FAIRSEQ_IDS),
        ("t5", "T5Config", "T5ForConditionalGeneration", V1_1),
    ],
    ids=["bart", "pegasus", "marian", "t5-v1.1"],
)
def test_round_trips(tmp_path, model_type, config_class, name, overrides):
    """reference -> tfx PyTorch -> Flax -> (transformers, tfx PyTorch): same logits."""
    reference = _reference(config_class, name, overrides)
    reference.save_pretrained(tmp_path / "reference")
    spec = get_registry().architecture(model_type).head_for_architecture(name)
    torch_model = spec.load("pt").from_pretrained(tmp_path / "reference")
    torch_model.save_pretrained(tmp_path / "tfx-pt")
    flax_model = spec.load("flax").from_pretrained(tmp_path / "tfx-pt", strict=True)
    flax_model.save_pretrained(tmp_path / "flax")
    inputs = _inputs(name, config_class)
    tensors = {k: torch.tensor(v) for k, v in inputs.items()}
    with torch.no_grad():
        expected = reference(**tensors).logits.numpy()
        again = getattr(transformers, name).from_pretrained(tmp_path / "flax").eval()
        np.testing.assert_allclose(again(**tensors).logits.numpy(), expected, atol=1e-5)
        served = spec.load("pt").from_pretrained(tmp_path / "flax", strict=True)
        np.testing.assert_allclose(served(**tensors).logits.numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(flax_model(**inputs).logits), expected, atol=1e-5)


# ------------------------------------------------------------------------ pipelines
def test_flax_pipelines_match_torch(tmp_path):
    from tfx_core import FlaxAutoModelForSeq2SeqLM, pipeline
    from tfx_sdk.conformance.tiny_tokenizers import write_byte_level_bpe

    vocab = write_byte_level_bpe(tmp_path, style="roberta")
    overrides = dict(vocab_size=vocab, max_position_embeddings=64, encoder_layers=1)
    overrides.update(decoder_layers=1)
    _reference("BartConfig", "BartForConditionalGeneration", overrides).save_pretrained(tmp_path)
    model = FlaxAutoModelForSeq2SeqLM.from_pretrained(tmp_path)
    texts = ["the quick fox", "hello world"]
    options = dict(max_new_tokens=6, num_beams=2)
    for task in ("translation", "text2text-generation", "summarization"):
        torch_pipe = pipeline(task, model=str(tmp_path))
        flax_pipe = pipeline(task, model=model, tokenizer=str(tmp_path), framework="flax")
        assert flax_pipe(texts, **options) == torch_pipe(texts, **options), task
    ids = [
        r["summary_token_ids"].tolist() for r in torch_pipe(texts, return_tensors=True, **options)
    ]
    loaded = pipeline("summarization", model=str(tmp_path), framework="flax")
    assert type(loaded.model.model).__name__ == "FlaxBartForConditionalGeneration"
    got = [r["summary_token_ids"].tolist() for r in loaded(texts, return_tensors=True, **options)]
    assert got == ids


def test_embeddings_stored_under_the_decoder_name_only(tmp_path):
    """Like facebook/bart-large-cnn: the tied table is `model.decoder.embed_tokens.weight`."""
    from safetensors.numpy import load_file, save_file

    reference = _reference("BartConfig", "BartForConditionalGeneration", {})
    reference.save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    tensors["model.decoder.embed_tokens.weight"] = tensors.pop("model.shared.weight")
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    model = _flax_class("bart", "BartForConditionalGeneration").from_pretrained(
        tmp_path, strict=True
    )
    inputs = _inputs("BartForConditionalGeneration", "BartConfig")
    with torch.no_grad():
        expected = reference(**{k: torch.tensor(v) for k, v in inputs.items()}).logits.numpy()
    np.testing.assert_allclose(np.asarray(model(**inputs).logits), expected, atol=1e-5)


@pytest.mark.parametrize(
    ("model_type", "config_class", "name"),
    [
        ("bart", "BartConfig", "BartForConditionalGeneration"),
        ("mbart", "MBartConfig", "MBartForConditionalGeneration"),
        ("t5", "T5Config", "T5ForConditionalGeneration"),
    ],
)
def test_labels_give_the_reference_loss(tmp_path, model_type, config_class, name):
    """Labels alone: decoder inputs shifted from them (mBART: language code first), -100 ignored."""
    reference = _reference(config_class, name, {})
    reference.save_pretrained(tmp_path)
    model = _flax_class(model_type, name).from_pretrained(tmp_path)
    source, mask, labels, _ = _ids(name, config_class)
    labels = labels.copy()
    labels[1, -2:] = -100
    with torch.no_grad():
        expected = reference(
            input_ids=torch.tensor(source),
            attention_mask=torch.tensor(mask),
            labels=torch.tensor(labels),
        )
    got = model(input_ids=source, attention_mask=mask, labels=labels)
    np.testing.assert_allclose(float(got.loss), float(expected.loss), atol=1e-5)
    np.testing.assert_allclose(np.asarray(got.logits), expected.logits.numpy(), atol=1e-5)
