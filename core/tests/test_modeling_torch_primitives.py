"""The shared PyTorch primitives: attention, masks, activations, losses, typed outputs."""

import pickle
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402
from tfx_core.modeling.outputs import (  # noqa: E402
    BaseModelOutputWithPooling,
    SequenceClassifierOutput,
)
from tfx_core.modeling.torch import attention, causal_mask, padding_mask  # noqa: E402
from tfx_core.modeling.torch.activations import (  # noqa: E402
    ACTIVATIONS,
    activation_fn,
    get_activation,
)
from tfx_core.modeling.torch.losses import (  # noqa: E402
    causal_lm_loss,
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)


def _qkv(batch=2, heads=3, q_len=5, k_len=5, dim=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    shape = lambda length: (batch, heads, length, dim)  # noqa: E731
    return (
        torch.randn(shape(q_len), generator=generator),
        torch.randn(shape(k_len), generator=generator),
        torch.randn(shape(k_len), generator=generator),
    )


def _naive(query, key, value, additive=None, causal=False):
    scores = query @ key.transpose(-1, -2) / query.shape[-1] ** 0.5
    if causal:
        q_len, k_len = scores.shape[-2:]
        keep = torch.ones(q_len, k_len, dtype=torch.bool).tril(k_len - q_len)
        scores = scores.masked_fill(~keep, float("-inf"))
    if additive is not None:
        scores = scores + additive
    weights = scores.softmax(-1)
    return weights @ value, weights


# ---------------------------------------------------------------- attention
@pytest.mark.parametrize("implementation", ["sdpa", "eager"])
def test_attention_matches_naive_formula_with_padding(implementation):
    query, key, value = _qkv()
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    additive = padding_mask(mask, torch.float32)
    out, weights = attention(
        query, key, value, attention_mask=additive, implementation=implementation
    )
    expected, expected_weights = _naive(query, key, value, additive)
    assert (out - expected).abs().max() < 1e-5
    if implementation == "eager":
        assert (weights - expected_weights).abs().max() < 1e-6
        assert weights[1, :, :, 3:].abs().max() == 0
    else:
        assert weights is None


def test_output_attentions_returns_softmax_weights_even_with_sdpa():
    query, key, value = _qkv()
    out, weights = attention(query, key, value, output_attentions=True)
    assert weights.shape == (2, 3, 5, 5)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3, 5))
    assert (out - _naive(query, key, value)[0]).abs().max() < 1e-5


@pytest.mark.parametrize("implementation", ["sdpa", "eager"])
@pytest.mark.parametrize("q_len", [1, 3, 6])
def test_causal_attention_with_fewer_queries_than_keys(implementation, q_len):
    """KV-cache decoding: the queries are the last positions and see every earlier key."""
    query, key, value = _qkv(q_len=q_len, k_len=6)
    out, _ = attention(query, key, value, is_causal=True, implementation=implementation)
    assert (out - _naive(query, key, value, causal=True)[0]).abs().max() < 1e-5


def test_cached_decoding_equals_full_causal_attention():
    query, key, value = _qkv(q_len=7, k_len=7)
    full, _ = attention(query, key, value, is_causal=True)
    for step in range(7):
        last, _ = attention(
            query[:, :, step : step + 1], key[:, :, : step + 1], value[:, :, : step + 1],
            is_causal=True,
        )  # fmt: skip
        assert (last[:, :, 0] - full[:, :, step]).abs().max() < 1e-5


@pytest.mark.parametrize("implementation", ["sdpa", "eager"])
def test_causal_plus_padding_mask_and_fully_masked_rows_are_finite(implementation):
    query, key, value = _qkv(q_len=4, k_len=4)
    mask = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])  # left padding on row 0
    additive = padding_mask(mask, torch.float32)
    out, weights = attention(
        query, key, value, attention_mask=additive, is_causal=True,
        output_attentions=implementation == "eager", implementation=implementation,
    )  # fmt: skip
    assert torch.isfinite(out).all()
    # rows that see real keys match the naive result
    expected, _ = _naive(query, key, value, additive, causal=True)
    assert (out[0, :, 2:] - expected[0, :, 2:]).abs().max() < 1e-5
    assert (out[1] - expected[1]).abs().max() < 1e-5
    if weights is not None:
        assert torch.isfinite(weights).all()


def test_fully_masked_batch_row_gives_no_nan():
    query, key, value = _qkv()
    additive = padding_mask(torch.tensor([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]), torch.float32)
    for implementation in ("sdpa", "eager"):
        out, _ = attention(
            query, key, value, attention_mask=additive, implementation=implementation
        )
        assert torch.isfinite(out).all()


def test_causal_mask_builder_aligns_queries_to_the_end_and_drops_padding():
    mask = causal_mask(torch.tensor([[0, 1, 1, 1]]), 2, 4, torch.float32, torch.device("cpu"))
    keep = mask[0, 0] == 0
    assert keep.tolist() == [[False, True, True, False], [False, True, True, True]]
    assert torch.isfinite(mask).all()


def test_padding_mask_is_none_without_padding_and_additive_otherwise():
    assert padding_mask(None, torch.float32) is None
    assert padding_mask(torch.ones(2, 5, dtype=torch.long), torch.float32) is None
    mask = padding_mask(torch.tensor([[1, 1, 0]]), torch.float16, query_length=2)
    assert mask.shape == (1, 1, 2, 3) and mask.dtype == torch.float16
    assert mask[0, 0, 0].tolist() == [0, 0, torch.finfo(torch.float16).min]
    additive = torch.zeros(1, 1, 3, 3)
    assert padding_mask(additive, torch.float16).dtype == torch.float16


def test_attention_dropout_only_changes_results_when_asked():
    query, key, value = _qkv()
    a, _ = attention(query, key, value)
    b, _ = attention(query, key, value, dropout_p=0.0)
    assert torch.equal(a, b)
    torch.manual_seed(0)
    c, _ = attention(query, key, value, dropout_p=0.5, implementation="eager")
    assert not torch.allclose(a, c)


# ---------------------------------------------------------------- activations
REFERENCE_ACTIVATIONS = [
    "gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "gelu_python", "gelu_accurate",
    "gelu_10", "quick_gelu", "relu", "relu2", "relu6", "leaky_relu", "silu", "swish", "tanh",
    "sigmoid", "mish", "linear",
]  # fmt: skip


@pytest.mark.parametrize("name", REFERENCE_ACTIVATIONS)
def test_activations_match_the_reference(name):
    activations = pytest.importorskip("transformers.activations")
    x = torch.linspace(-12, 12, 4001)
    expected = activations.ACT2FN[name](x)
    assert (activation_fn(name)(x) - expected).abs().max() <= 1e-5
    assert (get_activation(name)(x) - expected).abs().max() <= 1e-5


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("name", [*REFERENCE_ACTIVATIONS, "gelu_python_tanh"])
def test_activations_round_as_the_reference_in_half_precision(name, dtype):
    """Bitwise in bf16/fp16: one kernel's single rounding would differ by a half-precision step
    from the reference's op-by-op formulas and change greedy ids (seen for GPT-2 in bf16)."""
    activations = pytest.importorskip("transformers.activations")
    x = torch.linspace(-12, 12, 4001).to(dtype)
    assert torch.equal(activation_fn(name)(x), activations.ACT2FN[name](x))


def test_every_listed_activation_runs_and_unknown_names_raise():
    x = torch.randn(7)
    for name in ACTIVATIONS:
        assert activation_fn(name)(x).shape == x.shape
    assert activation_fn("GELU") is F.gelu
    with pytest.raises(ConfigError, match="Unknown activation function 'nope'"):
        get_activation("nope")


# ---------------------------------------------------------------- losses
class _Config:
    def __init__(self, num_labels, problem_type=None):
        self.num_labels = num_labels
        self.problem_type = problem_type


def test_sequence_classification_loss_picks_the_problem_type_like_the_reference():
    logits = torch.randn(4, 3)
    config = _Config(3)
    loss = sequence_classification_loss(logits, torch.tensor([0, 2, 1, 1]), config)
    assert config.problem_type == "single_label_classification"
    assert torch.allclose(loss, F.cross_entropy(logits, torch.tensor([0, 2, 1, 1])))

    config = _Config(3)
    targets = torch.randint(0, 2, (4, 3)).float()
    loss = sequence_classification_loss(logits, targets, config)
    assert config.problem_type == "multi_label_classification"
    assert torch.allclose(loss, F.binary_cross_entropy_with_logits(logits, targets))

    config = _Config(1)
    values = torch.randn(4)
    loss = sequence_classification_loss(logits[:, :1], values, config)
    assert config.problem_type == "regression"
    assert torch.allclose(loss, F.mse_loss(logits[:, 0], values))

    config = _Config(3, "regression")  # an explicit problem type wins
    loss = sequence_classification_loss(logits, targets, config)
    assert torch.allclose(loss, F.mse_loss(logits, targets))


def test_token_span_and_causal_losses():
    logits = torch.randn(2, 5, 7)
    labels = torch.randint(0, 7, (2, 5))
    labels[0, 0] = -100
    expected = F.cross_entropy(logits.view(-1, 7), labels.view(-1))
    assert torch.allclose(token_classification_loss(logits, labels), expected)

    shifted = F.cross_entropy(logits[:, :-1].reshape(-1, 7), labels[:, 1:].reshape(-1))
    assert torch.allclose(causal_lm_loss(logits, labels), shifted)

    start, end = torch.randn(2, 5), torch.randn(2, 5)
    loss = span_loss(start, end, torch.tensor([1, 9]), torch.tensor([2, 3]))  # 9: out of range
    expected = (
        F.cross_entropy(start[:1], torch.tensor([1])) + F.cross_entropy(end, torch.tensor([2, 3]))
    ) / 2
    assert torch.allclose(loss, expected)


# ---------------------------------------------------------------- outputs
def test_model_output_access_like_the_reference():
    logits = torch.randn(2, 3)
    out = SequenceClassifierOutput(logits=logits)
    assert out.logits is logits and out["logits"] is logits and out[0] is logits
    assert out.loss is None and "loss" not in out and list(out.keys()) == ["logits"]
    assert out.to_tuple() == (logits,)
    with pytest.raises(KeyError):
        out["loss"]
    out.loss = torch.tensor(1.0)
    assert list(out.keys()) == ["logits", "loss"] and out[1] is out.loss
    full = BaseModelOutputWithPooling(logits, None, (logits,), None)
    assert len(full.to_tuple()) == 2 and full[1] == (logits,)
    assert dict(**full).keys() == {"last_hidden_state", "hidden_states"}
    copy = pickle.loads(pickle.dumps(out))
    assert type(copy) is SequenceClassifierOutput and torch.equal(copy.logits, logits)
    assert repr(out).startswith("SequenceClassifierOutput(logits=")


def test_importing_modeling_does_not_import_torch():
    code = "import sys, tfx_core.modeling, tfx_core.modeling.outputs; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


# ---------------------------------------------------------------- linear
@pytest.mark.parametrize("shape", [(1, 768), (2, 8, 768), (300, 768), (0, 768)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_f_linear_for_few_and_many_rows(shape, with_bias):
    from tfx_core.modeling.torch import Linear, linear

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=generator)
    weight = torch.randn(512, 768, generator=generator) * 0.05
    bias = torch.randn(512, generator=generator) if with_bias else None
    expected = F.linear(x, weight, bias)
    with torch.inference_mode():
        got = linear(x, weight, bias)
    assert got.shape == expected.shape and got.is_contiguous()
    assert (got - expected).abs().max() <= 1e-5 if got.numel() else True
    layer = Linear(768, 512, bias=with_bias)
    assert isinstance(layer, torch.nn.Linear) and set(layer.state_dict()) == set(
        torch.nn.Linear(768, 512, bias=with_bias).state_dict()
    )
    out = layer(x)  # with autograd: the plain path, gradients flow
    if out.numel():
        out.sum().backward()
        assert layer.weight.grad is not None
