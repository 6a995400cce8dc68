"""The base model's lean plan (`blocks.lean_model`), taken by heads at inference: the
reference's numbers, every module's math honoured (patches, hooks, the switch), and the
modules called again as soon as anything could observe the difference."""

import os
import sys

import pytest
import torch
from torch import nn

transformers = pytest.importorskip("transformers")

import tfx_plugin_bert.modeling_bert as tfx_bert  # noqa: E402
import tfx_plugin_distilbert.modeling_distilbert as tfx_distil  # noqa: E402
import tfx_plugin_roberta.modeling_roberta as tfx_roberta  # noqa: E402

from tfx_core.modeling.torch import fast_paths as switch  # noqa: E402
from tfx_core.modeling.torch.blocks import EncoderEmbeddings, Pooler  # noqa: E402
from tfx_core.modeling.torch.masks import _all_tokens  # noqa: E402

SHAPE = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=40,
    num_labels=3,
)
DISTIL = dict(vocab_size=99, dim=32, n_layers=2, n_heads=4, hidden_dim=37, num_labels=3)
# name -> (tfx head, reference head, reference config, config fields)
CASES = {
    "bert": (
        tfx_bert.BertForSequenceClassification,
        "BertForSequenceClassification",
        "BertConfig",
        SHAPE,
    ),
    "roberta": (
        tfx_roberta.RobertaForSequenceClassification,
        "RobertaForSequenceClassification",
        "RobertaConfig",
        {**SHAPE, "pad_token_id": 1},
    ),
    "distilbert": (
        tfx_distil.DistilBertForSequenceClassification,
        "DistilBertForSequenceClassification",
        "DistilBertConfig",
        DISTIL,
    ),
}


@pytest.fixture(scope="module", params=list(CASES))
def pair(request, tmp_path_factory):
    ours_class, reference_name, config_name, fields = CASES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    torch.manual_seed(0)
    config = getattr(transformers, config_name)(**fields)
    getattr(transformers, reference_name)(config).eval().save_pretrained(folder)
    reference = getattr(transformers, reference_name).from_pretrained(folder).eval()
    return request.param, ours_class.from_pretrained(folder).eval(), reference


def _inputs(name: str, padded: bool, types: bool = True) -> dict:
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 99, (2, 9), generator=generator)
    mask = torch.ones_like(ids)
    if padded:
        mask[1, 6:] = 0
        ids[1, 6:] = 1 if name == "roberta" else 0
    inputs = {"input_ids": ids, "attention_mask": mask}
    if types and name != "distilbert":
        inputs["token_type_ids"] = (torch.arange(9) > 4).long().expand(2, -1)
    return inputs


def _base_calls(model, inputs: dict) -> tuple[torch.Tensor, int]:
    """Logits of a `no_grad` forward, and how often the embeddings' `forward` ran."""
    seen = []

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code is EncoderEmbeddings.forward.__code__:
            seen.append(1)

    sys.setprofile(tracer)
    try:
        with torch.no_grad():
            logits = model(**inputs).logits
    finally:
        sys.setprofile(None)
    return logits, len(seen)


@pytest.mark.parametrize("padded", [True, False])
@pytest.mark.parametrize("types", [True, False])
def test_lean_base_matches_reference_and_modules(pair, padded, types):
    name, ours, reference = pair
    inputs = _inputs(name, padded, types)
    with torch.no_grad():
        expected = reference(**inputs).logits
    for _ in range(3):  # first call builds, second reuses, third runs packed where it packs
        lean, module_calls = _base_calls(ours, inputs)
        assert module_calls == 0  # the plan ran, not the modules
        torch.testing.assert_close(lean, expected, atol=1e-5, rtol=0)
    with switch.fast_paths(False):
        modules, module_calls = _base_calls(ours, inputs)
    assert module_calls == 1
    torch.testing.assert_close(lean, modules, atol=1e-5, rtol=0)
    tuple_out = ours(**inputs, return_dict=False)
    assert isinstance(tuple_out, tuple) and torch.allclose(tuple_out[0], lean, atol=1e-5)


def test_outputs_flags_and_positional_inputs(pair):
    name, ours, _ = pair
    inputs = _inputs(name, padded=True)
    with torch.no_grad():
        plain = ours(**inputs)
        hidden = ours(**inputs, output_hidden_states=True)
        positional = ours(inputs["input_ids"], inputs["attention_mask"])
    assert plain.hidden_states is None and len(hidden.hidden_states) == 3
    torch.testing.assert_close(hidden.logits, plain.logits, atol=1e-5, rtol=0)
    if name == "distilbert":
        torch.testing.assert_close(positional.logits, plain.logits, atol=1e-5, rtol=0)


def _ids_only(name):
    return {"input_ids": _inputs(name, padded=False)["input_ids"]}


def test_class_level_patch_of_layer_forward_seen_through_the_head(pair, monkeypatch):
    name, ours, _ = pair
    inputs = _ids_only(name)
    layer_class = type(ours.base_model._modules[ours.base_model.encoder_attribute].layer[0])
    with torch.no_grad():
        baseline = ours(**inputs).logits
    calls = []
    original = layer_class.forward

    def doubled(self, *args, **kwargs):
        calls.append(1)
        hidden, *rest = original(self, *args, **kwargs)
        return (hidden * 2.0, *rest)

    monkeypatch.setattr(layer_class, "forward", doubled)
    for fast in (True, False):
        calls.clear()
        with switch.fast_paths(fast), torch.no_grad():
            patched = ours(**inputs).logits
        assert len(calls) == len(ours.base_model._modules[ours.base_model.encoder_attribute].layer)
        assert not torch.allclose(patched, baseline)
    monkeypatch.undo()
    _, module_calls = _base_calls(ours, inputs)
    assert module_calls == 0  # the plan is back


def test_instance_patch_and_hooks_seen_through_the_head(pair):
    name, ours, _ = pair
    inputs = _ids_only(name)
    base = ours.base_model
    with torch.no_grad():
        baseline = ours(**inputs).logits
    layer = base._modules[base.encoder_attribute].layer[1]
    original = layer.forward

    def doubled(*args, **kwargs):
        hidden, *rest = original(*args, **kwargs)
        return (hidden * 2.0, *rest)

    layer.forward = doubled
    try:
        with torch.no_grad():
            assert not torch.allclose(ours(**inputs).logits, baseline)
    finally:
        del layer.forward
    norm = base.embeddings.LayerNorm
    handle = norm.register_forward_hook(lambda module, args, out: out * 3.0)
    try:
        with torch.no_grad():
            assert not torch.allclose(ours(**inputs).logits, baseline)
    finally:
        handle.remove()
    with torch.no_grad():
        torch.testing.assert_close(ours(**inputs).logits, baseline, atol=0, rtol=0)


def test_embedding_and_pooler_patches_honoured(monkeypatch):
    torch.manual_seed(0)
    model = tfx_bert.BertForSequenceClassification(tfx_bert.BertConfig(**SHAPE)).eval()
    inputs = _ids_only("bert")
    with torch.no_grad():
        baseline = model(**inputs).logits
    calls = []
    original_pool = Pooler.pool

    def pool(self, parts, hidden):
        calls.append("pool")
        return original_pool(self, parts, hidden) * 0.5

    monkeypatch.setattr(Pooler, "pool", pool)  # a helper the lean plan shares: still called
    with torch.no_grad():
        assert not torch.allclose(model(**inputs).logits, baseline)
    assert calls == ["pool"]
    monkeypatch.undo()
    original_forward = EncoderEmbeddings.forward

    def forward(self, *args, **kwargs):
        calls.append("embeddings")
        return original_forward(self, *args, **kwargs) + 1.0

    monkeypatch.setattr(EncoderEmbeddings, "forward", forward)  # class-level forward patch
    with torch.no_grad():
        assert not torch.allclose(model(**inputs).logits, baseline)
    assert calls[-1] == "embeddings"
    monkeypatch.undo()
    model.bert.pooler.dense = nn.Linear(SHAPE["hidden_size"], SHAPE["hidden_size"])  # swapped
    with torch.no_grad():
        assert not torch.allclose(model(**inputs).logits, baseline)


def test_environment_switch_is_honoured(pair, monkeypatch):
    name, ours, _ = pair
    inputs = _ids_only(name)
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    assert not switch.fast_paths_enabled()
    assert _base_calls(ours, inputs)[1] == 1
    monkeypatch.setenv("TFX_FAST_PATHS", " Off ")
    assert not switch.fast_paths_enabled()
    monkeypatch.setenv("TFX_FAST_PATHS", "1")
    assert switch.fast_paths_enabled()
    assert _base_calls(ours, inputs)[1] == 0
    os.environ["TFX_FAST_PATHS"] = "false"  # set directly, not through monkeypatch
    assert not switch.fast_paths_enabled()
    monkeypatch.delenv("TFX_FAST_PATHS")
    assert switch.fast_paths_enabled()
    with switch.fast_paths(False):
        assert _base_calls(ours, inputs)[1] == 1


def test_training_and_autograd_use_the_modules(pair):
    name, ours, _ = pair
    inputs = _ids_only(name)
    seen = []

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code is EncoderEmbeddings.forward.__code__:
            seen.append(1)

    sys.setprofile(tracer)
    try:
        ours(**inputs)  # autograd on
    finally:
        sys.setprofile(None)
    assert seen == [1]


@pytest.mark.parametrize(
    "mask",
    [
        torch.ones(2, 5, dtype=torch.long),
        torch.tensor([[1, 1, 0]]),
        torch.tensor([[2, -1, 3]]),
        torch.tensor([[True, False]]),
        torch.tensor([[1.0, 0.0, 1.0]]),
        torch.ones(4, 300, dtype=torch.long),
        torch.ones(4, 300, dtype=torch.long).index_fill_(1, torch.tensor([299]), 0),
        torch.ones(3, 4, dtype=torch.long).t(),  # not contiguous
        torch.ones(0, 4, dtype=torch.long),
    ],
)
def test_mask_check_equals_torch_all(mask):
    assert _all_tokens(mask) == bool(mask.all())


def _head_layer(ours):
    """The head's own last layer (a `Linear` the lean plan binds)."""
    classifier = ours.classifier
    return getattr(classifier, "out_proj", classifier)


def test_head_layers_run_lean_and_honour_hooks_and_patches(pair):
    name, ours, _ = pair
    inputs = _ids_only(name)
    with torch.no_grad():
        baseline = ours(**inputs).logits
    layer = _head_layer(ours)
    seen = []

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code is type(layer).forward.__code__:
            seen.append(1)

    sys.setprofile(tracer)
    try:
        with torch.no_grad():
            ours(**inputs)
    finally:
        sys.setprofile(None)
    assert seen == []  # bound, not called
    handle = layer.register_forward_hook(lambda module, args, out: out + 5.0)
    try:
        with torch.no_grad():
            torch.testing.assert_close(ours(**inputs).logits, baseline + 5.0, atol=1e-5, rtol=0)
    finally:
        handle.remove()
    layer.forward = lambda x: torch.zeros(*x.shape[:-1], layer.out_features)
    try:
        with torch.no_grad():
            assert not ours(**inputs).logits.any()
    finally:
        del layer.forward
    if name == "distilbert":
        pre = ours.pre_classifier
        handle = pre.register_forward_pre_hook(lambda module, args: (args[0] * 0.0,))
        try:
            with torch.no_grad():
                assert not torch.allclose(ours(**inputs).logits, baseline)
        finally:
            handle.remove()
    with torch.no_grad():
        torch.testing.assert_close(ours(**inputs).logits, baseline, atol=0, rtol=0)


def test_roberta_classification_head_patches_honoured(monkeypatch):
    from tfx_core.modeling.torch.blocks import DenseClassificationHead

    torch.manual_seed(0)
    config = tfx_roberta.RobertaConfig(**{**SHAPE, "pad_token_id": 1})
    model = tfx_roberta.RobertaForSequenceClassification(config).eval()
    inputs = _ids_only("roberta")
    with torch.no_grad():
        baseline = model(**inputs).logits
    original = DenseClassificationHead.run_parts
    monkeypatch.setattr(
        DenseClassificationHead, "run_parts", lambda self, parts, x: original(self, parts, x) * 2
    )
    with torch.no_grad():
        torch.testing.assert_close(model(**inputs).logits, baseline * 2, atol=1e-5, rtol=0)
    monkeypatch.undo()
    original_forward = DenseClassificationHead.forward
    monkeypatch.setattr(
        DenseClassificationHead, "forward", lambda self, x: original_forward(self, x) - 1.0
    )
    with torch.no_grad():
        torch.testing.assert_close(model(**inputs).logits, baseline - 1.0, atol=1e-5, rtol=0)


def test_head_overriding_head_features_without_parts_still_works():
    class Custom(tfx_bert.BertForSequenceClassification):
        def head_features(self, features):
            return features * 0.0

    torch.manual_seed(0)
    model = Custom(tfx_bert.BertConfig(**SHAPE)).eval()
    with torch.no_grad():
        logits = model(**_ids_only("bert")).logits
    torch.testing.assert_close(logits, model.classifier.bias.expand_as(logits), atol=0, rtol=0)


def test_weight_major_products_match_reference(tmp_path):
    """hidden 256: pooler and layers large enough for the core's weight-major `linear`."""
    fields = {**SHAPE, "hidden_size": 256, "intermediate_size": 300}
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(
        transformers.BertConfig(**fields)
    ).eval().save_pretrained(tmp_path)
    reference = transformers.BertForSequenceClassification.from_pretrained(tmp_path).eval()
    ours = tfx_bert.BertForSequenceClassification.from_pretrained(tmp_path).eval()
    inputs = _inputs("bert", padded=True)
    with torch.no_grad():
        expected = reference(**inputs).logits
    for _ in range(3):
        lean, module_calls = _base_calls(ours, inputs)
        assert module_calls == 0
        torch.testing.assert_close(lean, expected, atol=1e-5, rtol=0)
