"""The reference's tokenizer API beyond encoding, checked against the reference on tiny files.

Named classes (`BertTokenizerFast`, ...) built from files and from folders, the id-level API
(`build_inputs_with_special_tokens`, `prepare_for_model`, `truncate_sequences`), config options
as attributes, `init_kwargs`, special-token setters, `save_pretrained(legacy_format=True)`,
`train_new_from_iterator` and `apply_chat_template(return_assistant_tokens_mask=True)`.
"""

from __future__ import annotations

import json
import warnings

import pytest

transformers = pytest.importorskip("transformers")

import tfx_core  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_core.plugins import reset_registry  # noqa: E402
from tfx_core.tokenization import Tokenizer  # noqa: E402

WORDS = [
    "hello",
    "world",
    "there",
    "general",
    "kenobi",
    "you",
    "are",
    "a",
    "bold",
    "one",
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
]
PIECES = ["##s", "##ing", "##ly", "##ed"]
TEXT_A, TEXT_B = "hello there you bold one", "general kenobi"


@pytest.fixture(autouse=True)
def _fresh_registry():
    reset_registry()
    yield
    reset_registry()


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "files" / "vocab.txt"
    path.parent.mkdir()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]", "[unused1]"]
    letters = list("abcdefghijklmnopqrstuvwxyz") + [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    path.write_text("\n".join(specials + WORDS + PIECES + letters) + "\n")
    return path


@pytest.fixture
def bert(vocab_file):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tfx_core.BertTokenizerFast(str(vocab_file)), transformers.BertTokenizerFast(
            str(vocab_file)
        )


def _ids(tokenizer, text):
    return tokenizer(text, add_special_tokens=False)["input_ids"]


# -------------------------------------------------------------------- classes
def test_named_classes_are_importable_and_built_from_files(bert, vocab_file):
    ours, ref = bert
    assert isinstance(ours, tfx_core.PreTrainedTokenizerFast)
    assert isinstance(ours, tfx_core.PreTrainedTokenizerBase)
    assert tfx_core.BertTokenizer is tfx_core.BertTokenizerFast
    assert type(ours).__name__ == "BertTokenizerFast" and repr(ours).startswith(
        "BertTokenizerFast("
    )
    assert ours(TEXT_A, TEXT_B).data == dict(ref(TEXT_A, TEXT_B))
    by_keyword = tfx_core.BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=False)
    assert by_keyword.do_lower_case is False
    with pytest.raises(TokenizerError, match="does not exist"):
        tfx_core.BertTokenizerFast(str(vocab_file) + ".missing")
    with pytest.raises(TokenizerError, match="Nothing to build the tokenizer from"):
        tfx_core.BertTokenizerFast()
    with pytest.raises(TokenizerError, match="Cannot tell how to read"):
        tfx_core.PreTrainedTokenizerFast(vocab_file=str(vocab_file))


def test_tokenizer_file_and_auto_class(bert, tmp_path):
    _, ref = bert
    ref.save_pretrained(tmp_path / "saved")
    loaded = tfx_core.PreTrainedTokenizerFast(tokenizer_file=str(tmp_path / "saved/tokenizer.json"))
    assert loaded(TEXT_A)["input_ids"] == ref(TEXT_A)["input_ids"]
    auto = tfx_core.AutoTokenizer.from_pretrained(tmp_path / "saved")
    assert type(auto).__name__ == type(ref).__name__ == "BertTokenizerFast"


def test_class_decides_the_behaviour(tmp_path):
    """`RobertaTokenizerFast.from_pretrained` on bare vocab.json + merges.txt is RoBERTa's."""
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models, pre_tokenizers, trainers

    backend = RustTokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator([TEXT_A, TEXT_B] * 20, trainer)
    backend.model.save(str(tmp_path))
    ours = tfx_core.RobertaTokenizerFast.from_pretrained(tmp_path)
    ref = transformers.RobertaTokenizerFast.from_pretrained(str(tmp_path))
    assert ours.pad_token == "<pad>" and ours.trim_offsets is True
    kwargs = dict(return_offsets_mapping=True)
    assert ours(TEXT_A, TEXT_B, **kwargs).data == dict(ref(TEXT_A, TEXT_B, **kwargs))
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "RobertaTokenizer"})
    )
    auto = tfx_core.AutoTokenizer.from_pretrained(tmp_path)
    assert type(auto).__name__ == "RobertaTokenizerFast"
    assert auto(TEXT_A)["input_ids"] == ref(TEXT_A)["input_ids"]


# ------------------------------------------------------------------ id-level API
def test_special_tokens_around_ids(bert):
    ours, ref = bert
    a, b = _ids(ref, TEXT_A), _ids(ref, TEXT_B)
    for args in ((a,), (a, b)):
        assert ours.build_inputs_with_special_tokens(*args) == ref.build_inputs_with_special_tokens(
            *args
        )
        assert ours.create_token_type_ids_from_sequences(
            *args
        ) == ref.create_token_type_ids_from_sequences(*args)
    full = ref(TEXT_A, TEXT_B)["input_ids"]
    assert ours.get_special_tokens_mask(full, already_has_special_tokens=True) == (
        ref.get_special_tokens_mask(full, already_has_special_tokens=True)
    )
    assert (
        ours.get_special_tokens_mask(a, b)
        == ref(TEXT_A, TEXT_B, return_special_tokens_mask=True)["special_tokens_mask"]
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"truncation": True, "max_length": 6},
        {
            "truncation": "only_second",
            "max_length": 9,
            "stride": 1,
            "return_overflowing_tokens": True,
        },
        {"truncation": "only_first", "max_length": 7, "return_overflowing_tokens": True},
        {"padding": "max_length", "max_length": 16, "return_length": True},
        {"add_special_tokens": False, "return_token_type_ids": False},
    ],
)
def test_prepare_for_model_matches_the_reference(bert, kwargs):
    ours, ref = bert
    a, b = _ids(ref, TEXT_A), _ids(ref, TEXT_B)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dict(ours.prepare_for_model(a, b, **kwargs)) == dict(
            ref.prepare_for_model(a, b, **kwargs)
        )
        assert dict(ours.prepare_for_model(a, **kwargs)) == dict(ref.prepare_for_model(a, **kwargs))
    ours.truncation_side = ref.truncation_side = "left"
    for strategy in ("longest_first", "only_first", "only_second"):
        assert ours.truncate_sequences(a, b, 2, strategy, stride=1) == ref.truncate_sequences(
            a, b, 2, strategy, stride=1
        )


def test_prepare_for_model_tensors_and_errors(bert):
    ours, ref = bert
    a = _ids(ref, TEXT_A)
    got = ours.prepare_for_model(a, return_tensors="np", prepend_batch_axis=True)
    want = ref.prepare_for_model(a, return_tensors="np", prepend_batch_axis=True)
    assert {k: v.tolist() for k, v in got.items()} == {k: v.tolist() for k, v in want.items()}
    with pytest.raises(TokenizerError, match="prepend_batch_axis"):
        ours.prepare_for_model(a, return_tensors="np")
    assert ours.truncate_sequences(a[:2], None, 3, "only_first") == (a[:2], None, [])
    with pytest.raises(TokenizerError, match="is not valid"):
        ours.truncate_sequences(a, None, 1, "sideways")


# --------------------------------------------------------------- attributes
def test_config_options_and_init_kwargs(bert):
    ours, ref = bert
    assert ours.do_lower_case is ref.do_lower_case is True
    assert ours.add_prefix_space is ref.add_prefix_space is False
    for name in ("strip_accents", "tokenize_chinese_chars"):
        assert getattr(ours, name) == ref.init_kwargs[name], name
    for key in ("do_lower_case", "unk_token", "clean_up_tokenization_spaces"):
        assert ours.init_kwargs[key] == ref.init_kwargs[key], key
    assert ours.SPECIAL_TOKENS_ATTRIBUTES == ref.SPECIAL_TOKENS_ATTRIBUTES
    assert ours.clean_up_tokenization("a , b .") == ref.clean_up_tokenization("a , b .")
    with pytest.raises(AttributeError):
        ours.no_such_option  # noqa: B018


def test_additional_special_tokens_setters(bert):
    ours, ref = bert
    for tok in (ours, ref):
        tok.additional_special_tokens_ids = [5, 6]
    assert (
        ours.additional_special_tokens
        == ref.additional_special_tokens
        == ["[unused0]", "[unused1]"]
    )
    assert ours.additional_special_tokens_ids == [5, 6]
    for tok in (ours, ref):
        tok.additional_special_tokens = None
    assert ours.additional_special_tokens == ref.additional_special_tokens
    assert ours.special_tokens_map == ref.special_tokens_map
    ours.add_special_tokens({"additional_special_tokens": ["[unused0]"]})
    assert ours.additional_special_tokens == ["[unused0]"]


# -------------------------------------------------------------------- saving
def test_save_legacy_format(bert, tmp_path):
    ours, _ = bert
    ours.add_tokens(["newword"])
    written = ours.save_pretrained(tmp_path / "legacy", legacy_format=True)
    names = sorted(p.rsplit("/", 1)[-1] for p in written)
    assert names == [
        "added_tokens.json",
        "special_tokens_map.json",
        "tokenizer_config.json",
        "vocab.txt",
    ]
    reloaded = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "legacy"))
    assert reloaded("hello newword")["input_ids"] == ours("hello newword")["input_ids"]
    assert (
        Tokenizer.from_pretrained(tmp_path / "legacy")("hello newword")["input_ids"]
        == ours("hello newword")["input_ids"]
    )
    plain = ours.save_pretrained(tmp_path / "plain", legacy_format=False)
    assert any(p.endswith("tokenizer.json") for p in plain)
    (tmp_path / "vocab").mkdir()
    assert ours.save_vocabulary(tmp_path / "vocab", "x")[0].endswith("x-vocab.txt")


def test_save_legacy_format_refuses_unigram(tmp_path):
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models

    tok = Tokenizer(RustTokenizer(models.Unigram([("<unk>", 0.0), ("a", -1.0)], 0)))
    with pytest.raises(TokenizerError, match="legacy_format=False"):
        tok.save_pretrained(tmp_path / "out", legacy_format=True)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ------------------------------------------------------------------ training
def test_train_new_from_iterator_matches_the_reference(bert):
    ours, ref = bert
    corpus = ["the quick brown fox jumps", "hello there general kenobi", "you are a bold one"] * 30
    # A vocabulary large enough to learn every word: trainers break ties between equally
    # frequent pairs arbitrarily, so the intermediate pieces differ from run to run (in the
    # reference too, even in size); the special tokens and the training text's tokens do not.
    new_ours = ours.train_new_from_iterator(corpus, 1000, new_special_tokens=["<extra>"])
    new_ref = ref.train_new_from_iterator(corpus, 1000, new_special_tokens=["<extra>"])
    assert new_ours.added_tokens_decoder == new_ref.added_tokens_decoder
    for text in corpus[:3]:
        got = new_ours.convert_ids_to_tokens(new_ours(text)["input_ids"])
        assert got == new_ref.convert_ids_to_tokens(new_ref(text)["input_ids"])
    assert type(new_ours) is type(ours) and new_ours.cls_token == "[CLS]"
    with pytest.raises(TokenizerError, match="vocab_size"):
        ours.train_new_from_iterator(corpus, 0)


# ---------------------------------------------------------------------- chat
TEMPLATE = (
    "{%- for m in messages %}{%- if m['role'] == 'assistant' %}\n assistant: {%- generation %}"
    "{{ m['content'] }}\n{%- endgeneration %}\n{%- else %}{{ m['role'] }}: {{ m['content'] }}\n"
    "{% endif %}{% endfor %}"
)
CONVERSATION = [
    {"role": "user", "content": "hello there"},
    {"role": "assistant", "content": "general kenobi"},
    {"role": "user", "content": "you are a bold one"},
    {"role": "assistant", "content": "the quick brown fox"},
]


@pytest.mark.parametrize(
    "kwargs", [{}, {"return_tensors": "np"}, {"truncation": True, "max_length": 24}]
)
def test_assistant_tokens_mask_matches_the_reference(bert, kwargs):
    ours, ref = bert
    options = dict(chat_template=TEMPLATE, return_dict=True, return_assistant_tokens_mask=True)
    got = ours.apply_chat_template(CONVERSATION, **options, **kwargs)
    want = ref.apply_chat_template(CONVERSATION, **options, **kwargs)
    plain = {k: v.tolist() if hasattr(v, "tolist") else v for k, v in want.items()}
    assert {k: v.tolist() if hasattr(v, "tolist") else v for k, v in got.items()} == plain
    masks = plain["assistant_masks"]
    assert 1 in (masks[0] if "return_tensors" in kwargs else masks)
    batch = ours.apply_chat_template([CONVERSATION, CONVERSATION[:2]], **options, padding=True)
    assert dict(batch) == dict(
        ref.apply_chat_template([CONVERSATION, CONVERSATION[:2]], **options, padding=True)
    )
    with pytest.raises(TokenizerError, match="return_dict=True"):
        ours.apply_chat_template(
            CONVERSATION, chat_template=TEMPLATE, return_assistant_tokens_mask=True
        )


def test_encode_message_with_chat_template(bert):
    ours, ref = bert
    options = dict(chat_template=TEMPLATE)
    for history in (None, CONVERSATION[:1], CONVERSATION[:3]):
        message = CONVERSATION[len(history or [])]
        assert ours.encode_message_with_chat_template(message, history, **options) == (
            ref.encode_message_with_chat_template(message, history, **options)
        )
    with pytest.raises(TokenizerError, match="add_generation_prompt"):
        ours.encode_message_with_chat_template(CONVERSATION[0], add_generation_prompt=True)


def test_padding_to_an_absurd_max_length_is_a_clear_error():
    """`padding="max_length", max_length=10**12` would build a 10^12-item row: refused early."""
    import pytest
    from tokenizers import Tokenizer, models, pre_tokenizers

    from tfx_core.errors import TokenizerError
    from tfx_core.tokenization import Tokenizer as TfxTokenizer

    backend = Tokenizer(models.WordLevel({"[PAD]": 0, "[UNK]": 1, "a": 2}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = TfxTokenizer(backend, pad_token="[PAD]")
    with pytest.raises(TokenizerError, match="at most"):
        tokenizer("a a", padding="max_length", max_length=10**12)
    assert len(tokenizer("a a", padding="max_length", max_length=8)["input_ids"]) == 8
