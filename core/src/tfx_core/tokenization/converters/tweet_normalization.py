"""BERTweet's tweet normalization (`BertweetTokenizer(normalization=True)`), with offsets.

The reference rewrites a tweet before its fastBPE split: `’` and `…` become `'` and `...`;
HTML entities are decoded; runs of four or more of one non-alphanumeric character are cut to
three; the text is split by the Twitter-aware tokenizer of NLTK's `casual` module (URLs, phone
numbers, emoticons, HTML tags, arrows, @handles, #hashtags, e-mail addresses, words, numbers,
ellipses, any other character); each token is normalized (`@...` -> `@USER`, `http...` /
`www...` -> `HTTPURL`, a one-character token through `emoji.demojize` when the `emoji` package
is installed); the tokens are joined with spaces, contractions are split as in the
pre-training data (`do n't`, `I 'm`, `p.m.`) and runs of whitespace become one space.

tfx applies the same rules (same patterns, the `regex` engine and flags the reference uses)
to an `AlignedText`, a string whose every character remembers the span of the original text it
came from, so each word of the normalized tweet keeps its offsets in the user's text.
"""

from __future__ import annotations

import html.entities
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tfx_core.errors import TokenizerError

logger = logging.getLogger(__name__)

Span = tuple[int, int] | None

# The Twitter-aware token patterns, tried in this order (the first that matches at a position
# wins); matched case-insensitively, as the reference does.
_URL = (
    r"(?:https?:(?:/{1,3}|[a-z0-9%])|[a-z0-9.\-]+[.](?:[a-z]{2,13})/)"
    r"(?:[^\s()<>{}\[\]]+|\([^\s()]*?\([^\s()]+\)[^\s()]*?\)|\([^\s]+?\))+"
    r"(?:\([^\s()]*?\([^\s()]+\)[^\s()]*?\)|\([^\s]+?\)|[^\s`!()\[\]{};:'\".,<>?«»“”‘’])"
    r"|(?:(?<!@)[a-z0-9]+(?:[.\-][a-z0-9]+)*[.](?:[a-z]{2,13})\b/?(?!@))"
)
_PHONE = r"(?:(?:\+?[01][ *\-.\)]*)?(?:[\(]?\d{3}[ *\-.\)]*)?\d{3}[ *\-.\)]*\d{4})"
_MOUTH = r"[\)\]\(\[dDpP/\:\}\{@\|\\]"
_EMOTICON = rf"(?:[<>]?[:;=8][\-o\*\']?{_MOUTH}|{_MOUTH}[\-o\*\']?[:;=8][<>]?|<3)"
_TOKEN_PATTERNS = (
    _URL,
    _PHONE,
    _EMOTICON,
    r"<[^>\s]+>",  # HTML tags
    r"[\-]+>|<[\-]+",  # ASCII arrows
    r"(?:@[\w_]+)",  # @handles
    r"(?:\#+[\w_]+[\w\'_\-]*[\w_]+)",  # hashtags
    r"[\w.+-]+@[\w-]+\.(?:[\w-]\.?)+[\w-]",  # e-mail addresses
    r"(?:[^\W\d_](?:[^\W\d_]|['\-_])+[^\W\d_])",  # words with apostrophes or dashes
    r"(?:[+\-]?\d+[,/.:-]\d+[+\-]?)",  # numbers, fractions, decimals
    r"(?:[\w_]+)",  # other words
    r"(?:\.(?:\s*\.){1,})",  # ellipses
    r"(?:\S)",  # any other character
)
_ENTITY = r"&(#?(x?))([^&;\s]+);"
_HANG = r"([^a-zA-Z0-9])\1{3,}"

_PUNCTUATION = {"’": "'", "…": "..."}
#: replacements on the joined tokens, in order (plain substring replacement)
_CONTRACTIONS = (
    ("cannot ", "can not "),
    ("n't ", " n't "),
    ("n 't ", " n't "),
    ("ca n't", "can't"),
    ("ai n't", "ain't"),
    ("'m ", " 'm "),
    ("'re ", " 're "),
    ("'s ", " 's "),
    ("'ll ", " 'll "),
    ("'d ", " 'd "),
    ("'ve ", " 've "),
    (" p . m .", "  p.m."),
    (" p . m ", " p.m "),
    (" a . m .", " a.m."),
    (" a . m ", " a.m "),
)
_WORDS = re.compile(r"\S+")


def union_span(spans: Iterable[Span]) -> Span:
    """The smallest span covering the known spans (None when none is known)."""
    known = [span for span in spans if span is not None]
    if not known:
        return None
    return min(start for start, _ in known), max(end for _, end in known)


def _align(old: str, spans: Sequence[Span], new: str) -> list[Span]:
    """Spans for `new` replacing `old`: character by character when both hold the same
    non-space characters (spaces moved around), else every character spans all of `old`."""
    if old == new:
        return list(spans)
    kept = [span for char, span in zip(old, spans) if not char.isspace()]
    if "".join(old.split()) == "".join(new.split()):
        source = iter(kept)
        return [None if char.isspace() else next(source) for char in new]
    whole = union_span(spans)
    return [whole] * len(new)


class AlignedText:
    """A string and, per character, the `(start, end)` span of the original it came from
    (None for characters that came from nowhere, e.g. the spaces that join tokens)."""

    __slots__ = ("spans", "text")

    def __init__(self, text: str, spans: list[Span]) -> None:
        self.text = text
        self.spans = spans

    @classmethod
    def of(cls, text: str) -> AlignedText:
        return cls(text, [(i, i + 1) for i in range(len(text))])

    @classmethod
    def join(cls, separator: str, parts: Iterable[AlignedText]) -> AlignedText:
        texts: list[str] = []
        spans: list[Span] = []
        for number, part in enumerate(parts):
            if number:
                texts.append(separator)
                spans.extend([None] * len(separator))
            texts.append(part.text)
            spans.extend(part.spans)
        return cls("".join(texts), spans)

    def slice(self, start: int, end: int) -> AlignedText:
        return AlignedText(self.text[start:end], self.spans[start:end])

    def rewritten(self, new: str) -> AlignedText:
        """This text replaced as a whole by `new` (spans aligned by `_align`)."""
        return AlignedText(new, _align(self.text, self.spans, new))

    def edit(self, edits: Iterable[tuple[int, int, str]]) -> AlignedText:
        """Each `(start, end, new)` (ascending, disjoint ranges) replaced by its new text."""
        texts: list[str] = []
        spans: list[Span] = []
        last = 0
        for start, end, new in edits:
            texts.append(self.text[last:start])
            spans.extend(self.spans[last:start])
            texts.append(new)
            spans.extend(_align(self.text[start:end], self.spans[start:end], new))
            last = end
        texts.append(self.text[last:])
        spans.extend(self.spans[last:])
        return AlignedText("".join(texts), spans)

    def sub(self, pattern: Any, replacement: Callable[[Any], str]) -> AlignedText:
        """`pattern.sub(replacement, text)` with the spans carried along."""
        return self.edit((m.start(), m.end(), replacement(m)) for m in pattern.finditer(self.text))

    def replace(self, old: str, new: str) -> AlignedText:
        """`str.replace(old, new)` with the spans carried along."""
        edits = []
        at = self.text.find(old)
        while at != -1:
            edits.append((at, at + len(old), new))
            at = self.text.find(old, at + len(old))
        return self.edit(edits) if edits else self

    def words(self) -> list[tuple[str, list[Span]]]:
        """The whitespace-separated words, each with its characters' spans."""
        return [(m.group(), self.spans[m.start() : m.end()]) for m in _WORDS.finditer(self.text)]


def _entity_text(match: Any) -> str:
    """An HTML entity's character, or "" when it names none (as the reference decodes)."""
    body = match.group(3)
    number: int | None
    if match.group(1):
        try:
            number = int(body, 16 if match.group(2) else 10)
            if 0x80 <= number <= 0x9F:  # Windows-1252 code points, as browsers read them
                return bytes((number,)).decode("cp1252")
        except ValueError:  # (a UnicodeDecodeError is one)
            number = None
    else:
        number = html.entities.name2codepoint.get(body)
    if number is not None:
        try:
            return chr(number)
        except (ValueError, OverflowError):
            pass
    return ""


class TweetNormalizer:
    """`normalize(text) -> AlignedText`: the reference's `normalizeTweet`, keeping offsets.

    Needs the `regex` package (the reference's pattern engine; `pip install
    "tfx-core[tweets]"`); `emoji` is used when installed, as by the reference.
    """

    def __init__(self) -> None:
        try:
            import regex
        except ImportError as exc:
            raise TokenizerError(
                "BERTweet's tweet normalization (normalization=True) needs the 'regex' package: "
                'pip install "tfx-core[tweets]" (installs regex and emoji).'
            ) from exc
        try:
            from emoji import demojize
        except ImportError:
            logger.warning(
                "emoji is not installed, so BERTweet's normalization leaves emoji as they are "
                "(as the reference does); pip install emoji to turn them into text."
            )
            demojize = None
        self.demojize: Callable[[str], str] | None = demojize
        flags = regex.IGNORECASE | regex.UNICODE
        self.tokens = regex.compile("(" + "|".join(_TOKEN_PATTERNS) + ")", flags)
        self.entities = regex.compile(_ENTITY)
        self.hang = regex.compile(_HANG)

    def token(self, token: str) -> str:
        """One tweet token as the pre-training data wrote it."""
        if token.startswith("@"):
            return "@USER"
        lowered = token.lower()
        if lowered.startswith("http") or lowered.startswith("www"):
            return "HTTPURL"
        if len(token) == 1:
            if token in _PUNCTUATION:
                return _PUNCTUATION[token]
            if self.demojize is not None:
                return self.demojize(token)
        return token

    def normalize(self, text: str) -> AlignedText:
        aligned = AlignedText.of(text)
        for old, new in _PUNCTUATION.items():
            aligned = aligned.replace(old, new)
        aligned = aligned.sub(self.entities, _entity_text)
        aligned = aligned.sub(self.hang, lambda m: m.group(1) * 3)
        tokens = []
        for match in self.tokens.finditer(aligned.text):
            piece = aligned.slice(match.start(), match.end())
            tokens.append(piece.rewritten(self.token(piece.text)))
        joined = AlignedText.join(" ", tokens)
        for old, new in _CONTRACTIONS:
            joined = joined.replace(old, new)
        return joined
