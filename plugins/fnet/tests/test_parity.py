"""Every FNet head against transformers with token types: logits, losses and hidden states
<= 1e-5 (fp32), weights moved both ways through files (the kit's `check_parity` asks for
attentions, which FNet does not have, so the same protocol is written out here).
"""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_fnet import modeling_fnet as ours  # noqa: E402
from tfx_plugin_fnet.configuration_fnet import FNetConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402

CONFIG = {
    "vocab_size": 99,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "hidden_dropout_prob": 0.0,
}
B, T, C = 2, 11, 3


def _inputs(shape: tuple[int, ...]) -> dict:
    generator = torch.Generator().manual_seed(0)
    return {
        "input_ids": torch.randint(4, 99, shape, generator=generator),
        "token_type_ids": torch.randint(0, 4, shape, generator=generator),
    }


_MLM = {"labels": torch.randint(0, 99, (B, T))}
HEADS = {
    "FNetModel": ((B, T), {}, ("last_hidden_state", "pooler_output")),
    "FNetForPreTraining": (
        (B, T),
        {**_MLM, "next_sentence_label": torch.tensor([0, 1])},
        ("prediction_logits", "seq_relationship_logits"),
    ),
    "FNetForMaskedLM": ((B, T), _MLM, ("logits",)),
    "FNetForNextSentencePrediction": ((B, T), {"labels": torch.tensor([1, 0])}, ("logits",)),
    "FNetForSequenceClassification": ((B, T), {"labels": torch.tensor([1, 0])}, ("logits",)),
    "FNetForMultipleChoice": ((B, C, T), {"labels": torch.tensor([0, 2])}, ("logits",)),
    "FNetForTokenClassification": ((B, T), {"labels": torch.randint(0, 2, (B, T))}, ("logits",)),
    "FNetForQuestionAnswering": (
        (B, T),
        {"start_positions": torch.tensor([1, 3]), "end_positions": torch.tensor([2, 9])},
        ("start_logits", "end_logits"),
    ),
}


def _close(got, expected, fields, where: str) -> None:
    for field in fields:
        a, b = got[field], expected[field]
        pairs = zip(a, b) if isinstance(b, tuple) else [(a, b)]
        for x, y in pairs:
            assert x.shape == y.shape, f"{where}: {field} shape"
            assert (x - y).abs().max() <= 1e-5, f"{where}: {field} differs"


@pytest.mark.parametrize("name", list(HEADS))
def test_head_matches_the_reference(tmp_path, name):
    from safetensors import safe_open

    shape, labels, fields = HEADS[name]
    fields += ("hidden_states",) + (() if name == "FNetModel" else ("loss",))
    reference_class = getattr(transformers, name)
    torch.manual_seed(0)
    reference = reference_class(transformers.FNetConfig(**CONFIG)).eval()
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.add_(torch.randn(parameter.shape) * 0.05)
    reference.save_pretrained(tmp_path / "hf")
    model = getattr(ours, name).from_pretrained(tmp_path / "hf", strict=True)
    inputs = {**_inputs(shape), **labels, "output_hidden_states": True}
    with torch.no_grad():
        expected, got = reference(**inputs), model(**inputs)
    _close(got, expected, fields, "transformers -> tfx")
    model.save_pretrained(tmp_path / "tfx")
    keys = [safe_open(str(tmp_path / d / "model.safetensors"), "pt").keys() for d in ("hf", "tfx")]
    assert set(keys[0]) == set(keys[1])
    back, info = reference_class.from_pretrained(tmp_path / "tfx", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    with torch.no_grad():
        again = back.eval()(**inputs)
    _close(again, expected, fields, "tfx -> transformers")


def test_half_precision_runs():
    model = ours.FNetModel(FNetConfig(**CONFIG)).eval().to(torch.bfloat16)
    with torch.no_grad():
        out = model(torch.ones(1, 5, dtype=torch.long)).last_hidden_state
    assert out.dtype == torch.bfloat16 and torch.isfinite(out.float()).all()


def test_bad_inputs_raise_clear_errors():
    model = ours.FNetModel(FNetConfig(**CONFIG)).eval()
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        model(torch.ones(1, 65, dtype=torch.long))
    with pytest.raises(ConfigError, match="exactly one"):
        model()
    with pytest.raises(ConfigError, match="type_vocab_size"):
        FNetConfig(**CONFIG, type_vocab_size=0)
