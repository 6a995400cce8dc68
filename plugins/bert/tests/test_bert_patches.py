"""A researcher's edits are never skipped: class-level and instance-level patches of a layer's
`forward` run under `torch.no_grad()` (where the lean path would otherwise be taken), with fast
paths on and with `TFX_FAST_PATHS=0`; removing the patch brings the lean path back."""

import pytest
import torch
from tfx_plugin_bert.configuration_bert import BertConfig
from tfx_plugin_bert.modeling_bert import BertLayer, BertModel, BertSelfOutput

from tfx_core.modeling.torch.fast_paths import fast_paths

CONFIG = dict(
    vocab_size=64,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=48,
    max_position_embeddings=32,
)


@pytest.fixture()
def model():
    torch.manual_seed(0)
    return BertModel(BertConfig(**CONFIG)).eval()


def _ids():
    return torch.randint(
        1, CONFIG["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(3)
    )


def _run(model):
    with torch.no_grad():
        return model(_ids()).last_hidden_state


def _lean(model) -> bool:
    """Whether the encoder would run its lean path for an inference call now."""
    with torch.no_grad():
        return model.encoder.lean_layers() is not None


def _doubling(original, calls):
    """A patched forward: the original layer's output, doubled (visibly different math)."""

    def forward(self, *args, **kwargs):
        calls.append(type(self).__name__)
        hidden, weights = original(self, *args, **kwargs)
        return hidden * 2.0, weights

    return forward


@pytest.mark.parametrize("fast", [True, False])
def test_class_level_patch_of_bert_layer_forward_is_honoured(model, monkeypatch, fast):
    with fast_paths(fast):
        baseline = _run(model)
        assert _lean(model) == fast
        calls = []
        monkeypatch.setattr(BertLayer, "forward", _doubling(BertLayer.forward, calls))
        patched = _run(model)
        assert calls == ["BertLayer", "BertLayer"]
        assert not torch.allclose(patched, baseline)
        monkeypatch.undo()
        assert torch.allclose(_run(model), baseline, atol=1e-6)
        assert _lean(model) == fast


@pytest.mark.parametrize("fast", [True, False])
def test_instance_level_forward_is_honoured(model, fast):
    with fast_paths(fast):
        baseline = _run(model)
        layer = model.encoder.layer[1]
        calls = []
        layer.forward = _doubling(BertLayer.forward, calls).__get__(layer)
        patched = _run(model)
        assert calls == ["BertLayer"]
        assert torch.allclose(patched, baseline * 2.0, atol=1e-6)
        del layer.forward
        assert torch.allclose(_run(model), baseline, atol=1e-6)


def test_patch_of_an_inner_module_and_patch_made_before_first_run(model, monkeypatch):
    calls = []
    original = BertSelfOutput.forward

    def forward(self, hidden_states, input_tensor):
        calls.append(1)
        return original(self, hidden_states, input_tensor) + 1.0

    monkeypatch.setattr(BertSelfOutput, "forward", forward)  # before any plan is built
    patched = _run(model)
    assert len(calls) == 2
    monkeypatch.undo()
    assert not torch.allclose(patched, _run(model))


def test_environment_switch_turns_fast_paths_off(model, monkeypatch):
    baseline = _run(model)
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    assert not _lean(model)
    with torch.no_grad():
        assert model.encoder.layer[0].attention.self.projections.weights() is None
    torch.testing.assert_close(_run(model), baseline, atol=1e-5, rtol=0)
    monkeypatch.setenv("TFX_FAST_PATHS", "1")
    assert _lean(model)


def test_model_used_under_inference_mode_still_trains(model):
    """The fused buffer is built from ordinary tensors even inside `torch.inference_mode()`."""
    with torch.inference_mode():
        model(_ids())
    model.train()
    # one feature: a sum over all features of a layer norm's output has zero gradient
    model(_ids()).last_hidden_state[..., 0].sum().backward()
    query = model.encoder.layer[0].attention.self.query
    assert query.weight.grad is not None and query.weight.grad.abs().sum() > 0
