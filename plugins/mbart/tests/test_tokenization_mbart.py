"""mBART / mBART-50 tokenizers against the reference's fast classes on the same tiny model.

A BPE SentencePiece model is trained here (no file is shipped); the reference converts it with
its slow->fast converter, tfx with its own. Ids, special-token masks, offsets, decodes, the
language-code templates for `src_lang` / `tgt_lang` / `text_target`, `lang_code_to_id` and the
translation inputs must be identical, and saved folders load both ways.
"""

from __future__ import annotations

import json
import warnings

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from tfx_plugin_mbart.tokenization_mbart import (  # noqa: E402
    MBart50TokenizerFast,
    MBartTokenizerFast,
)

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS, train_sentencepiece  # noqa: E402

CASES = {
    "mbart": ("MBartTokenizerFast", "MBartTokenizer", MBartTokenizerFast, "ro_RO"),
    "mbart50": ("MBart50TokenizerFast", "MBart50Tokenizer", MBart50TokenizerFast, "uk_UA"),
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    model = train_sentencepiece(model_type="bpe")
    made = {}
    for case, (_, tokenizer_class, _, _) in CASES.items():
        folder = tmp_path_factory.mktemp(case)
        (folder / "sentencepiece.bpe.model").write_bytes(model)
        (folder / "tokenizer_config.json").write_text(
            json.dumps({"tokenizer_class": tokenizer_class})
        )
        made[case] = folder
    return made


def _reference(case, folder, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(transformers, CASES[case][0]).from_pretrained(str(folder), **kwargs)


@pytest.mark.parametrize("case", list(CASES))
def test_ids_offsets_and_decodes_match(folders, case):
    ours = AutoTokenizer.from_pretrained(folders[case])
    ref = _reference(case, folders[case])
    assert type(ours) is CASES[case][2]
    options = dict(return_offsets_mapping=True, return_special_tokens_mask=True)
    assert ours(CORPUS, **options).data == ref(CORPUS, **options).data
    assert ours(CORPUS[:6], padding=True).data == ref(CORPUS[:6], padding=True).data
    assert ours.special_tokens_map == ref.special_tokens_map
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    assert ours.lang_code_to_id == ref.lang_code_to_id
    for ids in ref(CORPUS)["input_ids"]:
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(
                ids, skip_special_tokens=skip
            )


@pytest.mark.parametrize("case", list(CASES))
def test_language_codes_follow_src_and_tgt_lang(folders, case):
    target = CASES[case][3]
    ours = AutoTokenizer.from_pretrained(folders[case], src_lang="de_DE", tgt_lang=target)
    ref = _reference(case, folders[case], src_lang="de_DE", tgt_lang=target)
    texts, targets = CORPUS[:4], CORPUS[4:8]
    assert ours(texts, text_target=targets).data == ref(texts, text_target=targets).data
    assert ours(text_target=targets).data == ref(text_target=targets).data
    assert ours(texts).data == ref(texts).data  # back in source mode afterwards
    ours.src_lang = ref.src_lang = "fr_XX"
    assert ours(texts, CORPUS[8:12]).data == ref(texts, CORPUS[8:12]).data
    built = ours._build_translation_inputs(
        texts, "pt", src_lang="en_XX", tgt_lang=target, padding=True
    )
    expected = ref._build_translation_inputs(
        texts, "pt", src_lang="en_XX", tgt_lang=target, padding=True
    )
    assert built["input_ids"].tolist() == expected["input_ids"].tolist()
    assert built["forced_bos_token_id"] == expected["forced_bos_token_id"]


@pytest.mark.parametrize("case", list(CASES))
def test_saved_folders_load_both_ways(folders, case, tmp_path):
    ours = AutoTokenizer.from_pretrained(folders[case], src_lang="ro_RO")
    ours.save_pretrained(tmp_path / "tfx")
    ref = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert type(ref).__name__ == CASES[case][0]
    assert ref(CORPUS)["input_ids"] == ours(CORPUS)["input_ids"]
    ref.save_pretrained(tmp_path / "ref")
    again = AutoTokenizer.from_pretrained(tmp_path / "ref")
    assert type(again) is CASES[case][2] and again.src_lang == "ro_RO"
    assert again(CORPUS)["input_ids"] == ref(CORPUS)["input_ids"]


def test_unknown_language_and_missing_target_are_typed_errors(folders):
    tokenizer = AutoTokenizer.from_pretrained(folders["mbart50"])
    with pytest.raises(TokenizerError, match="Unknown language code 'xx_YY'"):
        tokenizer.src_lang = "xx_YY"
    with pytest.raises(TokenizerError, match="tgt_lang"):
        tokenizer("hello", text_target="salut")
    with pytest.raises(TokenizerError, match="needs both src_lang and tgt_lang"):
        tokenizer._build_translation_inputs(["hello"], None, src_lang="en_XX", tgt_lang=None)
    assert tokenizer("hello")["input_ids"][0] == tokenizer.lang_code_to_id["en_XX"]
