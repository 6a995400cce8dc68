"""GPT-Neo against transformers on tiny random weights: every head, local windows, generation."""

import json
import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_gpt_neo import modeling_gpt_neo  # noqa: E402
from tfx_plugin_gpt_neo.configuration_gpt_neo import GPTNeoConfig  # noqa: E402

from tfx_core import AutoModelForCausalLM  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402

# the window (3) is shorter than the prompts, so local layers mask differently from global ones
TINY = dict(
    vocab_size=99,
    max_position_embeddings=64,
    hidden_size=32,
    num_layers=4,
    attention_types=[[["global", "local"], 2]],
    window_size=3,
    num_heads=4,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)
HEADS = [
    "GPTNeoModel",
    "GPTNeoForCausalLM",
    "GPTNeoForSequenceClassification",
    "GPTNeoForTokenClassification",
    "GPTNeoForQuestionAnswering",
]


def make_pair(head="GPTNeoForCausalLM", **overrides):
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = getattr(transformers, head)(transformers.GPTNeoConfig(**fields)).eval()
    ours = getattr(modeling_gpt_neo, head)(GPTNeoConfig(**fields)).eval()
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


@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, left_padded):
    ours, reference = make_pair(head)
    ids, mask = left_padded
    with torch.no_grad():
        got, want = ours(ids, attention_mask=mask), reference(ids, attention_mask=mask)
    real = mask.bool()  # padded rows attend to nothing: their values are arbitrary
    for key, expected in want.items():
        if not isinstance(expected, torch.Tensor):
            continue
        value = got[key]
        if expected.dim() >= 2 and expected.shape[:2] == mask.shape:
            value, expected = value[real], expected[real]
        assert (value - expected).abs().max() <= 1e-5, key


def test_local_layers_really_are_windowed(left_padded):
    """A model whose layers are all global differs: the window is not silently ignored."""
    ours, _ = make_pair()
    wide, _ = make_pair(attention_types=[[["global"], 4]])
    ids, _ = left_padded
    with torch.no_grad():
        assert (ours(ids).logits[:, -1] - wide(ids).logits[:, -1]).abs().max() > 1e-3


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


def test_decode_plan_and_static_cache(left_padded):
    ours, reference = make_pair()
    ids, mask = left_padded
    with torch.no_grad():
        ours._prepare_for_decoding()
    assert ours.__dict__["_decode_plan"] is not None
    kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0)
    want = reference.generate(ids, **kwargs)
    assert torch.equal(ours.generate(ids, cache_implementation="static", **kwargs), want)


def test_round_trips_both_ways(tmp_path, left_padded):
    ours, _ = make_pair()
    ours.save_pretrained(tmp_path / "ours")
    saved = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert saved["model_type"] == "gpt_neo" and saved["attention_layers"] == ["global", "local"] * 2
    theirs = transformers.GPTNeoForCausalLM.from_pretrained(tmp_path / "ours").eval()
    theirs.save_pretrained(tmp_path / "theirs")
    back = AutoModelForCausalLM.from_pretrained(tmp_path / "theirs")
    assert isinstance(back, modeling_gpt_neo.GPTNeoForCausalLM) and back.load_report.is_clean
    ids, _ = left_padded
    with torch.no_grad():
        want = theirs(ids).logits
        assert (ours(ids).logits - want).abs().max() <= 1e-5
        assert (back(ids).logits - want).abs().max() <= 1e-5


def test_config_aliases_and_errors():
    config = GPTNeoConfig(num_hidden_layers=2, num_attention_heads=2, hidden_size=8)
    assert (config.num_layers, config.num_heads) == (2, 2)
    assert config.attention_layers == ["global", "local"]
    reference = transformers.GPTNeoConfig(**TINY).to_dict()
    ours = GPTNeoConfig(**TINY).to_dict()
    for key in ("attention_types", "attention_layers", "window_size", "num_layers", "num_heads"):
        assert ours[key] == reference[key], key
    with pytest.raises(ConfigError, match="describe every layer"):
        GPTNeoConfig(num_layers=3, attention_types=[[["global", "local"], 1]])
    with pytest.raises(ConfigError, match="'global' or 'local'"):
        GPTNeoConfig(num_layers=2, attention_types=[[["global", "sparse"], 1]])
    with pytest.raises(ConfigError, match="pairs like"):
        GPTNeoConfig(num_layers=2, attention_types=[["global", 2]])
    with pytest.raises(ConfigError, match="window_size"):
        GPTNeoConfig(window_size=0)


def test_too_long_input_is_refused():
    ours, _ = make_pair()
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        ours(torch.ones(1, 65, dtype=torch.long))
