"""Chat templates of the Llama-3, Mistral and Qwen2 (ChatML) styles render as the reference does.

The templates are written here as data, in the shape those model families ship them (system
prompt handling, role alternation checks with `raise_exception`, `tojson` of tools,
`add_generation_prompt`). One tiny byte-level BPE `tokenizer.json` carries every family's
special tokens; tfx and `transformers` load the same folder and must give identical strings and
ids. Last, the text-generation pipeline answers chat messages on a tiny Llama checkpoint exactly
as the reference pipeline does.
"""

import json

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
jinja2 = pytest.importorskip("jinja2")

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

from tfx_core import AutoTokenizer, pipeline  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402

LLAMA3 = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' "
    "+ message['content'] | trim + '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- endif %}"
)
MISTRAL = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{%- set system = messages[0]['content'] + '\\n\\n' %}{%- set turns = messages[1:] %}"
    "{%- else %}{%- set system = '' %}{%- set turns = messages %}{%- endif %}"
    "{{- bos_token }}"
    "{%- for message in turns %}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{- raise_exception('Conversation roles must alternate user/assistant/user/...') }}"
    "{%- endif %}"
    "{%- if message['role'] == 'user' %}"
    "{{- '[INST] ' + (system if loop.first else '') + message['content'] + ' [/INST]' }}"
    "{%- else %}{{- ' ' + message['content'] + eos_token }}{%- endif %}"
    "{%- endfor %}"
)
CHATML = (
    "{%- if tools %}"
    "{{- '<|im_start|>system\\n' + (messages[0]['content'] if messages[0]['role'] == 'system' "
    "else 'You are a helpful assistant.') + '\\n\\n# Tools\\n<tools>' }}"
    "{%- for tool in tools %}{{- '\\n' + tool | tojson }}{%- endfor %}"
    "{{- '\\n</tools><|im_end|>\\n' }}"
    "{%- elif messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if not (tools and loop.first and message['role'] == 'system') %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
TEMPLATES = {"llama3": LLAMA3, "mistral": MISTRAL, "chatml": CHATML}
SPECIALS = [
    "<s>",
    "</s>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "[INST]",
    "[/INST]",
    "<|im_start|>",
    "<|im_end|>",
]
CORPUS = [
    "You are a terse assistant. Answer in one line.",
    "What is the capital of France? Paris is the capital of France.",
    "And of Italy? Rome. Thanks! You're welcome, ask me anything.",
    "The weather today is sunny with a light breeze from the west.",
]
CONVERSATIONS = {
    "system-multi-turn": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "  And of Italy?  "},
    ],
    "no-system": [
        {"role": "user", "content": "Hello!"},
        {"role": "assistant", "content": "Hi, ask me anything."},
        {"role": "user", "content": "What is the weather today?"},
    ],
}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city, in \u00b0C",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def _tokenizer_folder(folder, template):
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "</s>",
        "model_max_length": 256,
        "chat_template": template,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder, tokenizer.get_vocab_size()


@pytest.fixture(scope="module", params=sorted(TEMPLATES))
def tokenizers_pair(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"chat-{request.param}")
    _tokenizer_folder(folder, TEMPLATES[request.param])
    return (
        request.param,
        AutoTokenizer.from_pretrained(folder),
        transformers.AutoTokenizer.from_pretrained(folder),
    )


@pytest.mark.parametrize("generation_prompt", [True, False])
@pytest.mark.parametrize("conversation", sorted(CONVERSATIONS))
def test_rendering_matches_reference(tokenizers_pair, conversation, generation_prompt):
    _, ours, theirs = tokenizers_pair
    messages = CONVERSATIONS[conversation]
    options = dict(add_generation_prompt=generation_prompt)
    text = ours.apply_chat_template(messages, tokenize=False, **options)
    assert text == theirs.apply_chat_template(messages, tokenize=False, **options)
    assert ours.apply_chat_template(messages, **options) == theirs.apply_chat_template(
        messages, **options
    )


def test_tools_render_through_tojson(tokenizers_pair):
    name, ours, theirs = tokenizers_pair
    messages = CONVERSATIONS["system-multi-turn"]
    text = ours.apply_chat_template(messages, tools=TOOLS, tokenize=False)
    assert text == theirs.apply_chat_template(messages, tools=TOOLS, tokenize=False)
    if name == "chatml":
        assert '"name": "get_weather"' in text


def test_template_exceptions_surface_as_tokenizer_errors(tmp_path):
    folder, _ = _tokenizer_folder(tmp_path, MISTRAL)
    broken = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    with pytest.raises(jinja2.exceptions.TemplateError, match="alternate"):
        transformers.AutoTokenizer.from_pretrained(folder).apply_chat_template(broken)
    with pytest.raises(TokenizerError, match="alternate"):
        AutoTokenizer.from_pretrained(folder).apply_chat_template(broken)


@pytest.fixture(scope="module")
def tiny_llama_chat(tmp_path_factory):
    folder, vocab = _tokenizer_folder(tmp_path_factory.mktemp("llama-chat"), CHATML)
    eos = SPECIALS.index("<|im_end|>")
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=0,
        eos_token_id=eos,
        pad_token_id=1,
        initializer_range=0.3,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    return str(folder)


def test_text_generation_pipeline_takes_chat_messages(tiny_llama_chat):
    ours = pipeline("text-generation", model=tiny_llama_chat)
    theirs = transformers.pipeline(
        "text-generation", model=tiny_llama_chat, framework="pt", device="cpu"
    )
    greedy = {"do_sample": False, "max_new_tokens": 10}
    chat = CONVERSATIONS["system-multi-turn"]
    got = ours(chat, **greedy)
    assert got == theirs(chat, **greedy)
    assert got[0]["generated_text"][-1]["role"] == "assistant"
