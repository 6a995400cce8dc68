"""GPT-J against transformers on tiny random weights: every head, rotary widths, generation."""

import json
import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_gptj import modeling_gptj  # noqa: E402
from tfx_plugin_gptj.configuration_gptj import GPTJConfig  # noqa: E402

from tfx_core import AutoModelForCausalLM  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402

TINY = dict(
    vocab_size=99,
    n_positions=64,
    n_embd=32,
    n_layer=2,
    n_head=4,
    rotary_dim=4,  # of a head size of 8: half the channels rotate
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)
HEADS = [
    "GPTJModel",
    "GPTJForCausalLM",
    "GPTJForSequenceClassification",
    "GPTJForQuestionAnswering",
]


def make_pair(head="GPTJForCausalLM", **overrides):
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = getattr(transformers, head)(transformers.GPTJConfig(**fields)).eval()
    ours = getattr(modeling_gptj, head)(GPTJConfig(**fields)).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    return ours, reference


@pytest.fixture
def left_padded():
    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 99, (3, 9), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    mask[2, :8] = 0
    ids[mask == 0] = 0
    return ids, mask


def assert_close(got, want, mask):
    real = mask.bool()  # padded rows attend to nothing: their values are arbitrary
    for key, expected in want.items():
        if not isinstance(expected, torch.Tensor):
            continue
        value = got[key]
        if expected.dim() >= 2 and expected.shape[:2] == mask.shape:
            value, expected = value[real], expected[real]
        assert (value - expected).abs().max() <= 1e-5, key


@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, left_padded):
    ours, reference = make_pair(head)
    ids, mask = left_padded
    with torch.no_grad():
        assert_close(ours(ids, attention_mask=mask), reference(ids, attention_mask=mask), mask)


@pytest.mark.parametrize(
    "overrides",
    [{"rotary_dim": 8}, {"rotary_dim": 2, "tie_word_embeddings": True}, {"n_inner": 20}],
    ids=["full-rotary", "narrow-tied", "n_inner"],
)
def test_variants_match_reference(overrides, left_padded):
    ours, reference = make_pair(**overrides)
    ids, mask = left_padded
    with torch.no_grad():
        assert_close(ours(ids, attention_mask=mask), reference(ids, attention_mask=mask), mask)


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_generation_matches_reference(fast_paths, left_padded, monkeypatch):
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    ours, reference = make_pair()
    ids, mask = left_padded
    for options in (
        {},
        {"num_beams": 3},
        {"num_beams": 2, "num_return_sequences": 2, "length_penalty": 0.5},
        {"do_sample": True, "top_k": 20, "top_p": 0.9, "temperature": 0.8},
    ):
        kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0, **options)
        torch.manual_seed(7)
        want = reference.generate(ids, **kwargs)
        torch.manual_seed(7)
        got = ours.generate(ids, **kwargs)
        assert torch.equal(got, want), options


def test_decode_plan_with_biased_head_and_static_cache(left_padded):
    ours, reference = make_pair()
    ids, mask = left_padded
    with torch.no_grad():
        ours._prepare_for_decoding()
    assert ours.__dict__["_decode_plan"] is not None  # lm_head has a bias: the plan adds it
    kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0)
    want = reference.generate(ids, **kwargs)
    assert torch.equal(ours.generate(ids, cache_implementation="static", **kwargs), want)


def test_round_trips_both_ways(tmp_path, left_padded):
    ours, _ = make_pair()
    ours.save_pretrained(tmp_path / "ours")
    saved = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert saved["rotary_dim"] == 4 and saved["tie_word_embeddings"] is False
    theirs = transformers.GPTJForCausalLM.from_pretrained(tmp_path / "ours").eval()
    theirs.save_pretrained(tmp_path / "theirs")
    back = AutoModelForCausalLM.from_pretrained(tmp_path / "theirs")
    assert isinstance(back, modeling_gptj.GPTJForCausalLM) and back.load_report.is_clean
    ids, _ = left_padded
    with torch.no_grad():
        want = theirs(ids).logits
        assert (ours(ids).logits - want).abs().max() <= 1e-5
        assert (back(ids).logits - want).abs().max() <= 1e-5


def test_config_aliases_and_errors():
    config = GPTJConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=3, rotary_dim=8)
    assert (config.n_embd, config.n_head, config.n_layer) == (16, 2, 3)
    reference = transformers.GPTJConfig(**TINY).to_dict()
    ours = GPTJConfig(**TINY).to_dict()
    for key in ("n_embd", "n_head", "rotary_dim", "n_positions", "tie_word_embeddings"):
        assert ours[key] == reference[key], key
    with pytest.raises(ConfigError, match="rotary_dim"):
        GPTJConfig(n_embd=32, n_head=4, rotary_dim=16)
    with pytest.raises(ConfigError, match="rotary_dim"):
        GPTJConfig(n_embd=32, n_head=4, rotary_dim=3)
    with pytest.raises(ConfigError, match="divisible"):
        GPTJConfig(n_embd=30, n_head=4)


def test_too_long_input_is_refused():
    ours, _ = make_pair()
    with pytest.raises(ConfigError, match="n_positions"):
        ours(torch.ones(1, 65, dtype=torch.long))
