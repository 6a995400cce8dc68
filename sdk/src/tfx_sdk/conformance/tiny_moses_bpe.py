"""Tiny XLM / FlauBERT tokenizer files (`vocab.json` + `merges.txt`), merges learned on a small
mixed corpus (English, French, German accents, punctuation, numbers).

The corpus is split into words with Moses (`sacremoses`) as the tokenizers do, then a
`tokenizers` BPE trainer learns merges that mark word ends with `</w>`; the special tokens take
ids 0-13 as in the released vocabularies.
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = [
    "Hello, world! The quick brown fox jumps over the lazy dog.",
    "Paris est la capitale de la France ; l'homme qu'il aime arrive à l'école.",
    "Über den Wolken muss die Freiheit wohl grenzenlos sein, sagt der Bäcker.",
    "It's 3.5 km away -- don't worry: 1,000.50 $ or 20 % (maybe).",
    "Ça coûte 12,50 € ! « Vraiment » ? Oui... c'était très élevé.",
]
SPECIALS = ["<s>", "</s>", "<pad>", "<unk>"] + [f"<special{i}>" for i in range(10)]


def write_moses_bpe(
    folder: str | Path, *, style: str = "xlm", lowercase: bool = True, vocab_size: int = 260
) -> Path:
    """vocab.json + merges.txt + tokenizer_config.json for `style` "xlm" or "flaubert"."""
    import sacremoses
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lang = "fr" if style == "flaubert" else "en"
    moses = sacremoses.MosesTokenizer(lang=lang)
    lines = [" ".join(moses.tokenize(t.lower() if lowercase else t, escape=False)) for t in CORPUS]
    bpe = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
    bpe.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, end_of_word_suffix="</w>", min_frequency=1
    )
    bpe.train_from_iterator(lines, trainer)
    model = json.loads(bpe.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    (folder / "vocab.json").write_text(json.dumps(model["vocab"], ensure_ascii=False), "utf-8")
    (folder / "merges.txt").write_text("".join(f"{m}\n" for m in merges), "utf-8")
    config: dict = {"tokenizer_class": "XLMTokenizer" if style == "xlm" else "FlaubertTokenizer"}
    config["do_lowercase_and_remove_accent" if style == "xlm" else "do_lowercase"] = lowercase
    (folder / "tokenizer_config.json").write_text(json.dumps(config), "utf-8")
    return folder
