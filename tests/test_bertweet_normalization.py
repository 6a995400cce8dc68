"""BERTweet's tweet normalization (`normalization=True`) against the reference's
`BertweetTokenizer(normalization=True)` on a tweet corpus (mentions, URLs, emoji, contractions,
HTML entities, phone numbers, emoticons, lengthened punctuation, accents, CJK): identical ids,
tokens, special-token masks and decodes for single texts, pairs and padded batches; offsets
point into the original tweet; the setting survives saving in either library; without the
`emoji` package both leave emoji as they are."""

import sys

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("regex")

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.tokenization.converters.tweet_normalization import TweetNormalizer  # noqa: E402
from tfx_sdk.conformance.tiny_tokenizers import write_fastbpe  # noqa: E402

TWEETS = [
    "@remy: This is waaaaayyyy too much for you!!!!!! https://t.co/abc123 #blessed 😂😂",
    "I can't believe it's 5 p.m. already… don't you think? I'm sure they'll've gone",
    "Call me at +1 (555) 123-4567 or 555.123.4567 &amp; email me@example.com :-) <3 :P",
    "SC has first two presumptive cases https://postandcourier.com/health/sc-has/article_bdd"
    ".html?utm_medium=social&utm_source=twitter… via @postandcourier",
    "ca n't stop, ai n't nobody cannot do it!!! ’til www.Example.org/page?x=1 ok",
    "Héllo wörld naïve café e\u0301 ❤️ 👍🏽 👨‍👩‍👧 日本語のツイート #日本 @ユーザー",
    "&#8217;quoted&#x2019; &hellip; &bogus; &#150; &#129; &#xZZ; &#99999999999; <b>b</b> --> <--",
    "12,000 people 3.14 -5 +7 1/2 10:30am 9:00 a . m . and 10 p . m . ok ... . . .",
    "tabs\tand\nnew lines  multiple   spaces  ",
    "!!!!????....",
    "a",
    "@",
    "HTTP://EXAMPLE.COM/x Www.foo.bar",
    "hello <mask> world </s> x @user",
    "",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bertweet")
    normalized = [transformers_normalize(text) for text in TWEETS]
    write_fastbpe(folder, (TWEETS + normalized) * 3, tokenizer_class="BertweetTokenizer")
    return folder


def transformers_normalize(text: str) -> str:
    from transformers.models.bertweet.tokenization_bertweet import BertweetTokenizer

    return BertweetTokenizer.normalizeTweet(_Normalizing(), text)


class _Normalizing:
    """The reference's normalizeTweet needs only these attributes."""

    def __init__(self):
        from emoji import demojize
        from transformers.models.bertweet.tokenization_bertweet import (
            BertweetTokenizer,
            TweetTokenizer,
        )

        self.tweetPreprocessor = TweetTokenizer()
        self.special_puncts = {"’": "'", "…": "..."}
        self.demojizer = demojize
        self.normalizeToken = BertweetTokenizer.normalizeToken.__get__(self)


def _same(ours, theirs, texts):
    options = {"return_special_tokens_mask": True}
    for text in texts:
        a, b = ours(text, **options), theirs(text, **options)
        assert dict(a) == dict(b), text
        assert ours.convert_ids_to_tokens(a["input_ids"]) == theirs.convert_ids_to_tokens(
            b["input_ids"]
        ), text
        assert ours.decode(a["input_ids"]) == theirs.decode(b["input_ids"]), text
    nonempty = [text for text in texts if text.strip()]
    for first, second in zip(nonempty, nonempty[::-1]):
        assert dict(ours(first, second)) == dict(theirs(first, second)), (first, second)
    batch = {"padding": True, "truncation": True, "max_length": 24}
    assert dict(ours(list(texts), **batch)) == dict(theirs(list(texts), **batch))


def test_normalized_ids_match_the_reference(folder):
    pytest.importorskip("emoji")
    ours = AutoTokenizer.from_pretrained(folder, normalization=True)
    theirs = transformers.AutoTokenizer.from_pretrained(folder, normalization=True)
    assert type(theirs).__name__ == "BertweetTokenizer" and theirs.normalization
    _same(ours, theirs, TWEETS)
    # the normalization itself, word for word
    normalizer = TweetNormalizer()
    for text in TWEETS:
        words = [word for word, _ in normalizer.normalize(text).words()]
        assert " ".join(words) == theirs.normalizeTweet(text), text
    # and it changes what the unnormalized tokenizer sees
    plain = AutoTokenizer.from_pretrained(folder)
    assert plain(TWEETS[0])["input_ids"] != ours(TWEETS[0])["input_ids"]


def test_offsets_point_into_the_original_tweet(folder):
    pytest.importorskip("emoji")
    ours = AutoTokenizer.from_pretrained(folder, normalization=True)
    text = "@remy I don't like https://t.co/x 😂 ok"
    encoded = ours(text, return_offsets_mapping=True, add_special_tokens=False)
    tokens = ours.convert_ids_to_tokens(encoded["input_ids"])
    assert encoded["offset_mapping"][0] == (0, 5)  # "@USER" comes from "@remy"
    for token, (start, end) in zip(tokens, encoded["offset_mapping"]):
        assert 0 <= start < end <= len(text)
        piece = token.removesuffix("@@")
        if piece in ("do", "n't", "like", "ok"):  # words the normalization kept or split
            assert text[start:end] == piece, (token, text[start:end])
    url = text.index("https")
    assert (url, url + len("https://t.co/x")) in encoded["offset_mapping"]  # HTTPURL
    emoji_start = text.index("😂")
    assert any(start == emoji_start for start, _ in encoded["offset_mapping"])


def test_the_setting_survives_saving_in_either_library(folder, tmp_path):
    pytest.importorskip("emoji")
    ours = AutoTokenizer.from_pretrained(folder, normalization=True)
    ours.save_pretrained(tmp_path / "ours")
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path / "ours")
    assert theirs.normalization
    _same(ours, theirs, TWEETS[:6])
    theirs.save_pretrained(tmp_path / "theirs")
    _same(AutoTokenizer.from_pretrained(tmp_path / "theirs"), theirs, TWEETS[:6])


def test_without_emoji_both_keep_emoji(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "emoji", None)  # `from emoji import ...` fails
    ours = AutoTokenizer.from_pretrained(folder, normalization=True)
    theirs = transformers.AutoTokenizer.from_pretrained(folder, normalization=True)
    assert theirs.demojizer is None
    texts = [TWEETS[0], TWEETS[5], "ok 😂"]
    _same(ours, theirs, texts)
    assert ":face_with_tears_of_joy:" not in ours.decode(ours("ok 😂")["input_ids"])
