"""Logits processors give exactly the reference's scores on the same inputs."""

import pytest
import torch

from tfx_core.errors import GenerationError
from tfx_core.generation import GenerationConfig
from tfx_core.generation import processors as P
from tfx_core.generation import stopping as S

lp = pytest.importorskip("transformers.generation.logits_process")


@pytest.fixture
def inputs():
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(4, 40, generator=generator) * 3
    scores[1, 7] = scores[1, 9]  # a tie, for top-k
    input_ids = torch.randint(0, 40, (4, 12), generator=generator)
    input_ids[0] = torch.tensor([1, 2, 3, 1, 2, 3, 1, 2, 5, 6, 1, 2])  # repeated n-grams
    input_ids[2, -3:] = torch.tensor([8, 8, 8])
    return input_ids, scores


PAIRS = [
    (P.TemperatureLogitsWarper(0.7), lambda: lp.TemperatureLogitsWarper(0.7)),
    (P.TopKLogitsWarper(5), lambda: lp.TopKLogitsWarper(5)),
    (
        P.TopKLogitsWarper(1, min_tokens_to_keep=3),
        lambda: lp.TopKLogitsWarper(1, min_tokens_to_keep=3),
    ),
    (P.TopPLogitsWarper(0.8), lambda: lp.TopPLogitsWarper(0.8)),
    (
        P.TopPLogitsWarper(0.3, min_tokens_to_keep=2),
        lambda: lp.TopPLogitsWarper(0.3, min_tokens_to_keep=2),
    ),
    (P.TopPLogitsWarper(1.0), lambda: lp.TopPLogitsWarper(1.0)),
    (P.MinPLogitsWarper(0.1), lambda: lp.MinPLogitsWarper(0.1)),
    (
        P.MinPLogitsWarper(0.9, min_tokens_to_keep=2),
        lambda: lp.MinPLogitsWarper(0.9, min_tokens_to_keep=2),
    ),
    (P.RepetitionPenaltyLogitsProcessor(1.3), lambda: lp.RepetitionPenaltyLogitsProcessor(1.3)),
    (P.RepetitionPenaltyLogitsProcessor(0.5), lambda: lp.RepetitionPenaltyLogitsProcessor(0.5)),
    (P.NoRepeatNGramLogitsProcessor(1), lambda: lp.NoRepeatNGramLogitsProcessor(1)),
    (P.NoRepeatNGramLogitsProcessor(2), lambda: lp.NoRepeatNGramLogitsProcessor(2)),
    (P.NoRepeatNGramLogitsProcessor(3), lambda: lp.NoRepeatNGramLogitsProcessor(3)),
    (P.NoRepeatNGramLogitsProcessor(13), lambda: lp.NoRepeatNGramLogitsProcessor(13)),
    (P.MinLengthLogitsProcessor(15, [3, 4]), lambda: lp.MinLengthLogitsProcessor(15, [3, 4])),
    (P.MinLengthLogitsProcessor(12, 3), lambda: lp.MinLengthLogitsProcessor(12, 3)),
    (
        P.MinNewTokensLengthLogitsProcessor(10, 5, 3),
        lambda: lp.MinNewTokensLengthLogitsProcessor(10, 5, 3),
    ),
    (P.SuppressTokensLogitsProcessor([1, 39]), lambda: lp.SuppressTokensLogitsProcessor([1, 39])),
    (
        P.SuppressTokensAtBeginLogitsProcessor([2], 12),
        lambda: lp.SuppressTokensAtBeginLogitsProcessor([2], 12),
    ),
    (P.ForcedEOSTokenLogitsProcessor(13, 3), lambda: lp.ForcedEOSTokenLogitsProcessor(13, 3)),
]


@pytest.mark.parametrize("ours, reference", PAIRS, ids=lambda p: type(p).__name__)
def test_same_scores_as_reference(inputs, ours, reference):
    input_ids, scores = inputs
    before = scores.clone()
    expected = reference()(input_ids, scores.clone())
    got = ours(input_ids, scores)
    assert torch.equal(got, expected)
    assert torch.equal(scores, before)  # never in place


def test_chain_in_reference_order(inputs):
    input_ids, scores = inputs
    config = GenerationConfig(
        do_sample=True,
        temperature=0.8,
        top_k=10,
        top_p=0.9,
        min_p=0.05,
        repetition_penalty=1.2,
        no_repeat_ngram_size=2,
        min_new_tokens=3,
        eos_token_id=3,
    )
    ours = P.build_logits_processors(config, prompt_length=11, eos_token_ids=[3])
    reference = lp.LogitsProcessorList(
        [
            lp.RepetitionPenaltyLogitsProcessor(1.2),
            lp.NoRepeatNGramLogitsProcessor(2),
            lp.MinNewTokensLengthLogitsProcessor(11, 3, [3]),
            lp.TemperatureLogitsWarper(0.8),
            lp.TopKLogitsWarper(10),
            lp.TopPLogitsWarper(0.9),
            lp.MinPLogitsWarper(0.05),
        ]
    )
    assert [type(p).__name__ for p in ours] == [type(p).__name__ for p in reference]
    assert torch.equal(ours(input_ids, scores), reference(input_ids, scores.clone()))


def test_no_warpers_without_sampling():
    config = GenerationConfig(top_k=5)
    assert len(P.build_logits_processors(config, prompt_length=3, eos_token_ids=[1])) == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: P.TemperatureLogitsWarper(0.0),
        lambda: P.TopPLogitsWarper(0.0),
        lambda: P.TopPLogitsWarper(1.1),
        lambda: P.TopKLogitsWarper(0),
        lambda: P.MinPLogitsWarper(1.5),
        lambda: P.RepetitionPenaltyLogitsProcessor(0.0),
        lambda: P.NoRepeatNGramLogitsProcessor(0),
    ],
)
def test_bad_parameters_are_typed_errors(make):
    with pytest.raises(GenerationError):
        make()


def test_stopping_criteria():
    ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    assert S.MaxLengthCriteria(3)(ids).tolist() == [True, True]
    assert S.MaxLengthCriteria(4)(ids).tolist() == [False, False]
    assert S.EosTokenCriteria([6, 9])(ids).tolist() == [False, True]


class CharTokenizer:
    """Token i decodes to the i-th piece; pieces may be partial UTF-8 bytes."""

    def __init__(self, pieces):
        self.pieces = [p.encode() if isinstance(p, str) else p for p in pieces]

    def decode(self, ids, **kwargs):
        return b"".join(self.pieces[i] for i in ids).decode("utf-8", errors="replace")


def test_stop_strings_on_decoded_text():
    tok = CharTokenizer(["a", "b", "st", "op", "stop", "x", b"\xe2", b"\x82\xac"])
    criteria = S.StopStringCriteria(tok, ["stop", "€"])
    assert criteria.matches([0, 2, 3])  # "a" "st" "op": the string spans two tokens
    assert criteria.matches([0, 4])
    assert criteria.matches([1, 2, 3, 5]) is False  # matched before the newest token
    assert criteria.matches([0, 6, 7])  # "€" completed by its second byte-level token
    assert not criteria.matches([0, 6])
    with pytest.raises(GenerationError):
        S.StopStringCriteria(None, ["x"])


@pytest.mark.parametrize("size", [1, 2, 3, 20])
@pytest.mark.parametrize("length", [0, 1, 2, 6])
@pytest.mark.parametrize("beams", [1, 2])
def test_encoder_no_repeat_ngram_same_scores_as_reference(size, length, beams):
    """Copies of the source's n-grams are banned per hypothesis, beams reading their own row."""
    generator = torch.Generator().manual_seed(size * 10 + length)
    source = torch.randint(0, 12, (2, 9), generator=generator)
    source[0, :4] = torch.tensor([3, 4, 5, 3])
    decoded = torch.randint(0, 12, (2 * beams, length), generator=generator)
    if length >= 2:
        decoded[0, -2:] = torch.tensor([3, 4])  # row 0 is about to copy "3 4 5"
    scores = torch.randn(2 * beams, 12, generator=generator)
    ours = P.EncoderNoRepeatNGramLogitsProcessor(size, source)(decoded, scores.clone())
    expected = lp.EncoderNoRepeatNGramLogitsProcessor(size, source)(decoded, scores.clone())
    assert torch.equal(ours, expected)
    if size == 3 and length >= 2:
        assert ours[0, 5] == -float("inf")


def test_encoder_no_repeat_ngram_needs_an_encoder_decoder_request():
    config = GenerationConfig(encoder_no_repeat_ngram_size=2)
    with pytest.raises(GenerationError, match="encoder-decoder"):
        P.build_logits_processors(config, prompt_length=3, eos_token_ids=[0])
    with pytest.raises(GenerationError, match="int > 0"):
        P.EncoderNoRepeatNGramLogitsProcessor(0, torch.tensor([[1, 2]]))
