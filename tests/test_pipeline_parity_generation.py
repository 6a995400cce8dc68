"""text-generation against the reference pipeline on a tiny GPT-2 written by transformers.

The checkpoint gets a small byte-level BPE tokenizer trained in the test (with a chat template in
its tokenizer_config.json), so prompts, chats and decoding go through real files. Generation is
greedy (or beam search) so both libraries must produce the same tokens.
"""

import json
import threading

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_gpt2")

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402

EOS = "<|endoftext|>"
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}{{ eos_token }}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
CORPUS = [
    "Once upon a time there was a little robot who loved to read books.",
    "The weather today is sunny with a light breeze from the west.",
    "Hello, how are you? I am fine, thank you very much!",
    "Transformers turn tokens into vectors, and vectors into text again.",
] * 20


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one torch thread is fastest, and immune to a busy machine's contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=[EOS, "<|user|>", "<|assistant|>", "<|system|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "GPT2Tokenizer",
                "bos_token": EOS,
                "eos_token": EOS,
                "unk_token": EOS,
                "model_max_length": 128,
                "add_prefix_space": False,
                "chat_template": CHAT_TEMPLATE,
            }
        )
    )
    eos_id = tokenizer.token_to_id(EOS)
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=tokenizer.get_vocab_size(),
        n_positions=128,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        initializer_range=0.3,
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def pipes(gpt2):
    theirs = transformers.pipeline("text-generation", model=gpt2, framework="pt", device="cpu")
    return pipeline("text-generation", model=gpt2), theirs


PROMPTS = ["Once upon a time", "The weather today is", "Hello, how are"]
GREEDY = {"do_sample": False, "max_new_tokens": 12}


def test_greedy_generation_parity(pipes):
    ours, theirs = pipes
    for options in (
        GREEDY,
        {**GREEDY, "return_full_text": False},
        {**GREEDY, "num_beams": 3, "num_return_sequences": 2},
        {**GREEDY, "repetition_penalty": 1.3},
        {**GREEDY, "return_tensors": True},
        {**GREEDY, "prefix": "Hello, how are you? "},
        {**GREEDY, "stop_sequence": "ll"},
    ):
        expected = theirs(PROMPTS, **options)
        assert ours(PROMPTS, batch_size=1, **options) == expected, options
        assert ours(PROMPTS[0], **options) == expected[0], options


def test_batched_generation_equals_one_by_one(pipes):
    ours, theirs = pipes
    for options in (GREEDY, {**GREEDY, "stop_sequence": "ll"}, {**GREEDY, "return_tensors": True}):
        expected = [theirs(prompt, **options) for prompt in PROMPTS]
        assert ours(PROMPTS, batch_size=3, **options) == expected, options


def test_chat_messages_use_the_template(pipes):
    ours, theirs = pipes
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello!"}]
    expected = theirs(chat, **GREEDY)
    got = ours(chat, **GREEDY)
    assert got == expected
    assert (
        got[0]["generated_text"][:2] == chat and got[0]["generated_text"][2]["role"] == "assistant"
    )
    prefill = [*chat, {"role": "assistant", "content": "Hello"}]
    assert ours(prefill, **GREEDY) == theirs(prefill, **GREEDY)
    assert ours([chat, prefill], batch_size=2, **GREEDY) == theirs([chat, prefill], **GREEDY)


TOOLS_TEMPLATE = (
    "{% if tools %}<|system|>{% for tool in tools %}{{ tool['function']['name'] }}: "
    "{{ tool['function']['description'] }} {% endfor %}{{ eos_token }}{% endif %}" + CHAT_TEMPLATE
)


def get_weather(city: str) -> str:
    """Tell the weather in a city.

    Args:
        city: The city's name.
    """
    return "sunny"


def test_tokenizer_encode_kwargs_reach_the_chat_template(pipes):
    """`tokenizer_encode_kwargs` (tools as a Python function, a template) as the reference."""
    ours, theirs = pipes
    chat = [{"role": "user", "content": "Weather in Paris?"}]
    options = {"tokenizer_encode_kwargs": {"chat_template": TOOLS_TEMPLATE, "tools": [get_weather]}}
    assert ours(chat, **GREEDY, **options) == theirs(chat, **GREEDY, **options)
    from tfx_core.pipelines.chat import Chat

    plain = ours.preprocess_batch([Chat(chat)])[0][0]["input_ids"]
    tooled = ours.preprocess_batch([Chat(chat)], encode_kwargs=options["tokenizer_encode_kwargs"])
    expected = theirs.tokenizer.apply_chat_template(
        chat, tools=[get_weather], chat_template=TOOLS_TEMPLATE, add_generation_prompt=True
    )
    assert tooled[0][0]["input_ids"] == expected and len(expected) > len(plain)
    with pytest.raises(PipelineError, match="only apply to chat"):
        ours("Hello", tokenizer_encode_kwargs={"tools": [get_weather]}, **GREEDY)
    with pytest.raises(PipelineError, match="set by the pipeline"):
        ours(chat, tokenizer_encode_kwargs={"tokenize": False}, **GREEDY)


def test_streaming_yields_the_same_text(pipes):
    ours, _ = pipes
    pieces = list(ours.stream(PROMPTS[0], **GREEDY))
    assert pieces and all(isinstance(piece, str) for piece in pieces)
    full = ours(PROMPTS[0], return_full_text=False, **GREEDY)[0]["generated_text"]
    assert "".join(pieces) == full
    from tfx_core import TextIteratorStreamer

    streamer = TextIteratorStreamer(ours.tokenizer, skip_prompt=True)
    worker = threading.Thread(
        target=ours, args=(PROMPTS[1],), kwargs={"streamer": streamer, **GREEDY}
    )
    worker.start()
    streamed = "".join(streamer)
    worker.join()
    assert streamed.strip()


def test_generation_errors(pipes, gpt2):
    ours, _ = pipes
    with pytest.raises(PipelineError):
        ours([{"content": "no role"}], **GREEDY)
    with pytest.raises(PipelineError, match="return_full_text"):
        ours("x", return_full_text=True, return_tensors=True)
    with pytest.raises(PipelineError, match="cannot serve the task 'fill-mask'"):
        pipeline("fill-mask", model=gpt2)
