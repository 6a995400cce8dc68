"""CTRL against transformers on tiny random weights: every head, generation, round trips."""

import json
import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_ctrl import modeling_ctrl  # noqa: E402
from tfx_plugin_ctrl.configuration_ctrl import CTRLConfig  # noqa: E402

from tfx_core import AutoModelForCausalLM  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402

TINY = dict(
    vocab_size=99,
    n_positions=64,
    n_embd=32,
    dff=37,
    n_layer=2,
    n_head=4,
    pad_token_id=0,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
)
HEADS = ["CTRLModel", "CTRLLMHeadModel", "CTRLForSequenceClassification"]


def make_pair(head="CTRLLMHeadModel", **overrides):
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = getattr(transformers, head)(transformers.CTRLConfig(**fields)).eval()
    ours = getattr(modeling_ctrl, head)(CTRLConfig(**fields)).eval()
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
    token_types = torch.ones_like(ids)
    with torch.no_grad():
        got = ours(ids, attention_mask=mask, token_type_ids=token_types)
        want = reference(ids, attention_mask=mask, token_type_ids=token_types)
    assert list(got.keys()) == list(want.keys())
    real = mask.bool()  # padded rows attend to nothing: their values are arbitrary
    for key, expected in want.items():
        if not isinstance(expected, torch.Tensor):
            continue
        value = got[key]
        if expected.dim() >= 2 and expected.shape[:2] == mask.shape:
            value, expected = value[real], expected[real]
        assert (value - expected).abs().max() <= 1e-5, key


def test_sinusoidal_positions_match_reference():
    from transformers.models.ctrl.modeling_ctrl import positional_encoding

    want = positional_encoding(64, 32, torch.float)
    assert torch.allclose(modeling_ctrl.positional_encoding(64, 32), want, atol=1e-6)


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_generation_matches_reference(fast_paths, left_padded, monkeypatch, capsys):
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
    capsys.readouterr()  # the reference prints a warning per step


def test_decode_plan_with_biased_head_and_static_cache(left_padded, capsys):
    ours, reference = make_pair()
    ids, mask = left_padded
    with torch.no_grad():
        ours._prepare_for_decoding()
    assert ours.__dict__["_decode_plan"] is not None
    kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0)
    want = reference.generate(ids, **kwargs)
    assert torch.equal(ours.generate(ids, cache_implementation="static", **kwargs), want)
    capsys.readouterr()


def test_round_trips_both_ways(tmp_path, left_padded):
    ours, _ = make_pair()
    ours.save_pretrained(tmp_path / "ours")
    saved = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert saved["model_type"] == "ctrl" and saved["dff"] == 37
    theirs = transformers.CTRLLMHeadModel.from_pretrained(tmp_path / "ours").eval()
    theirs.save_pretrained(tmp_path / "theirs")
    back = AutoModelForCausalLM.from_pretrained(tmp_path / "theirs")
    assert isinstance(back, modeling_ctrl.CTRLLMHeadModel) and back.load_report.is_clean
    ids, _ = left_padded
    with torch.no_grad():
        want = theirs(ids).logits
        assert (ours(ids).logits - want).abs().max() <= 1e-5
        assert (back(ids).logits - want).abs().max() <= 1e-5


def test_config_errors_and_aliases():
    config = CTRLConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=3)
    assert (config.n_embd, config.n_head, config.n_layer) == (16, 2, 3)
    assert "ffn_activation" not in config.to_dict()
    with pytest.raises(ConfigError, match="divisible"):
        CTRLConfig(n_embd=30, n_head=4)
    with pytest.raises(ConfigError, match="dff"):
        CTRLConfig(dff=0)
    ours, _ = make_pair()
    with pytest.raises(ConfigError, match="n_positions"):
        ours(torch.ones(1, 65, dtype=torch.long))
