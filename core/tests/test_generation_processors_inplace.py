"""`apply_`: the decoding loops' in-place processing equals calling the processors."""

import torch

from tfx_core.generation.processors import (
    ForcedEOSTokenLogitsProcessor,
    LogitsProcessorList,
    MinLengthLogitsProcessor,
    MinNewTokensLengthLogitsProcessor,
    SuppressTokensAtBeginLogitsProcessor,
    SuppressTokensLogitsProcessor,
)

IDS = torch.tensor([[3, 4, 5], [6, 7, 8]])


def _processors() -> LogitsProcessorList:
    return LogitsProcessorList(
        [
            MinLengthLogitsProcessor(5, [2, 50]),  # 50: outside the vocabulary, ignored
            MinNewTokensLengthLogitsProcessor(1, 3, 2),
            SuppressTokensLogitsProcessor([7, 9]),
            SuppressTokensAtBeginLogitsProcessor([4], begin_index=3),
            ForcedEOSTokenLogitsProcessor(4, 2),
            lambda input_ids, scores: scores * 2.0,  # a plain callable
        ]
    )


def test_apply_in_place_equals_call_and_call_leaves_input_alone():
    scores = torch.randn(2, 12)
    original = scores.clone()
    expected = _processors()(IDS, scores)
    assert torch.equal(scores, original)
    buffer = scores.clone()
    assert torch.equal(_processors().apply_(IDS, buffer), expected)


def test_apply_writes_only_the_suppressed_columns():
    buffer = torch.randn(2, 12)
    before = buffer.clone()
    out = MinNewTokensLengthLogitsProcessor(0, 5, [2, 3]).apply_(IDS, buffer)
    assert out is buffer
    assert torch.isneginf(buffer[:, [2, 3]]).all()
    keep = [i for i in range(12) if i not in (2, 3)]
    assert torch.equal(buffer[:, keep], before[:, keep])
    inactive = MinNewTokensLengthLogitsProcessor(0, 2, [2]).apply_(IDS, before.clone())
    assert torch.equal(inactive, before)


def test_subclass_overriding_call_is_honoured_in_place():
    class OnlyFirstRow(SuppressTokensLogitsProcessor):
        def __call__(self, input_ids, scores):
            out = scores.clone()
            out[0, self.token_ids] = -float("inf")
            return out

    scores = torch.zeros(2, 6)
    out = OnlyFirstRow([1]).apply_(IDS, scores)
    assert torch.isneginf(out[0, 1]) and out[1, 1] == 0
