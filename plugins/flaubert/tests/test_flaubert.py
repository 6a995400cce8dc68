"""FlauBERT against the reference beyond the kit: the pre-norm layout with languages and token
types, LayerDrop while training, and the French Moses + BPE tokenizer on a mixed corpus."""

from __future__ import annotations

import pytest
import torch
from tfx_plugin_flaubert import modeling_flaubert

from tfx_core import AutoTokenizer
from tfx_core.errors import TokenizerError
from tfx_sdk.conformance.parity import perturb
from tfx_sdk.conformance.tiny_moses_bpe import write_moses_bpe

transformers = pytest.importorskip("transformers")

TINY = {
    "vocab_size": 99,
    "emb_dim": 32,
    "n_layers": 3,
    "n_heads": 4,
    "n_langs": 2,
    "max_position_embeddings": 64,
    "num_labels": 3,
}
CORPUS = [
    "Ça coûte 12,50 € ! « Vraiment » ? Oui... c'était très élevé.",
    "L'homme qu'il aime arrive à l'école -- ``citation'' et 3,5 km.",
    "Über Bäcker naïve 東京 😀 anticonstitutionnellement",
    "<special1> masqué <s> x",
    "",
]


def _inputs() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(5, 99, (2, 7), generator=generator)
    attention_mask = torch.ones(2, 7, dtype=torch.long)
    attention_mask[1, -2:] = 0
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "langs": torch.randint(0, 2, (2, 7), generator=generator),
        "token_type_ids": torch.randint(0, 2, (2, 7), generator=generator),
    }


@pytest.mark.parametrize("name", ["FlaubertModel", "FlaubertForSequenceClassification"])
def test_pre_norm_with_languages_and_token_types(tmp_path, name):
    """Both ways through files; hidden states only, since the reference cannot return
    attentions from pre-norm layers (it raises)."""
    config = transformers.FlaubertConfig(**TINY, pre_norm=True, causal=True)
    theirs = getattr(transformers, name)(config).eval()
    perturb(theirs)
    theirs.save_pretrained(tmp_path / "reference")
    ours = getattr(modeling_flaubert, name).from_pretrained(tmp_path / "reference", strict=True)
    ours.eval().save_pretrained(tmp_path / "tfx")
    back = getattr(transformers, name).from_pretrained(tmp_path / "tfx").eval()
    inputs = _inputs()
    with torch.no_grad():
        expected = theirs(**inputs, output_hidden_states=True)
        for model in (ours, back):
            got = model(**inputs, output_hidden_states=True)
            assert (got[0] - expected[0]).abs().max() <= 1e-5
            for a, b in zip(got.hidden_states, expected.hidden_states, strict=True):
                assert (a - b).abs().max() <= 1e-5


@pytest.mark.parametrize("layerdrop", [0.0, 1.0])
def test_layerdrop_while_training(tmp_path, layerdrop):
    config = transformers.FlaubertConfig(**TINY, layerdrop=layerdrop, dropout=0.0)
    config.attention_dropout = 0.0
    theirs = transformers.FlaubertModel(config)
    perturb(theirs)
    theirs.save_pretrained(tmp_path)
    ours = modeling_flaubert.FlaubertModel.from_pretrained(tmp_path).train()
    theirs.train()
    inputs = _inputs()
    expected = theirs(**inputs, output_hidden_states=True)
    got = ours(**inputs, output_hidden_states=True)
    assert len(got.hidden_states) == len(expected.hidden_states)
    assert (got.last_hidden_state - expected.last_hidden_state).abs().max() <= 1e-5


@pytest.fixture(scope="module", params=[False, True], ids=["cased", "lowercase"])
def tokenizers(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("flaubert")
    write_moses_bpe(folder, style="flaubert", lowercase=request.param)
    theirs = transformers.FlaubertTokenizer.from_pretrained(str(folder))
    return AutoTokenizer.from_pretrained(folder), theirs, folder


def test_tokenizer_matches_the_reference(tokenizers, tmp_path):
    ours, theirs, _ = tokenizers
    assert type(ours).__name__ == "FlaubertTokenizer"
    for text in CORPUS:
        expected = theirs(text)["input_ids"]
        assert ours(text)["input_ids"] == expected, text
        assert ours.convert_ids_to_tokens(expected) == theirs.convert_ids_to_tokens(expected)
        assert ours.decode(expected) == theirs.decode(expected)
    assert dict(ours(CORPUS[0], CORPUS[1])) == dict(theirs(CORPUS[0], CORPUS[1]))
    text = CORPUS[1]
    encoding = ours(text, return_offsets_mapping=True, add_special_tokens=False)
    assert all(0 <= s <= e <= len(text) for s, e in encoding["offset_mapping"])
    homme = encoding.tokens().index("homme</w>")
    start, end = encoding["offset_mapping"][homme]
    assert text[start:end] == "homme"
    ours.save_pretrained(tmp_path / "tfx")
    back = transformers.FlaubertTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert back(CORPUS[0])["input_ids"] == theirs(CORPUS[0])["input_ids"]


def test_tokenizer_keywords(tokenizers):
    ours, theirs, _ = tokenizers
    text = "L'homme  qu'il aime"
    expected = theirs.convert_tokens_to_ids(theirs._tokenize(text, bypass_tokenizer=True))
    assert ours(text, bypass_tokenizer=True, add_special_tokens=False)["input_ids"] == expected
    with pytest.raises(TokenizerError, match="French only"):
        ours(text, lang="en")


def test_generate_matches_the_reference(tmp_path):
    config = transformers.FlaubertConfig(**TINY, causal=True, pre_norm=True, mask_token_id=5)
    theirs = transformers.FlaubertWithLMHeadModel(config).eval()
    perturb(theirs)
    theirs.save_pretrained(tmp_path)
    ours = modeling_flaubert.FlaubertWithLMHeadModel.from_pretrained(tmp_path)
    prompt = _inputs()["input_ids"][:, :4]
    for options in ({}, {"num_beams": 3}):
        kwargs = {"max_new_tokens": 5, "do_sample": False, "pad_token_id": 2, **options}
        assert torch.equal(ours.generate(prompt, **kwargs), theirs.generate(prompt, **kwargs))
