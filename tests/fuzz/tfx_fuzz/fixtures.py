"""Tiny, valid checkpoint folders that the corpora then break: BERT (WordPiece) and GPT-2
(byte-level BPE), each with weights, config and tokenizer files, built once per process."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path

WORDS = [
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "is",
    "was",
    "it",
    "this",
    "that",
    "with",
    "for",
    "on",
    "as",
    "be",
    "by",
    "at",
    "from",
    "not",
    "are",
    "i",
    "you",
    "he",
    "she",
    "we",
    "they",
    "love",
    "hate",
    "good",
    "bad",
    "movie",
    "film",
    "great",
    "awful",
    "day",
    "night",
    "cat",
    "dog",
    "run",
    "runs",
    "running",
    "play",
    "played",
    "house",
    "tree",
    "water",
    "fire",
    "hello",
    "world",
    "model",
    "token",
    "text",
]

BERT_CONFIG = dict(
    vocab_size=0,  # set from the vocabulary
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=64,
    type_vocab_size=2,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
)

GPT2_CONFIG = dict(
    vocab_size=0,
    n_positions=64,
    n_embd=16,
    n_layer=2,
    n_head=2,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
)


#: Tiny BERT checkpoints per head: (class, labels).
BERT_HEADS = {
    "bert": ("BertForMaskedLM", None),
    "bert-nli": ("BertForSequenceClassification", ["entailment", "neutral", "contradiction"]),
    "bert-ner": ("BertForTokenClassification", ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]),
    "bert-qa": ("BertForQuestionAnswering", None),
}


def bert_vocab() -> list[str]:
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces = [f"##{c}" for c in letters] + ["##s", "##ing", "##ed"]
    punctuation = list(".,!?'-")
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *punctuation, *letters, *pieces, *WORDS]
    return list(dict.fromkeys(tokens))


def write_bert_tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = bert_vocab()
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    ids = {token: i for i, token in enumerate(vocab)}
    backend = Tokenizer(models.WordPiece(ids, unk_token="[UNK]", max_input_chars_per_word=100))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    backend.decoder = decoders.WordPiece(prefix="##")
    for token in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"):
        backend.add_special_tokens([token])
    backend.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "model_max_length": 64,
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "clean_up_tokenization_spaces": True,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


def write_gpt2_tokenizer(folder: Path) -> int:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator([" ".join(WORDS)] * 5, trainer=trainer)
    backend.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "model_max_length": 64,
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return backend.get_vocab_size()


@functools.cache
def _built(kind: str) -> Path:
    import torch

    root = Path(tempfile.mkdtemp(prefix=f"tfx-fuzz-{kind}-"))
    atexit.register(shutil.rmtree, root, True)
    torch.manual_seed(0)
    if kind.startswith("bert"):
        from tfx_plugin_bert import modeling_bert
        from tfx_plugin_bert.configuration_bert import BertConfig

        write_bert_tokenizer(root)
        head, labels = BERT_HEADS[kind]
        fields = {**BERT_CONFIG, "vocab_size": len(bert_vocab())}
        if labels:
            fields["id2label"] = dict(enumerate(labels))
        config = BertConfig(**fields)
        getattr(modeling_bert, head)(config).eval().save_pretrained(root)
    elif kind == "gpt2":
        from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config
        from tfx_plugin_gpt2.modeling_gpt2 import GPT2LMHeadModel

        vocab_size = write_gpt2_tokenizer(root)
        config = GPT2Config(
            **{**GPT2_CONFIG, "vocab_size": vocab_size, "bos_token_id": 0, "eos_token_id": 0}
        )
        GPT2LMHeadModel(config).eval().save_pretrained(root)
    else:
        raise ValueError(kind)
    return root


def copy_checkpoint(kind: str, dest: Path) -> Path:
    """A fresh copy of the tiny `kind` checkpoint ("bert" or "gpt2") in `dest`."""
    shutil.copytree(_built(kind), dest, dirs_exist_ok=True)
    return dest


@functools.cache
def loaded(kind: str, what: str):
    """The tiny checkpoint loaded once per process: what = "model" | "tokenizer"."""
    from tfx_core import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    folder = _built(kind)
    if what == "tokenizer":
        return AutoTokenizer.from_pretrained(folder)
    auto = AutoModelForMaskedLM if kind == "bert" else AutoModelForCausalLM
    return auto.from_pretrained(folder)


def built_folder(kind: str) -> Path:
    return _built(kind)
