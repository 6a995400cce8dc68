"""The encoder's lean inference path (`BertEncoder.lean_forward`, from the core blocks): same numbers as the
modules, used only while that is unobservable, and rebuilt or bypassed when anything it relies
on changes (hooks, swapped modules, training, dtype moves, reloaded weights)."""

import pytest
import torch
from torch import nn

transformers = pytest.importorskip("transformers")

import tfx_plugin_bert.modeling_bert as tfx_bert  # noqa: E402

TOL = 1e-5
# hidden 256: the projections are big enough for the core's weight-major `linear` path too
SHAPE = dict(
    vocab_size=97,
    hidden_size=256,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=320,
    max_position_embeddings=40,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    num_labels=3,
)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lean") / "model"
    torch.manual_seed(0)
    reference = transformers.BertForSequenceClassification(transformers.BertConfig(**SHAPE))
    reference.eval().save_pretrained(folder)
    ours = tfx_bert.BertForSequenceClassification.from_pretrained(folder)
    return reference, ours, folder


def _inputs(padded: bool = True, length: int = 12):
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1, SHAPE["vocab_size"], (3, length), generator=generator)
    mask = torch.ones_like(ids)
    if padded:
        mask[1, -4:] = 0
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}


def _modular(model, **inputs):
    """The module-by-module path: a no-op forward hook makes the lean path observable."""
    handle = model.bert.encoder.layer[0].intermediate.register_forward_hook(lambda *a: None)
    try:
        with torch.inference_mode():
            return model(**inputs, output_hidden_states=True)
    finally:
        handle.remove()


def _lean_calls(model, monkeypatch):
    calls = []
    original = tfx_bert.BertEncoder.lean_forward

    def spy(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(tfx_bert.BertEncoder, "lean_forward", spy)
    return calls


@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("rows", ["few", "many"])  # weight-major `linear`, then F.linear
def test_lean_path_matches_modules_and_reference(pair, monkeypatch, padded, rows):
    reference, ours, _ = pair
    calls = _lean_calls(ours, monkeypatch)
    inputs = _inputs(padded)  # 3 x 12 = 36 rows
    if rows == "many":  # 1440 rows, above linear's SMALL_ROWS
        inputs = {k: v.repeat(12, 1) for k, v in _inputs(padded, length=40).items()}
    with torch.inference_mode():
        lean = ours(**inputs, output_hidden_states=True)
        expected = reference(**inputs, output_hidden_states=True)
    assert calls == [1]
    modular = _modular(ours, **inputs)
    assert calls == [1], "a hooked module must be called, not skipped"
    assert (lean.logits - modular.logits).abs().max() <= 1e-6
    for mine, theirs, module_path in zip(
        lean.hidden_states, expected.hidden_states, modular.hidden_states, strict=True
    ):
        assert (mine - theirs).abs().max() <= TOL
        assert (mine - module_path).abs().max() <= 1e-6
    assert (lean.logits - expected.logits).abs().max() <= TOL


def test_hooks_fire_and_lean_path_resumes_after_removal(pair, monkeypatch):
    _, ours, _ = pair
    calls = _lean_calls(ours, monkeypatch)
    seen = []
    handle = ours.bert.encoder.layer[1].output.dense.register_forward_hook(
        lambda module, args, out: seen.append(out.shape)
    )
    with torch.inference_mode():
        ours(**_inputs())
    handle.remove()
    assert seen == [torch.Size([3, 12, SHAPE["hidden_size"]])] and calls == []
    with torch.inference_mode():
        ours(**_inputs())
    assert calls == [1]


def test_global_hook_and_instance_forward_disable_lean_path(pair, monkeypatch):
    _, ours, _ = pair
    calls = _lean_calls(ours, monkeypatch)
    seen = []
    handle = nn.modules.module.register_module_forward_hook(lambda m, a, o: seen.append(m))
    try:
        with torch.inference_mode():
            ours(**_inputs())
    finally:
        handle.remove()
    assert calls == [] and any(isinstance(m, nn.LayerNorm) for m in seen)

    layer = ours.bert.encoder.layer[0].intermediate
    layer.forward = lambda hidden: torch.zeros(*hidden.shape[:-1], SHAPE["intermediate_size"])
    try:
        with torch.inference_mode():
            patched = ours(**_inputs()).logits
    finally:
        del layer.forward
    with torch.inference_mode():
        normal = ours(**_inputs()).logits
    assert calls == [1] and not torch.allclose(patched, normal)


class _Shifted(nn.Linear):
    """An adapter-like subclass: the lean path must not run its parent's math instead."""

    def forward(self, x):
        return super().forward(x) * 2.0


class _Wrapped(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x) * 0.5


def test_swapped_module_is_honoured(tmp_path, pair):
    _, _, folder = pair
    model = tfx_bert.BertForSequenceClassification.from_pretrained(folder)
    with torch.inference_mode():
        before = model(**_inputs()).logits  # builds and caches the lean plan
    old = model.bert.encoder.layer[0].output.dense
    new = _Shifted(old.in_features, old.out_features)
    new.load_state_dict(old.state_dict())
    model.bert.encoder.layer[0].output.dense = new
    with torch.inference_mode():
        after = model(**_inputs()).logits
    assert not torch.allclose(before, after)
    assert (after - _modular(model, **_inputs()).logits).abs().max() <= 1e-6

    attention = model.bert.encoder.layer[1].attention.self
    attention.value = _Wrapped(attention.value)  # no `.weight`: an adapter wrapping a layer
    with torch.inference_mode():
        wrapped = model(**_inputs()).logits
    assert not torch.allclose(after, wrapped)
    assert (wrapped - _modular(model, **_inputs()).logits).abs().max() <= 1e-6


def test_weights_changed_after_first_forward_are_used(pair):
    _, _, folder = pair
    model = tfx_bert.BertForSequenceClassification.from_pretrained(folder)
    with torch.inference_mode():
        model(**_inputs())
    state = {k: torch.randn_like(v) * 0.05 for k, v in model.state_dict().items()}
    model.load_state_dict(state)  # copies into the fused query/key/value memory
    with torch.no_grad():
        model.bert.encoder.layer[1].attention.self.value.weight.data = (
            model.bert.encoder.layer[1].attention.self.value.weight.data.clone() * 2
        )
    with torch.inference_mode():
        lean = model(**_inputs()).logits
    assert (lean - _modular(model, **_inputs()).logits).abs().max() <= 1e-6

    model.to(torch.float64)
    with torch.inference_mode():
        wide = model(**_inputs()).logits
    assert wide.dtype == torch.float64
    assert (wide - _modular(model, **_inputs()).logits).abs().max() <= 1e-10

    model.to(torch.float32)
    modular = _modular(model, **_inputs()).logits  # rebuilds the fused matrices first
    with torch.inference_mode():
        lean = model(**_inputs()).logits  # the cached plan must not keep the float64 ones
    assert lean.dtype == torch.float32 and (lean - modular).abs().max() <= 1e-6


def test_training_and_autograd_use_the_modules(tmp_path, monkeypatch):
    torch.manual_seed(0)
    config = tfx_bert.BertConfig(**dict(SHAPE, hidden_dropout_prob=0.5))
    model = tfx_bert.BertForSequenceClassification(config)
    calls = _lean_calls(model, monkeypatch)
    model.train()
    first, second = model(**_inputs()).logits, model(**_inputs()).logits
    assert not torch.allclose(first, second)  # dropout ran
    model.eval()
    out = model(**_inputs()).logits  # autograd on: modules, so gradients flow
    out.sum().backward()
    assert model.bert.encoder.layer[0].attention.self.query.weight.grad is not None
    assert calls == []
    model.bert.encoder.layer[0].train()  # one layer in training mode is honoured too
    with torch.inference_mode():
        model(**_inputs())
    assert calls == []
