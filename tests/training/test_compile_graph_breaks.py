"""`torch.compile` captures the core training forwards whole: no graph break, no recompile.

A graph break splits a compiled forward into several graphs with eager Python between them
(and a recompile retraces it), which is what made `TrainingArguments(torch_compile=True)`
slower than eager. The eager-only speed tricks (lean plans, their guards, the mask's
"no padding" shortcut) step aside while dynamo traces; the first-token shortcut stays, with
plain checks dynamo guards on, so a hook or a patched `forward` added later still counts.
"""

from __future__ import annotations

import pytest
import torch

dynamo = pytest.importorskip("torch._dynamo")
if not dynamo.is_dynamo_supported():
    pytest.skip("torch.compile (dynamo) is not supported here", allow_module_level=True)


def _batch(padded: bool, vocab: int = 60, rows: int = 4, length: int = 12) -> dict:
    generator = torch.Generator().manual_seed(5)
    ids = torch.randint(3, vocab, (rows, length), generator=generator)
    mask = torch.ones_like(ids)
    if padded:
        mask[1, 7:] = 0
        mask[3, 4:] = 0
        ids = ids.masked_fill(mask == 0, 0)
    return {"input_ids": ids, "attention_mask": mask}


def _breaks(model, batch: dict) -> tuple[int, list[str]]:
    dynamo.reset()
    explained = dynamo.explain(model)(**batch)
    reasons = [
        f"{b.reason.splitlines()[0]} at {b.user_stack[-1:]}" for b in explained.break_reasons
    ]
    return explained.graph_break_count, reasons


def _compiled(model):
    dynamo.reset()
    return torch.compile(model, backend="eager", fullgraph=True)  # fullgraph: a break raises


@pytest.mark.parametrize("padded", [False, True])
def test_bert_classification_training_forward_has_no_graph_break(tiny, padded):
    model = tiny.bert_model("cls", hidden_dropout_prob=0.1).train()
    batch = {**_batch(padded), "labels": torch.tensor([0, 2, 1, 2])}
    assert _breaks(model, batch) == (0, [])

    torch.manual_seed(3)  # the same dropout draws: the "eager" backend runs the same ops
    expected = model(**batch)
    expected["loss"].backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    torch.manual_seed(3)
    out = _compiled(model)(**batch)
    out["loss"].backward()
    assert type(out) is type(expected) and list(out.keys()) == list(expected.keys())
    torch.testing.assert_close(out["logits"], expected["logits"], atol=1e-6, rtol=0)
    torch.testing.assert_close(out["loss"], expected["loss"], atol=1e-6, rtol=0)
    for name, grad in grads.items():
        torch.testing.assert_close(
            dict(model.named_parameters())[name].grad, grad, atol=1e-6, rtol=0
        )


@pytest.mark.parametrize("head", ["tok", "mlm"])
def test_other_bert_heads_training_forward_has_no_graph_break(tiny, head):
    model = tiny.bert_model(head).train()
    batch = _batch(padded=True)
    batch["labels"] = batch["input_ids"] % 3 if head == "tok" else batch["input_ids"]
    assert _breaks(model, batch) == (0, [])


def test_bert_evaluation_forward_has_no_graph_break(tiny):
    model = tiny.bert_model("cls").eval()
    batch = {**_batch(padded=True), "labels": torch.tensor([0, 2, 1, 2])}
    with torch.no_grad():
        model(**batch)  # eager first: the lean plans exist when dynamo traces
        model(**batch)
        expected = model(**batch)
        assert _breaks(model, batch) == (0, [])
        out = _compiled(model)(**batch)
    torch.testing.assert_close(out["logits"], expected["logits"], atol=1e-6, rtol=0)


def test_no_padding_compiles_to_the_same_numbers_as_the_eager_shortcut(tiny):
    """Eager drops an all-ones mask (`masks._all_tokens`); the compiled graph keeps it."""
    model = tiny.bert_model("cls").train()
    batch = _batch(padded=False)
    expected = model(**batch)["logits"]
    out = _compiled(model)(**batch)["logits"]
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)


def _recording(model) -> tuple[list[int], torch.nn.Module]:
    """The compiled model, and the rows its last layer's feed-forward runs over, one entry per
    graph compiled from here on."""
    rows = []

    def backend(graph_module, inputs):
        products = [
            n.meta["example_value"].shape
            for n in graph_module.graph.nodes
            if n.op == "call_function" and "linear" in str(n.target)
        ]
        rows.append(products[-4][1])  # [..., pooler, classifier]: the last FFN's first product
        return graph_module

    dynamo.reset()
    compiled = torch.compile(model, backend=backend)
    return rows, compiled


def test_first_token_shortcut_is_compiled_and_honours_switch_hooks_and_patches(tiny, monkeypatch):
    model = tiny.bert_model("cls").train()
    batch = _batch(padded=True)
    expected = model(**batch)["logits"]
    rows, compiled = _recording(model)
    torch.testing.assert_close(compiled(**batch)["logits"], expected, atol=1e-6, rtol=0)
    assert rows == [1]  # the last layer at the first position only

    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    compiled(**batch)
    assert rows == [1, 12]  # a guard saw the switch: recompiled through every row
    monkeypatch.delenv("TFX_FAST_PATHS")

    seen = []
    last = model.bert.encoder.layer[-1]
    handle = last.output.register_forward_hook(lambda module, args, output: seen.append(output))
    compiled(**batch)
    handle.remove()
    assert len(seen) == 1 and seen[0].shape[1] == 12  # the hook saw every row

    calls = []
    layer_class = type(last)
    original = layer_class.forward

    def patched(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(layer_class, "forward", patched)
    rows.clear()
    compiled(**batch)
    assert rows == [12] and last in calls  # the class-level patch ran, on every row


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_causal_lm_training_forward_has_no_graph_break(family):
    torch.manual_seed(0)
    if family == "gpt2":
        from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config
        from tfx_plugin_gpt2.modeling_gpt2 import GPT2LMHeadModel

        config = GPT2Config(vocab_size=60, n_embd=32, n_layer=2, n_head=4, n_positions=64)
        config.resid_pdrop = config.embd_pdrop = config.attn_pdrop = 0.0  # see below
        model = GPT2LMHeadModel.from_config(config)
    else:
        from tfx_plugin_llama.configuration_llama import LlamaConfig
        from tfx_plugin_llama.modeling_llama import LlamaForCausalLM

        config = LlamaConfig(
            vocab_size=60,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            intermediate_size=37,
            max_position_embeddings=64,
        )
        model = LlamaForCausalLM.from_config(config)
    model.train()
    for padded in (False, True):
        batch = _batch(padded)
        batch["labels"] = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
        assert _breaks(model, batch) == (0, [])
        # (no dropout: eager attention dropout is one fused Function with its own draws, the
        # compiled graph the plain ops: the same distribution, other numbers)
        expected = model(**batch)
        out = _compiled(model)(**batch)
        torch.testing.assert_close(out["loss"], expected["loss"], atol=1e-6, rtol=0)
        torch.testing.assert_close(out["logits"], expected["logits"], atol=1e-5, rtol=0)


def test_large_enough_for_onednn_and_wide_dropout_draws_has_no_graph_break(tiny):
    """From MiniLM's sizes on, eager training takes the oneDNN product (256 rows, a weight of
    65536 elements) and the 64-bit dropout draw (65536 elements): under compile, neither."""
    from tfx_core.modeling.torch.dropout import WIDE_DRAW_ELEMENTS
    from tfx_core.modeling.torch.onednn_training import TRAIN_ROWS

    model = tiny.bert_model(
        "cls",
        hidden_size=256,
        intermediate_size=256,
        num_hidden_layers=1,
        hidden_dropout_prob=0.1,
    ).train()
    rows, length = 16, 16
    assert rows * length >= TRAIN_ROWS and rows * length * 256 >= WIDE_DRAW_ELEMENTS
    batch = {**_batch(padded=True, rows=rows, length=length), "labels": torch.zeros(16).long()}
    batch["attention_mask"][5, 9:] = 0
    assert _breaks(model, batch) == (0, [])
    _compiled(model)(**batch)["loss"].backward()  # (fullgraph: raises on a break)


def test_deberta_v2_classification_loss_has_no_graph_break():
    """DeBERTa's loss drops negative labels: a masked mean, not a data-dependent slice."""
    from tfx_plugin_deberta_v2.configuration_deberta_v2 import DebertaV2Config
    from tfx_plugin_deberta_v2.modeling_deberta_v2 import DebertaV2ForSequenceClassification

    torch.manual_seed(0)
    config = DebertaV2Config(
        vocab_size=60,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        relative_attention=True,
        position_buckets=8,
        pos_att_type=["p2c", "c2p"],
        num_labels=3,
        hidden_dropout_prob=0.0,  # compiled dropout draws other numbers
        attention_probs_dropout_prob=0.0,
    )
    model = DebertaV2ForSequenceClassification.from_config(config).train()
    for labels in ([0, -1, 2, 1], [-1, -1, -1, -1]):
        batch = {**_batch(padded=True), "labels": torch.tensor(labels)}
        assert _breaks(model, batch) == (0, [])
        expected = model(**batch)["loss"]
        torch.testing.assert_close(_compiled(model)(**batch)["loss"], expected, atol=1e-6, rtol=0)
    assert float(expected) == 0.0  # no label kept: a zero loss, as the reference
