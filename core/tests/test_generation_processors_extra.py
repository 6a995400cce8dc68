"""The processors and criteria of `processors_extra` / `stopping` give the reference's scores."""

import time

import pytest
import torch

from tfx_core import generation as G
from tfx_core.errors import GenerationError

lp = pytest.importorskip("transformers.generation.logits_process")
sc = pytest.importorskip("transformers.generation.stopping_criteria")


@pytest.fixture
def inputs():
    generator = torch.Generator().manual_seed(1)
    scores = torch.randn(4, 40, generator=generator) * 3
    input_ids = torch.randint(0, 40, (4, 12), generator=generator)
    input_ids[0, -2:] = torch.tensor([5, 6])  # ends with the prefix of a biased sequence
    input_ids[2, -3:] = torch.tensor([7, 5, 6])
    return input_ids, scores


ENCODER_IDS = torch.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 2]])


def allowed(batch_id, ids):
    return [int(ids[-1]) % 40, (batch_id * 7) % 40, 3]


PAIRS = {
    "typical": (lambda m: m.TypicalLogitsWarper(0.8), None),
    "typical-keep": (lambda m: m.TypicalLogitsWarper(0.2, min_tokens_to_keep=3), None),
    "epsilon": (lambda m: m.EpsilonLogitsWarper(0.02), None),
    "epsilon-keep": (lambda m: m.EpsilonLogitsWarper(0.5, min_tokens_to_keep=2), None),
    "eta": (lambda m: m.EtaLogitsWarper(0.05), None),
    "eta-keep": (lambda m: m.EtaLogitsWarper(0.9, min_tokens_to_keep=4), None),
    "sequence-bias": (
        lambda m: m.SequenceBiasLogitsProcessor([[[5, 6, 9], 4.0], [[11], -2.5], [[6, 1], 1.0]]),
        None,
    ),
    "sequence-bias-dict": (
        lambda m: m.SequenceBiasLogitsProcessor({(5, 6, 9): -3.0, (3,): 2.0}),
        None,
    ),
    "bad-words": (lambda m: m.NoBadWordsLogitsProcessor([[5, 6, 9], [12], [2]], [2]), None),
    "prefix": (lambda m: m.PrefixConstrainedLogitsProcessor(allowed, 2), None),
    "encoder-repetition": (
        lambda m: m.EncoderRepetitionPenaltyLogitsProcessor(1.7, ENCODER_IDS),
        None,
    ),
    "exp-decay-off": (lambda m: m.ExponentialDecayLengthPenalty((5, 1.5), [3, 4], 8), None),
    "exp-decay-on": (lambda m: m.ExponentialDecayLengthPenalty((1, 1.3), 3, 8), None),
    "normalize": (lambda m: m.LogitNormalization(), None),
    "cfg": (lambda m: m.ClassifierFreeGuidanceLogitsProcessor(1.5), "half-ids"),
    "codebooks-first": (lambda m: m.AlternatingCodebooksLogitsProcessor(10, 8, 16), None),
    "codebooks-second": (lambda m: m.AlternatingCodebooksLogitsProcessor(11, 8, 16), None),
    "repetition-ignoring-prompt": (
        lambda m: m.RepetitionPenaltyLogitsProcessor(1.4, prompt_ignore_length=9),
        None,
    ),
    "suppress-device": (lambda m: m.SuppressTokensLogitsProcessor([1, 3], device="cpu"), None),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_same_scores_as_reference(inputs, name):
    make, mode = PAIRS[name]
    input_ids, scores = inputs
    if mode == "half-ids":
        input_ids = input_ids[:2]
    ours, reference = make(G), make(lp)
    expected = reference(input_ids.clone(), scores.clone())
    got = ours(input_ids.clone(), scores.clone())
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)


def test_inf_nan_removal_as_reference():
    scores = torch.tensor([[1.0, float("nan"), float("inf"), -float("inf")]])
    ids = torch.zeros(1, 2, dtype=torch.long)
    expected = lp.InfNanRemoveLogitsProcessor()(ids, scores.clone())
    torch.testing.assert_close(G.InfNanRemoveLogitsProcessor()(ids, scores), expected)


def test_unbatched_guidance_as_reference():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(
        transformers.GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=40, n_positions=32)
    ).eval()
    prompt = torch.tensor([[4, 9, 2], [7, 1, 3]])
    negative = torch.tensor([[5], [6]])
    ours = G.UnbatchedClassifierFreeGuidanceLogitsProcessor(2.0, model, negative)
    reference = lp.UnbatchedClassifierFreeGuidanceLogitsProcessor(2.0, model, negative)
    ids = prompt
    for step in range(3):  # the second pass keeps its own cache across steps
        scores = torch.randn(2, 40, generator=torch.Generator().manual_seed(step))
        with torch.no_grad():
            expected = reference(ids, scores.clone())
        got = ours(ids, scores.clone())
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
        ids = torch.cat([ids, got.argmax(-1, keepdim=True)], dim=1)


def test_stopping_criteria_as_reference():
    ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    now = time.time()
    for start in (now - 10, now):
        ours = G.MaxTimeCriteria(5.0, initial_timestamp=start)(ids, None)
        expected = sc.MaxTimeCriteria(5.0, initial_timestamp=start)(ids, None)
        assert ours.tolist() == expected.tolist()
    scores = (torch.randn(2, 10, generator=torch.Generator().manual_seed(0)),)
    for threshold in (0.01, 0.99):
        assert G.ConfidenceCriteria(threshold)(ids, scores) == sc.ConfidenceCriteria(threshold)(
            ids, scores
        )


@pytest.mark.parametrize(
    "make",
    [
        lambda: G.TypicalLogitsWarper(1.5),
        lambda: G.EpsilonLogitsWarper(0.0),
        lambda: G.EtaLogitsWarper(0.1, min_tokens_to_keep=0),
        lambda: G.SequenceBiasLogitsProcessor({(1,): 1}),
        lambda: G.SequenceBiasLogitsProcessor([]),
        lambda: G.NoBadWordsLogitsProcessor([[1, -2]]),
        lambda: G.NoBadWordsLogitsProcessor([[2]], eos_token_id=2),
        lambda: G.ClassifierFreeGuidanceLogitsProcessor(0.5),
        lambda: G.EncoderRepetitionPenaltyLogitsProcessor(0, ENCODER_IDS),
        lambda: G.MaxTimeCriteria(-1),
    ],
)
def test_bad_parameters_are_typed_errors(make):
    with pytest.raises(GenerationError):
        make()


def test_call_time_errors_are_typed(inputs):
    input_ids, scores = inputs
    with pytest.raises(GenerationError, match="no token"):
        G.PrefixConstrainedLogitsProcessor(lambda batch_id, ids: [], 1)(input_ids, scores)
    with pytest.raises(GenerationError, match="vocabulary has 40"):
        G.SequenceBiasLogitsProcessor({(41,): 1.0})(input_ids, scores)
    with pytest.raises(GenerationError, match="twice the batch"):
        G.ClassifierFreeGuidanceLogitsProcessor(2.0)(input_ids, scores)


@pytest.mark.parametrize("scheme, width", [("lefthash", 1), ("selfhash", 1), ("lefthash", 3)])
def test_watermark_same_scores_as_reference(inputs, scheme, width):
    input_ids, scores = inputs
    options = dict(greenlist_ratio=0.3, bias=2.5, seeding_scheme=scheme, context_width=width)
    ours = G.WatermarkLogitsProcessor(40, "cpu", **options)
    reference = lp.WatermarkLogitsProcessor(40, "cpu", **options)
    for step in range(2):  # the generator is reseeded from the context at every step
        ids = torch.cat([input_ids, input_ids[:, :step]], dim=1)
        torch.testing.assert_close(ours(ids, scores.clone()), reference(ids, scores.clone()))


def test_watermark_config_is_checked():
    from tfx_core.generation.watermark import watermark_from_config

    with pytest.raises(GenerationError, match="seeding_scheme"):
        watermark_from_config({"seeding_scheme": "nohash"})
    with pytest.raises(GenerationError, match="ngram_len"):
        watermark_from_config({"ngram_len": 5})  # SynthID without its keys
