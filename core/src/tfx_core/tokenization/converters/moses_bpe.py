"""Moses + BPE tokenizers from `vocab.json` + `merges.txt` (XLM, FlauBERT).

The reference's tokenizers for these are Python-only. Each text is Moses-normalized and
Moses-tokenized with `sacremoses` (XLM: Unicode punctuation mapped to ASCII, punctuation
normalized, control characters dropped, then the Moses tokenizer of the language; FlauBERT: the
same for French, after NFC and optional lower-casing), optionally lower-cased with accents
removed, and each word is split by the ranked merges of `merges.txt`, the word's last piece
carrying `</w>` (`hello</w>`, `hel` + `lo</w>`). A piece outside `vocab.json` is `<unk>`.

The Moses steps move, merge and rewrite characters (`«away»...` -> `" away ... "`), so a
`tokenizers` pipeline cannot express them. The converter builds a `tokenizers.Tokenizer` whose
pre-tokenizer runs the reference's steps in Python, aligns each resulting word with the text it
came from (case- and accent-insensitively, `difflib` over the characters) and emits the BPE
pieces as slices of the original text rewritten to the pieces' spelling, followed by a
word-level lookup: ids come from the Rust pipeline exactly as the reference splits, and every
piece has offsets into the original text (the reference's Python tokenizer has none). Such a
pre-tokenizer cannot be written to `tokenizer.json`: `tfx_core.tokenization.moses.MosesBPETokenizer`
saves the legacy files, as the reference does.

Chinese, Japanese and Thai use extra segmenters in the reference (`rjieba`, `Mykytea`,
`pythainlp`); they run when installed, otherwise a `TokenizerError` names the package.
"""

from __future__ import annotations

import difflib
import importlib
import itertools
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, NormalizedString, PreTokenizedString, Tokenizer, processors
from tokenizers import decoders as rust_decoders
from tokenizers import pre_tokenizers as rust_pre_tokenizers
from tokenizers.models import WordLevel

from tfx_core.errors import TokenizerError

VOCAB_FILE = "vocab.json"
MERGES_FILE = "merges.txt"
END = "</w>"
DEFAULTS: dict[str, Any] = {
    "unk_token": "<unk>",
    "bos_token": "<s>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "cls_token": "</s>",
    "mask_token": "<special1>",
    "additional_special_tokens": [f"<special{i}>" for i in range(10)],
}
#: the order in which the reference adds special tokens missing from the vocabulary
ROLE_ORDER = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token")
#: language -> (module, pip package) of the reference's segmenters
SEGMENTERS = {
    "zh": ("rjieba", "rjieba"),
    "ja": ("Mykytea", "kytea"),
    "th": ("pythainlp", "pythainlp"),
}

#: Moses' replace-unicode-punctuation steps in order: (old, new) or (regex, new)
_UNICODE_PUNCT: list[tuple[str | re.Pattern[str], str]] = [
    ("，", ","), (re.compile(r"。\s*"), ". "), ("、", ","), ("”", '"'), ("“", '"'), ("∶", ":"),
    ("：", ":"), ("？", "?"), ("《", '"'), ("》", '"'), ("）", ")"), ("！", "!"), ("（", "("),
    ("；", ";"), ("１", "1"), ("」", '"'), ("「", '"'), ("０", "0"), ("３", "3"), ("２", "2"),
    ("５", "5"), ("６", "6"), ("９", "9"), ("７", "7"), ("８", "8"), ("４", "4"),
    (re.compile(r"．\s*"), ". "), ("～", "~"), ("’", "'"), ("…", "..."), ("━", "-"), ("〈", "<"),
    ("〉", ">"), ("【", "["), ("】", "]"), ("％", "%"),
]  # fmt: skip
_ROMANIAN = [
    ("\u015e", "\u0218"), ("\u015f", "\u0219"), ("\u0162", "\u021a"), ("\u0163", "\u021b"),
    ("\u0218", "S"), ("\u0219", "s"), ("\u021a", "T"), ("\u021b", "t"), ("\u0102", "A"),
    ("\u0103", "a"), ("\u00c2", "A"), ("\u00e2", "a"), ("\u00ce", "I"), ("\u00ee", "i"),
]  # fmt: skip


def replace_unicode_punct(text: str) -> str:
    """Moses' replace-unicode-punctuation step (full-width forms and CJK punctuation)."""
    for old, new in _UNICODE_PUNCT:
        text = old.sub(new, text) if isinstance(old, re.Pattern) else text.replace(old, new)
    return text


def remove_non_printing(text: str) -> str:
    return "".join(c for c in text if not unicodedata.category(c).startswith("C"))


def strip_accents_lower(words: list[str]) -> list[str]:
    """Lower-case, decompose and drop combining marks, as XLM's `lowercase_and_remove_accent`."""
    text = unicodedata.normalize("NFD", " ".join(words).lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return text.lower().split(" ")


@lru_cache(maxsize=65536)
def _fold(char: str) -> str:
    """What a character compares as when aligning words with the text (no case, no accents)."""
    text = unicodedata.normalize("NFD", char.lower())
    return "".join(c for c in text if unicodedata.category(c) != "Mn") or char


def _folded_chars(text: str, skip_spaces: bool) -> tuple[str, list[int]]:
    """`text` folded (see `_fold`) and, for each folded character, the index it came from."""
    chars: list[str] = []
    source: list[int] = []
    for index, char in enumerate(text):
        if skip_spaces and char.isspace():
            continue
        for piece in _fold(char):
            chars.append(piece)
            source.append(index)
    return "".join(chars), source


@lru_cache(maxsize=65536)
def _folded_word(word: str) -> str:
    return "".join(_fold(char) for char in word)


#: how far ahead (folded characters) a rewritten stretch may run before the next exact word
_RESYNC_WINDOW = 256
_RESYNC_WORDS = 16


def align(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Each word's `(start, end)` in `text`.

    Words are matched in order, case- and accent-insensitively, against the text without its
    spaces; where Moses rewrote or moved characters, the stretch up to the next word found
    verbatim is aligned character by character (`difflib`), so the cost stays linear.
    """
    folded, source = _folded_chars(text, skip_spaces=True)
    targets = [_folded_word(word) for word in words]
    spans: list[list[int]] = [[len(text), -1] for _ in words]

    def cover(number: int, start: int, end: int) -> None:
        span = spans[number]
        span[0], span[1] = min(span[0], start), max(span[1], end)

    def block(first: int, last: int, i: int, j: int) -> None:
        """Align words[first:last] with folded[i:j] character by character."""
        owner = [n for n in range(first, last) for _ in targets[n]]
        target = "".join(targets[first:last])
        matcher = difflib.SequenceMatcher(None, folded[i:j], target, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            i1, i2 = i1 + i, i2 + i
            if tag == "equal":
                for offset in range(i2 - i1):
                    at = source[i1 + offset]
                    cover(owner[j1 + offset], at, at + 1)
            elif tag == "replace":
                for n in range(j1, j2):
                    cover(owner[n], source[i1], source[i2 - 1] + 1)
            elif tag == "insert":
                at = source[i1] if i1 < len(source) else (source[-1] + 1 if source else 0)
                for n in range(j1, j2):
                    cover(owner[n], at, at)

    i = word = 0
    while word < len(words):
        target = targets[word]
        if target and folded.startswith(target, i):
            cover(word, source[i], source[i + len(target) - 1] + 1)
            i += len(target)
            word += 1
            continue
        following, j = len(words), len(folded)
        for candidate in range(word + 1, min(len(words), word + _RESYNC_WORDS)):
            found = (
                folded.find(targets[candidate], i, i + _RESYNC_WINDOW) if targets[candidate] else -1
            )
            if found >= 0:
                following, j = candidate, found
                break
        if following == len(words) and j - i > _RESYNC_WINDOW:
            j = i + _RESYNC_WINDOW  # nothing ahead matches: align with what is near
        block(word, following, i, j)
        i, word = j, following
    result: list[tuple[int, int]] = []
    previous = 0
    for start, end in spans:
        if end < 0:  # a word with no character aligned: empty, where the previous one ended
            start = end = previous
        result.append((start, end))
        previous = end
    return result


def _rewritten(text: NormalizedString, start: int, end: int, word: str) -> NormalizedString:
    """`text[start:end]` rewritten to `word`, each character aligned with one of the original's."""
    chunk = text[start:end] if end > start else text[start:start]
    if str(chunk) == word:
        return chunk
    chunk.filter(lambda c: not (c.isspace() or unicodedata.category(c).startswith("C")))
    have = len(str(chunk))
    keep = min(have, len(word))
    if keep:
        replacement = iter(word[:keep] + str(chunk)[keep:])
        chunk.map(lambda _: next(replacement))
        if have > keep:
            seen = itertools.count()
            chunk.filter(lambda _: next(seen) < keep)
    if len(word) > keep:
        chunk.append(word[keep:])
    return chunk


class MosesBPESplitter:
    """Pre-tokenizer: text -> Moses words -> BPE pieces (`hel`, `lo</w>`) with their offsets.

    `style` "xlm" (lower-case + accents per `lowercase`, language `lang`) or "flaubert" (NFC,
    `lowercase` lower-cases only, French). `lang` and `bypass` may be set per call by the
    tokenizer (`tokenizer(text, lang="de")`, `bypass_tokenizer=True`: whitespace words only).
    """

    def __init__(
        self, ranks: dict[tuple[str, str], int], *, style: str, lowercase: bool, lang: str
    ) -> None:
        import sacremoses  # a dependency of the plugins that use this converter

        self.sacremoses = sacremoses
        self.ranks = ranks
        self.style = style
        self.lowercase = lowercase
        self.lang = lang
        self.bypass = False
        self.decoder = MosesBPEDecoder(set())
        self._normalizers: dict[str, Any] = {}
        self._tokenizers: dict[str, Any] = {}
        self.pieces = lru_cache(maxsize=65536)(self._pieces)

    # ------------------------------------------------------------- the reference's steps
    def _moses_clean(self, text: str, lang: str) -> str:
        if lang not in self._normalizers:
            self._normalizers[lang] = self.sacremoses.MosesPunctNormalizer(lang=lang)
        text = self._normalizers[lang].normalize(replace_unicode_punct(text))
        return remove_non_printing(text)

    def _moses_words(self, text: str, lang: str) -> list[str]:
        if lang not in self._tokenizers:
            self._tokenizers[lang] = self.sacremoses.MosesTokenizer(lang=lang)
        return self._tokenizers[lang].tokenize(text, return_str=False, escape=False)

    def _segmenter(self, lang: str) -> Any:
        name, package = SEGMENTERS[lang]
        try:
            module = importlib.import_module("pythainlp.tokenize" if lang == "th" else name)
        except ImportError as exc:
            raise TokenizerError(
                f"Tokenizing lang={lang!r} needs the {name} package, as the reference does: "
                f"install it (pip install {package}), or pre-segment the text and pass "
                "bypass_tokenizer=True."
            ) from exc
        return module

    def words(self, text: str) -> list[str]:
        """The reference's word list for `text` (before BPE)."""
        lang = self.lang
        if self.style == "xlm" and self.lowercase:
            text = text.lower()  # the reference lower-cases before anything else too
        if self.bypass:
            return text.split()
        if self.style == "flaubert":
            text = text.replace("``", '"').replace("''", '"')
            text = unicodedata.normalize("NFC", text)
            if self.lowercase:
                text = text.lower()
            return self._moses_words(self._moses_clean(text, "fr"), "fr")
        if lang not in SEGMENTERS:
            text = self._moses_clean(text, lang)
            if lang == "ro":
                for source, target in _ROMANIAN:
                    text = text.replace(source, target)
            words = self._moses_words(text, lang)
        elif lang == "zh":
            cut = self._segmenter(lang).cut
            words = self._moses_clean(" ".join(cut(text)), lang).split()
        elif lang == "th":
            tokenize = self._segmenter(lang).word_tokenize
            words = tokenize(self._moses_clean(text, lang))
        else:
            import os

            model = os.path.expanduser("~/local/share/kytea/model.bin")
            segmenter = self._segmenter(lang).Mykytea(f"-model {model}")
            words = list(segmenter.getWS(self._moses_clean(text, lang)))
        return strip_accents_lower(words) if self.lowercase else words

    def _pieces(self, word: str) -> tuple[str, ...]:
        """BPE of one word by merge rank; the last piece ends in `</w>`."""
        symbols = [*word[:-1], word[-1] + END]
        ranks = self.ranks
        while len(symbols) > 1:
            best = min(itertools.pairwise(symbols), key=lambda p: ranks.get(p, float("inf")))
            if best not in ranks:
                break
            merged, i = [], 0
            while i < len(symbols):
                if i < len(symbols) - 1 and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return tuple(symbols)

    # ------------------------------------------------------------- tokenizers hooks
    def split(self, _: int, text: NormalizedString) -> list[NormalizedString]:
        content = str(text)
        words = [word for word in self.words(content) if word]
        out = []
        for word, (start, end) in zip(words, align(content, words)):
            chunk = _rewritten(text, start, end, word)
            position = 0
            for piece in self.pieces(word):
                size = len(piece) - (len(END) if piece.endswith(END) else 0)
                sub = chunk[position : position + size]
                if piece.endswith(END):
                    sub.append(END)
                out.append(sub)
                position += size
        return out

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(self.split)


class MosesBPEDecoder:
    """Pieces back to text as the reference: joined, `</w>` a space, stripped; tokens added
    beyond the vocabulary stand apart, joined to the rest with spaces."""

    def __init__(self, added: set[str]) -> None:
        self.added = added

    def decode_chain(self, tokens: list[str]) -> list[str]:
        parts: list[str] = []
        current: list[str] = []
        for token in tokens:
            if token in self.added:
                if current:
                    parts.append("".join(current).replace(END, " ").strip())
                    current = []
                parts.append(token)
            else:
                current.append(token)
        if current:
            parts.append("".join(current).replace(END, " ").strip())
        return [" ".join(parts)]


def read_vocab(path: Path) -> dict[str, int]:
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TokenizerError(f"Cannot read the vocabulary {path}: {exc}.") from exc
    if not isinstance(vocab, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in vocab.items()
    ):
        raise TokenizerError(f"{path} must map token strings to integer ids.")
    return vocab


def read_merges(path: Path) -> dict[tuple[str, str], int]:
    """Merge ranks from `a b` lines (the reference reads the first two fields of each line)."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenizerError(f"Cannot read the merges {path}: {exc}.") from exc
    ranks: dict[tuple[str, str], int] = {}
    for rank, line in enumerate(lines):
        parts = tuple(line.split()[:2])
        if len(parts) == 2:
            ranks[parts] = rank  # type: ignore[index]  # a repeated pair: the last rank
    return ranks


def attach_python_parts(tokenizer: Tokenizer, splitter: MosesBPESplitter) -> None:
    """Set the Python pre-tokenizer and decoder (`splitter.decoder`) on a backend."""
    tokenizer.pre_tokenizer = rust_pre_tokenizers.PreTokenizer.custom(splitter)
    tokenizer.decoder = rust_decoders.Decoder.custom(splitter.decoder)


#: splitters by id of the backend they were built for (picked up by `MosesBPETokenizer`)
SPLITTERS: dict[int, MosesBPESplitter] = {}


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def convert_moses_bpe(
    folder: Path, tokenizer_config: dict, *, style: str, lowercase_field: str, lang: str
) -> Tokenizer:
    """The reference's XLM / FlauBERT tokenizer from `vocab.json` + `merges.txt`."""
    for key, value in DEFAULTS.items():
        tokenizer_config.setdefault(key, value)
    folder = Path(folder)
    vocab = read_vocab(folder / VOCAB_FILE)
    ranks = read_merges(folder / MERGES_FILE)
    lowercase = tokenizer_config.get(lowercase_field, style == "xlm")
    if not isinstance(lowercase, bool):
        raise TokenizerError(f"tokenizer_config.json field {lowercase_field!r} must be a boolean.")
    try:
        splitter = MosesBPESplitter(ranks, style=style, lowercase=lowercase, lang=lang)
    except ImportError as exc:
        raise TokenizerError(
            "XLM and FlauBERT tokenizers need the sacremoses package (Moses tokenization): "
            "pip install sacremoses."
        ) from exc
    unk = _content(tokenizer_config["unk_token"])
    tokenizer = Tokenizer(WordLevel(vocab, unk_token=unk))
    roles = [_content(tokenizer_config[k]) for k in ROLE_ORDER if tokenizer_config.get(k)]
    roles.append(_content(tokenizer_config["mask_token"]))
    roles += [_content(t) for t in tokenizer_config.get("additional_special_tokens") or []]
    specials = list(dict.fromkeys(roles))
    tokenizer.add_special_tokens(
        [AddedToken(token, special=True, normalized=False) for token in specials]
    )
    added = {token for token in specials if token not in vocab}
    splitter.decoder = MosesBPEDecoder(added)
    attach_python_parts(tokenizer, splitter)
    bos, sep = (_content(tokenizer_config[k]) for k in ("bos_token", "sep_token"))
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0 {sep}:0",
        pair=f"{bos}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(t, tokenizer.token_to_id(t)) for t in dict.fromkeys((bos, sep))],
    )
    SPLITTERS[id(tokenizer)] = splitter
    return tokenizer


def convert_xlm(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """XLMTokenizer: `do_lowercase_and_remove_accent` (default true), Moses for English."""
    return convert_moses_bpe(
        folder,
        tokenizer_config,
        style="xlm",
        lowercase_field="do_lowercase_and_remove_accent",
        lang="en",
    )


def convert_flaubert(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """FlaubertTokenizer: `do_lowercase` (default false), Moses for French."""
    return convert_moses_bpe(
        folder, tokenizer_config, style="flaubert", lowercase_field="do_lowercase", lang="fr"
    )
