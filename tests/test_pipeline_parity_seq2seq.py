"""summarization / translation / text2text-generation against the reference pipelines.

Tiny BART checkpoints written by transformers, with a byte-level BPE tokenizer trained here (BART's
files: vocab.json + merges.txt); outputs must be identical, records and keys included, for single
inputs, lists, batches, several returned sequences, token ids, truncation and task parameters.
"""

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bart")
pytest.importorskip("tfx_plugin_gpt2")

from tokenizers import ByteLevelBPETokenizer  # noqa: E402

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines.tasks import resolve_task  # noqa: E402
from tfx_core.plugins import get_registry  # noqa: E402

CORPUS = [
    "The council met on Tuesday and approved the new budget for the city's parks.",
    "Researchers found that the river's water quality improved after the factory closed.",
    "A small robot learned to sort letters faster than the post office clerks.",
    "Translate this sentence, then summarize the whole article in one line.",
] * 10
TEXTS = [
    "The council met on Tuesday and approved the budget.",
    "A small robot learned to sort letters , faster than clerks .",
    "Researchers found the water improved.",
]
TRANSLATION_PARAMS = {
    "translation_en_to_de": {
        "prefix": "translate English to German: ",
        "max_length": 9,
        "num_beams": 2,
        "early_stopping": True,
    }
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def bart(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bart")
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        CORPUS, vocab_size=320, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    bpe.save_model(str(folder))
    transformers.BartTokenizerFast.from_pretrained(folder, model_max_length=24).save_pretrained(
        folder
    )
    torch.manual_seed(0)
    config = transformers.BartConfig(
        vocab_size=320,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_position_embeddings=300,
        task_specific_params=TRANSLATION_PARAMS,
    )
    transformers.BartForConditionalGeneration(config).eval().save_pretrained(folder)
    return folder


def _plain(result):
    """Records with tensors as lists (nested lists of records kept)."""
    if isinstance(result, list):
        return [_plain(item) for item in result]
    return {
        key: value.tolist() if hasattr(value, "tolist") else value for key, value in result.items()
    }


def _same(task, folder, inputs, **options):
    reference = transformers.pipeline(task, model=str(folder))
    ours = pipeline(task, model=str(folder))
    expected, got = reference(inputs, **options), ours(inputs, **options)
    assert _plain(got) == _plain(expected), options
    return got


@pytest.mark.parametrize(
    "options",
    [
        {"max_new_tokens": 6},
        {"max_new_tokens": 5, "num_beams": 2, "length_penalty": 0.5},
        {"max_new_tokens": 5, "num_beams": 3, "num_return_sequences": 2},
        {"max_new_tokens": 4, "return_tensors": True},
        {"max_new_tokens": 6, "clean_up_tokenization_spaces": True, "no_repeat_ngram_size": 2},
        {"max_length": 7, "min_length": 3, "num_beams": 2},  # max_new_tokens=256 still wins
    ],
)
def test_summarization_matches_the_reference(bart, options):
    got = _same("summarization", bart, TEXTS, **options)
    key = "summary_token_ids" if options.get("return_tensors") else "summary_text"
    first = got[0][0] if options.get("num_return_sequences") else got[0]
    assert set(first) == {key}


def test_single_inputs_defaults_and_batches_match_the_reference(bart):
    got = _same("summarization", bart, TEXTS[0])  # pipeline defaults: 256 new tokens, 4 beams
    assert isinstance(got, list) and set(got[0]) == {"summary_text"}
    _same("text2text-generation", bart, TEXTS, max_new_tokens=5, batch_size=2)
    _same("summarization", bart, TEXTS, max_new_tokens=5, num_beams=2, batch_size=3)


def test_translation_uses_the_task_parameters(bart):
    got = _same("translation_en_to_de", bart, TEXTS[:2])
    assert set(got[0]) == {"translation_text"}
    with pytest.warns(UserWarning, match="translation_en_to_de"):
        ours = pipeline("translation", model=str(bart))
    assert ours.task == "translation_en_to_de" and ours.prefix == "translate English to German: "
    assert ours.generation_config.num_beams == 2 and ours.generation_config.max_length == 9


def test_truncation_and_too_long_inputs(bart):
    long_text = " ".join(TEXTS * 3)
    _same("summarization", bart, long_text, truncation=True, max_new_tokens=4)
    ours = pipeline("summarization", model=str(bart), max_new_tokens=4)
    with pytest.raises(PipelineError, match="truncation=True"):
        ours(" ".join(CORPUS[:4] * 20))


def test_bad_requests_get_typed_errors(bart, tmp_path):
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_embd=16, n_layer=1, n_head=2, vocab_size=320)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "gpt2")
    with pytest.raises(PipelineError, match="summarization"):
        pipeline("summarization", model=str(tmp_path / "gpt2"), tokenizer=str(bart))
    from tfx_core import AutoModelForCausalLM, AutoTokenizer
    from tfx_core.pipelines.text2text_generation import SummarizationPipeline

    decoder_only = AutoModelForCausalLM.from_pretrained(tmp_path / "gpt2")
    with pytest.raises(PipelineError, match="seq2seq-lm head"):
        pipeline("summarization", model=decoder_only, tokenizer=AutoTokenizer.from_pretrained(bart))
    with pytest.raises(PipelineError, match="encoder-decoder"):
        SummarizationPipeline(decoder_only, AutoTokenizer.from_pretrained(bart))
    ours = pipeline("summarization", model=str(bart))
    with pytest.raises(PipelineError, match="strings"):
        ours([3, 4])
    with pytest.raises(PipelineError, match="return_type"):
        ours(TEXTS[0], return_type="logits")


def test_default_checkpoints_are_the_references():
    registry = get_registry()
    summarization = resolve_task(registry, "summarization")
    assert (summarization.default_model, summarization.default_revision) == (
        "sshleifer/distilbart-cnn-12-6",
        "a4f8f3e",
    )
    text2text = resolve_task(registry, "text2text-generation")
    assert (text2text.default_model, text2text.default_revision) == ("google-t5/t5-base", "a9723ea")
    en_fr = resolve_task(registry, "translation_en_to_fr")
    assert en_fr.name == "translation_en_to_fr" and en_fr.default_model == "google-t5/t5-base"
    assert resolve_task(registry, "translation_fr_to_ja").default_model is None
    with pytest.raises(PipelineError, match="no default model"):
        pipeline("translation_fr_to_ja")


def test_translation_with_language_codes_matches_the_reference(tmp_path):
    pytest.importorskip("tfx_plugin_mbart")
    pytest.importorskip("sentencepiece")
    import json

    from tfx_sdk.conformance.tiny_sentencepiece import train_sentencepiece

    (tmp_path / "sentencepiece.bpe.model").write_bytes(train_sentencepiece(model_type="bpe"))
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "MBartTokenizer"})
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path)
    torch.manual_seed(0)
    config = transformers.MBartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_position_embeddings=300,
    )
    transformers.MBartForConditionalGeneration(config).eval().save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    languages = {"src_lang": "en_XX", "tgt_lang": "ro_RO"}
    reference = transformers.pipeline("translation", model=str(tmp_path), **languages)
    ours = pipeline("translation", model=str(tmp_path), **languages)
    texts = ["Hello world, how are you?", "The weather is nice."]
    for options in (
        {"max_new_tokens": 6},
        {"max_new_tokens": 5, "num_beams": 2, "return_tensors": True},
    ):
        assert _plain(ours(texts, **options)) == _plain(reference(texts, **options))
    tokens = ours(texts[0], max_new_tokens=3, return_tensors=True)[0]["translation_token_ids"]
    assert int(tokens[1]) == tokenizer.convert_tokens_to_ids("ro_RO")  # forced target code
    with pytest.raises(PipelineError, match="src_lang= and tgt_lang="):
        pipeline("translation", model=str(tmp_path))(texts[0], max_new_tokens=3)
