"""Keras encoder-decoders (BART family, T5) against the reference PyTorch classes.

Tiny random checkpoints written by `transformers`: logits of every TF head with padding in the
encoder and the decoder, XLA `generate` ids (greedy, beam with the seq2seq processors) equal to
the reference's, round trips TF -> transformers -> TF, and the seq2seq pipelines.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
import transformers

from tfx_core.errors import GenerationError

TINY_BART = {
    "vocab_size": 99,
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
    "init_std": 0.2,
    "scale_embedding": True,
}
TINY_T5 = {
    "vocab_size": 99,
    "d_model": 32,
    "d_kv": 8,
    "d_ff": 37,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 4,
    "relative_attention_num_buckets": 8,
    "relative_attention_max_distance": 20,
    "decoder_start_token_id": 0,
}
_MARIAN = {"decoder_start_token_id": 3, "pad_token_id": 1}
#: name -> (reference config class, reference class, tfx module, config fields)
FAMILIES = {
    "bart": ("BartConfig", "BartForConditionalGeneration", "bart", TINY_BART),
    "mbart": ("MBartConfig", "MBartForConditionalGeneration", "mbart", TINY_BART),
    "marian": ("MarianConfig", "MarianMTModel", "marian", {**TINY_BART, **_MARIAN}),
    "marian-untied": (
        "MarianConfig",
        "MarianMTModel",
        "marian",
        {**TINY_BART, **_MARIAN, "share_encoder_decoder_embeddings": False},
    ),
    "pegasus": (
        "PegasusConfig",
        "PegasusForConditionalGeneration",
        "pegasus",
        {**TINY_BART, "decoder_start_token_id": 1},
    ),
    "blenderbot": (
        "BlenderbotConfig",
        "BlenderbotForConditionalGeneration",
        "blenderbot",
        TINY_BART,
    ),
    "blenderbot-small": (
        "BlenderbotSmallConfig",
        "BlenderbotSmallForConditionalGeneration",
        "blenderbot_small",
        TINY_BART,
    ),
    "m2m100": ("M2M100Config", "M2M100ForConditionalGeneration", "m2m100", TINY_BART),
    "t5": ("T5Config", "T5ForConditionalGeneration", "t5", TINY_T5),
    "t5-v1.1": (
        "T5Config",
        "T5ForConditionalGeneration",
        "t5",
        {**TINY_T5, "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False},
    ),
    "mt5": ("MT5Config", "MT5ForConditionalGeneration", "mt5", TINY_T5),
}
# BART family: <s>=0, <pad>=1, </s>=2; right padding in the encoder and the decoder
IDS = np.array([[0, 5, 6, 7, 8, 2], [0, 9, 10, 2, 1, 1]])
DECODER = np.array([[2, 4, 11, 12], [2, 5, 13, 1]])
# T5: <pad>=0 (also the decoder start), </s>=1
T5_IDS = np.array([[5, 6, 7, 8, 9, 1], [9, 10, 11, 1, 0, 0]])
T5_DECODER = np.array([[0, 4, 11, 12], [0, 5, 13, 0]])


def _inputs(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t5 = name.startswith(("t5", "mt5"))
    ids, decoder = (T5_IDS, T5_DECODER) if t5 else (IDS, DECODER)
    pad = 0 if t5 else 1
    decoder_mask = (decoder != pad).astype(np.int64)
    decoder_mask[:, 0] = 1
    return ids, (ids != pad).astype(np.int64), decoder, decoder_mask


def _reference(name: str, class_name: str | None = None, **overrides):
    config_name, default_class, _, fields = FAMILIES[name]
    config = getattr(transformers, config_name)(**{**fields, **overrides})
    torch.manual_seed(0)
    model = getattr(transformers, class_name or default_class)(config).eval()
    with torch.no_grad():  # non-trivial norms and biases, so a wrong mapping cannot hide
        for key, param in model.named_parameters():
            if "norm" in key or key.endswith("bias"):
                param.add_(torch.randn_like(param) * 0.1)
        if getattr(model, "final_logits_bias", None) is not None:
            model.final_logits_bias.normal_()
    return model


def _tf_class(name: str, class_name: str):
    module = f"tfx_plugin_{FAMILIES[name][2]}.modeling_tf_{FAMILIES[name][2]}"
    if FAMILIES[name][2] == "mt5":
        module = "tfx_plugin_t5.modeling_tf_mt5"
    elif FAMILIES[name][2] == "t5":
        module = "tfx_plugin_t5.modeling_tf_t5"
        if class_name.endswith(("Classification", "QuestionAnswering")):
            module = "tfx_plugin_t5.modeling_tf_t5_heads"
    return getattr(importlib.import_module(module), "TF" + class_name)


def _pair(tmp_path, name: str, class_name: str | None = None, **overrides):
    reference = _reference(name, class_name, **overrides)
    folder = tmp_path / f"{name}-{type(reference).__name__}"
    reference.save_pretrained(folder)
    model = _tf_class(name, type(reference).__name__).from_pretrained(folder)
    assert not model.load_report.missing and not model.load_report.unexpected
    return reference, model, folder


def _forward(model, name: str, torch_model: bool = False):
    ids, mask, decoder, decoder_mask = _inputs(name)
    if torch_model:
        with torch.no_grad():
            return model(
                input_ids=torch.from_numpy(ids),
                attention_mask=torch.from_numpy(mask),
                decoder_input_ids=torch.from_numpy(decoder),
                decoder_attention_mask=torch.from_numpy(decoder_mask),
            )
    return model(
        ids, attention_mask=mask, decoder_input_ids=decoder, decoder_attention_mask=decoder_mask
    )


@pytest.mark.parametrize("name", list(FAMILIES))
def test_conditional_generation_logits_match_reference(tmp_path, name):
    reference, model, _ = _pair(tmp_path, name)
    want = _forward(reference, name, torch_model=True).logits.numpy()
    got = _forward(model, name).logits.numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("name", "class_name", "output"),
    [
        ("bart", "BartModel", "last_hidden_state"),
        ("bart", "BartForSequenceClassification", "logits"),
        ("bart", "BartForQuestionAnswering", "start_logits"),
        ("mbart", "MBartForSequenceClassification", "logits"),
        ("pegasus", "PegasusModel", "last_hidden_state"),
        ("t5", "T5Model", "last_hidden_state"),
        ("t5", "T5EncoderModel", "last_hidden_state"),
        ("t5-v1.1", "T5ForSequenceClassification", "logits"),
        ("t5-v1.1", "T5ForTokenClassification", "logits"),
        ("t5-v1.1", "T5ForQuestionAnswering", "start_logits"),
        ("t5", "T5ForQuestionAnswering", "end_logits"),  # decoder inputs: the ids shifted
        ("bart", "BartForCausalLM", "logits"),
        ("mbart", "MBartForCausalLM", "logits"),
        ("marian", "MarianForCausalLM", "logits"),
        ("pegasus", "PegasusForCausalLM", "logits"),
        ("blenderbot", "BlenderbotForCausalLM", "logits"),
        ("blenderbot-small", "BlenderbotSmallForCausalLM", "logits"),
    ],
)
def test_other_heads_match_reference(tmp_path, name, class_name, output):
    reference, model, _ = _pair(tmp_path, name, class_name)
    ids, mask, decoder, decoder_mask = _inputs(name)
    inputs = {"input_ids": ids, "attention_mask": mask}
    decoder_free = ("EncoderModel", "Classification", "CausalLM")
    if not class_name.endswith(decoder_free) and output != "end_logits":
        inputs.update(decoder_input_ids=decoder, decoder_attention_mask=decoder_mask)
    with torch.no_grad():
        want = reference(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    got = model(**inputs)
    np.testing.assert_allclose(got[output].numpy(), want[output].numpy(), atol=1e-5, rtol=0)
    if class_name == "BartForQuestionAnswering":
        np.testing.assert_allclose(got.end_logits.numpy(), want.end_logits.numpy(), atol=1e-5)


def _generate_both(reference, model, ids, mask, **options):
    with torch.no_grad():
        want = reference.generate(
            torch.from_numpy(ids), attention_mask=torch.from_numpy(mask), **options
        ).numpy()
    return model.generate(ids, attention_mask=mask, **options).numpy(), want


def test_bart_greedy_and_beam_match_reference_without_recompiling(tmp_path):
    reference, model, _ = _pair(tmp_path, "bart", init_std=0.5)
    ids, mask, _, _ = _inputs("bart")
    got, want = _generate_both(reference, model, ids, mask, max_new_tokens=10)
    np.testing.assert_array_equal(got, want)
    (loop,) = model._xla_loops.values()
    # a shorter source and fewer new tokens fall in the same buckets: the same compiled loop
    got, want = _generate_both(reference, model, ids[:, :5], mask[:, :5], max_new_tokens=7)
    np.testing.assert_array_equal(got, want)
    assert len(model._xla_loops) == 1 and loop.experimental_get_tracing_count() == 1

    beam = {
        "max_new_tokens": 9,
        "num_beams": 4,
        "num_return_sequences": 2,
        "length_penalty": 0.6,
        "no_repeat_ngram_size": 2,
        "min_length": 5,
        "forced_bos_token_id": 7,
    }
    got, want = _generate_both(reference, model, ids, mask, **beam)
    np.testing.assert_array_equal(got, want)


def test_t5_greedy_and_beam_match_reference(tmp_path):
    reference, model, _ = _pair(tmp_path, "t5-v1.1")
    ids, mask, _, _ = _inputs("t5")
    got, want = _generate_both(reference, model, ids, mask, max_new_tokens=8)
    np.testing.assert_array_equal(got, want)
    beam = {"max_new_tokens": 8, "num_beams": 3, "early_stopping": True, "eos_token_id": 7}
    got, want = _generate_both(reference, model, ids, mask, **beam)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["bart", "marian", "t5-v1.1"])
def test_round_trip_tf_to_transformers_and_back(tmp_path, name):
    reference, model, _ = _pair(tmp_path, name)
    saved = model.save_pretrained(tmp_path / "from-tf")
    loaded, info = type(reference).from_pretrained(saved, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    want = _forward(reference, name, torch_model=True).logits.numpy()
    np.testing.assert_allclose(_forward(loaded.eval(), name, True).logits.numpy(), want, atol=1e-6)
    if name == "marian":  # the fixed position tables are not saved, as the reference does
        from safetensors import safe_open

        with safe_open(str(saved / "model.safetensors"), "np") as handle:
            stored = list(handle.keys())
        assert stored and not [key for key in stored if "embed_positions" in key]
    again = type(model).from_pretrained(saved)
    np.testing.assert_allclose(
        _forward(again, name).logits.numpy(), _forward(model, name).logits.numpy(), atol=1e-6
    )


def test_auto_class_and_labels_loss(tmp_path):
    from tfx_core import TFAutoModelForSeq2SeqLM

    reference, _, folder = _pair(tmp_path, "bart")
    model = TFAutoModelForSeq2SeqLM.from_pretrained(folder)
    assert type(model).__name__ == "TFBartForConditionalGeneration"
    ids, mask, _, _ = _inputs("bart")
    labels = np.array([[4, 11, 12, 2], [5, 13, 2, -100]])
    with torch.no_grad():
        want = reference(
            input_ids=torch.from_numpy(ids),
            attention_mask=torch.from_numpy(mask),
            labels=torch.from_numpy(labels),
        ).loss.item()
    got = float(model(ids, attention_mask=mask, labels=labels).loss)
    assert abs(got - want) < 1e-5


def test_bad_generation_requests_raise_typed_errors(tmp_path):
    _, model, _ = _pair(tmp_path, "bart")
    ids, mask, _, _ = _inputs("bart")
    with pytest.raises(GenerationError, match="outside the vocabulary"):
        model.generate(np.array([[0, 500, 2]]), max_new_tokens=2)
    with pytest.raises(GenerationError, match="encoder_repetition_penalty"):
        model.generate(ids, attention_mask=mask, max_new_tokens=2, encoder_repetition_penalty=1.2)
    with pytest.raises(GenerationError, match="positions"):
        model.generate(ids, attention_mask=mask, max_new_tokens=100)


def test_seq2seq_pipelines_match_reference(tmp_path):
    from tokenizers import ByteLevelBPETokenizer

    from tfx_core import pipeline

    corpus = ["The council met on Tuesday and approved the new budget for the parks."] * 5
    folder = tmp_path / "tiny-bart"
    folder.mkdir()
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=300, special_tokens=["<s>", "<pad>", "</s>"])
    bpe.save_model(str(folder))
    tokenizer = transformers.BartTokenizerFast.from_pretrained(folder, model_max_length=32)
    tokenizer.save_pretrained(folder)
    reference = _reference("bart", vocab_size=len(tokenizer), init_std=0.5)
    reference.save_pretrained(folder)
    texts = ["The council met on Tuesday.", "The parks budget was approved by the council."]
    options = {"max_new_tokens": 6, "num_beams": 2}
    want = transformers.pipeline("summarization", model=str(folder))(texts, **options)
    summarizer = pipeline("summarization", model=str(folder), framework="tf")
    assert summarizer(texts, **options) == want
    # the loaded TF model serves text2text-generation too, and keeps its compiled loops
    model = summarizer.model.model
    assert type(model).__name__ == "TFBartForConditionalGeneration"
    ours = pipeline("text2text-generation", model=model, tokenizer=str(folder), framework="tf")
    reference = transformers.pipeline("text2text-generation", model=str(folder))
    assert ours(texts, **options) == reference(texts, **options)
    translator = pipeline("translation", model=model, tokenizer=str(folder), framework="tf")
    reference = transformers.pipeline("translation", model=str(folder))
    assert translator(texts, **options) == reference(texts, **options)
    # one trace per (batch, source bucket, new-token bucket, settings), never one per call
    assert all(loop.experimental_get_tracing_count() == 1 for loop in model._xla_loops.values())
