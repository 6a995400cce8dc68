"""`prune_heads` on the core BERT-style encoder against the reference."""

import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bert")

from tfx_core import AutoModelForSequenceClassification  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402
from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402

BERT = dict(vocab_size=50, hidden_size=24, num_hidden_layers=3, num_attention_heads=4)
BERT.update(intermediate_size=32, max_position_embeddings=32, pad_token_id=0, num_labels=3)
IDS = torch.tensor([[5, 8, 13, 2, 9, 11], [7, 3, 21, 4, 0, 0]])
MASK = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])
PRUNE = {0: [1, 3], 2: [0]}
MORE = {0: [3, 2], 1: [2]}  # head 3 of layer 0 again: a no-op, as in the reference


@pytest.fixture
def pair(tmp_path):
    config = transformers.BertConfig(**BERT, hidden_dropout_prob=0.0)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.BertForSequenceClassification(config).eval()
    reference.save_pretrained(tmp_path / "base")
    ours = AutoModelForSequenceClassification.from_pretrained(tmp_path / "base").eval()
    return ours, reference


def _logits(model):
    with torch.no_grad():
        return model(input_ids=IDS, attention_mask=MASK).logits


def test_pruned_logits_equal_reference_on_every_path(pair):
    ours, reference = pair
    _logits(ours)  # build the fused / lean plans first: pruning must invalidate them
    for heads in (PRUNE, MORE):
        ours.prune_heads(heads)
        reference.prune_heads(heads)
        expected = _logits(reference)
        assert (_logits(ours) - expected).abs().max() <= 1e-5
        with fast_paths(False):
            assert (_logits(ours) - expected).abs().max() <= 1e-5
    assert {k: sorted(v) for k, v in reference.config.pruned_heads.items()} == dict(
        ours.config.pruned_heads
    )
    assert ours.bert.encoder.layer[0].attention.self.num_attention_heads == 1
    assert ours.bert.encoder.layer[0].attention.self.query.weight.shape == (6, 24)


def test_pruned_model_round_trips_both_ways(pair, tmp_path):
    ours, reference = pair
    ours.prune_heads(PRUNE)
    ours.save_pretrained(tmp_path / "ours")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded_ref = transformers.BertForSequenceClassification.from_pretrained(tmp_path / "ours")
    assert (_logits(loaded_ref.eval()) - _logits(ours)).abs().max() <= 1e-5
    reference.prune_heads(MORE)
    reference.save_pretrained(tmp_path / "theirs")
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "theirs").eval()
    report = loaded.load_report
    assert not (report.missing or report.unexpected or report.mismatched)
    assert (_logits(loaded) - _logits(reference)).abs().max() <= 1e-5
    assert loaded.bert.encoder.layer[1].attention.self.num_attention_heads == 3


def test_pruning_trains(pair):
    ours, _ = pair
    ours.prune_heads(PRUNE)
    ours.train()
    loss = ours(input_ids=IDS, attention_mask=MASK, labels=torch.tensor([0, 2])).loss
    loss.backward()
    assert ours.bert.encoder.layer[0].attention.self.query.weight.grad.shape == (12, 24)


def test_bad_pruning_is_refused_and_changes_nothing(pair):
    ours, _ = pair
    before = _logits(ours)
    for bad, message in [
        ({0: [4]}, "heads 0..3"),
        ({7: [0]}, "layers 0..2"),
        ({0: [0], 1: [0, 1, 2, 3]}, "without attention heads"),
    ]:
        with pytest.raises(ConfigError, match=message):
            ours.prune_heads(bad)
    assert ours.config.pruned_heads == {}
    assert torch.equal(_logits(ours), before)
    gpt2 = pytest.importorskip("tfx_plugin_gpt2.modeling_gpt2")
    config = gpt2.GPT2Config(vocab_size=20, n_embd=8, n_layer=1, n_head=2, n_positions=8)
    with pytest.raises(ConfigError, match="core BERT-style encoder"):
        gpt2.GPT2LMHeadModel(config).prune_heads({0: [0]})
