"""The training plan of post-norm encoder stacks (`blocks.lean_training`): the same logits,
loss and gradients as calling the modules, bitwise, with dropout on; and the modules whenever
something could tell the difference."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from tfx_plugin_bert.configuration_bert import BertConfig  # noqa: E402
from tfx_plugin_bert.modeling_bert import (  # noqa: E402
    BertForMaskedLM,
    BertForSequenceClassification,
    BertForTokenClassification,
)

from tfx_core.modeling.torch.blocks import encoder as encoder_blocks  # noqa: E402
from tfx_core.modeling.torch.blocks import lean_encoder  # noqa: E402
from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.2,
    num_labels=3,
)
HEADS = {
    "sequence": BertForSequenceClassification,
    "token": BertForTokenClassification,
    "masked": BertForMaskedLM,
}


def _batch(head: str, padded: bool = True):
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 99, (3, 11), generator=generator)
    mask = torch.ones_like(ids)
    if padded:
        mask[1, 7:] = 0
        mask[2, 4:] = 0
    labels = {
        "sequence": torch.tensor([0, 2, 1]),
        "token": torch.randint(0, 3, (3, 11), generator=generator),
        "masked": torch.randint(0, 99, (3, 11), generator=generator),
    }[head]
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


@pytest.fixture
def plan_calls(monkeypatch):
    """How many forwards ran the training plan."""
    calls = []
    original = lean_encoder.training_forward

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(lean_encoder, "training_forward", counted)
    return calls


def _model(head: str = "sequence", dtype=torch.float32):
    torch.manual_seed(0)
    return HEADS[head](BertConfig(**TINY)).to(dtype).train()


def _run(model, batch, seed: int = 7, **kwargs):
    """Logits, loss and gradients of one training forward + backward from `seed`."""
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    out = model(**batch, **kwargs)
    out.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return out.logits.detach(), out.loss.detach(), grads


def _modules_run(model, batch, seed: int = 7, **kwargs):
    """`_run` through the modules: a hook on the first layer (which returns nothing, so it
    changes nothing) keeps the plan off while the last layer's first-token shortcut stays."""
    base = model.base_model
    stack = base._modules.get("encoder") or base._modules["transformer"]
    handle = stack.layer[0].register_forward_hook(lambda *args: None)
    try:
        return _run(model, batch, seed, **kwargs)
    finally:
        handle.remove()


def _assert_same(got, expected):
    logits, loss, grads = got
    assert torch.equal(logits, expected[0])
    assert torch.equal(loss, expected[1])
    assert grads.keys() == expected[2].keys()
    for name, grad in grads.items():
        assert torch.equal(grad, expected[2][name]), name


@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("padded", [True, False], ids=["padded", "full"])
def test_plan_gives_the_module_paths_numbers_bitwise(head, padded, plan_calls):
    model, batch = _model(head), _batch(head, padded)
    expected = _modules_run(model, batch)
    assert not plan_calls
    for seed in (7, 7, 8):  # a second call reuses the plan; another seed draws other masks
        got = _run(model, batch, seed)
        _assert_same(got, _modules_run(model, batch, seed) if seed != 7 else expected)
    assert len(plan_calls) == 3


def test_float64_and_first_token_rows(plan_calls):
    model, batch = _model("sequence", torch.float64), _batch("sequence")
    _assert_same(_run(model, batch), _modules_run(model, batch))
    assert plan_calls == [1]
    hidden = model.bert(batch["input_ids"], batch["attention_mask"])
    assert hidden.last_hidden_state.shape == (3, 11, 32)  # no head asked for the first token


def test_trainer_steps_match_the_module_path(tmp_path):
    """A few Trainer steps (optimizer, schedule, clipping) land on the same weights."""
    from tfx_core.training import Trainer, TrainingArguments

    rows = [dict(input_ids=ids, labels=int(ids[0]) % 3) for ids in torch.randint(5, 99, (24, 9))]
    weights = []
    for through_modules in (False, True):
        model = _model()
        if through_modules:
            model.bert.encoder.layer[1].register_forward_hook(lambda *args: None)
        args = TrainingArguments(
            str(tmp_path), per_device_train_batch_size=8, max_steps=6, save_strategy="no",
            report_to="none", disable_tqdm=True, seed=3,
        )  # fmt: skip
        Trainer(model, args, train_dataset=rows).train()
        weights.append({n: p.detach().clone() for n, p in model.named_parameters()})
    for name, weight in weights[0].items():
        assert torch.equal(weight, weights[1][name]), name


def _eval_one_dropout(model):
    model.bert.encoder.layer[1].output.dropout.eval()


def _checkpointing(model):
    model.gradient_checkpointing_enable({"use_reentrant": False})


def _hooked_last_layer(model):
    model.bert.encoder.layer[-1].intermediate.register_forward_pre_hook(lambda *args: None)


def _instance_forward(model):
    module = model.bert.encoder.layer[0].intermediate
    module.forward = type(module).forward.__get__(module)


@pytest.mark.parametrize(
    "change",
    [_eval_one_dropout, _checkpointing, _hooked_last_layer, _instance_forward],
    ids=["one-dropout-in-eval", "gradient-checkpointing", "hooked", "instance-forward"],
)
def test_modules_run_when_something_could_tell(change, plan_calls):
    model, batch = _model(), _batch("sequence")
    _run(model, batch)  # a plan built before the change must not be used after it
    assert plan_calls == [1]
    change(model)
    got = _run(model, batch)
    assert plan_calls == [1]
    expected = _modules_run(model, batch)
    _assert_same(got, expected)


def test_no_plan_with_fast_paths_off_no_grad_or_extra_outputs(plan_calls):
    model, batch = _model(), _batch("sequence")
    with fast_paths(False):
        _run(model, batch)
    with torch.no_grad():
        model(**batch)
    _run(model, batch, output_hidden_states=True)
    _run(model, batch, output_attentions=True)
    assert not plan_calls


def test_class_level_patch_sends_calls_through_the_modules(plan_calls, monkeypatch):
    model, batch = _model(), _batch("sequence")
    original = encoder_blocks.Output.forward
    seen = []

    def patched(self, hidden_states, input_tensor):
        seen.append(hidden_states.shape)
        return original(self, hidden_states, input_tensor)

    _run(model, batch)
    monkeypatch.setattr(encoder_blocks.Output, "forward", patched)
    _run(model, batch)
    assert plan_calls == [1] and len(seen) == 3


def test_rates_and_activations_are_read_at_each_call(plan_calls):
    model, batch = _model("token"), _batch("token")
    _run(model, batch)
    for layer in model.bert.encoder.layer:
        layer.attention.self.dropout_p = 0.0
        layer.output.dropout.p = 0.5
        layer.intermediate.intermediate_act_fn = F.relu
    got = _run(model, batch)
    assert plan_calls == [1, 1]
    _assert_same(got, _modules_run(model, batch))


def test_a_new_parameter_rebuilds_the_plan(plan_calls):
    model, batch = _model(), _batch("sequence")
    _run(model, batch)
    dense = model.bert.encoder.layer[0].output.dense
    dense.weight = torch.nn.Parameter(dense.weight.detach() * 2)
    got = _run(model, batch)
    assert plan_calls == [1, 1]
    assert got[2]["bert.encoder.layer.0.output.dense.weight"].abs().sum() > 0
    _assert_same(got, _modules_run(model, batch))


def test_distilbert_layer_declares_its_own_dropouts(plan_calls):
    """A plugin layer (DistilBERT's `TransformerBlock`: no dropout after the attention output,
    torch's `nn.Dropout` in its feed-forward) runs the plan with the module path's numbers."""
    from tfx_plugin_distilbert.configuration_distilbert import DistilBertConfig
    from tfx_plugin_distilbert.modeling_distilbert import DistilBertForSequenceClassification

    torch.manual_seed(0)
    config = DistilBertConfig(
        vocab_size=99, dim=32, n_layers=3, n_heads=4, hidden_dim=37, max_position_embeddings=64,
        dropout=0.1, attention_dropout=0.2, num_labels=3,
    )  # fmt: skip
    model, batch = DistilBertForSequenceClassification(config).train(), _batch("sequence")
    got = _run(model, batch)
    assert plan_calls == [1]
    _assert_same(got, _modules_run(model, batch))
