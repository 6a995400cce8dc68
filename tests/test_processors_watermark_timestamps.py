"""SynthID Text watermarking and Whisper's timestamp rules: same scores as the reference's
processors on the same (seeded) inputs."""

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from transformers.generation import logits_process as ref  # noqa: E402

from tfx_core.errors import GenerationError  # noqa: E402
from tfx_core.generation import (  # noqa: E402
    SynthIDTextWatermarkLogitsProcessor,
    WhisperTimeStampLogitsProcessor,
)

SYNTHID = dict(
    ngram_len=3,
    keys=[654, 400, 836, 123],
    sampling_table_size=2**10,
    sampling_table_seed=0,
    context_history_size=4,
    device="cpu",
)


@pytest.mark.parametrize("skip_first", [False, True])
def test_synthid_scores_equal_reference_over_steps(skip_first):
    ours = SynthIDTextWatermarkLogitsProcessor(**SYNTHID, skip_first_ngram_calls=skip_first)
    theirs = ref.SynthIDTextWatermarkLogitsProcessor(**SYNTHID, skip_first_ngram_calls=skip_first)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 40, (3, 4), generator=generator)
    changed = False
    for step in range(8):
        scores = torch.randn(3, 40, generator=generator)
        if step == 5:  # a repeated context leaves the scores alone
            ids = torch.cat([ids, ids[:, -2:-1]], dim=1)
        mine, expected = ours(ids, scores.clone()), theirs(ids, scores.clone())
        assert torch.allclose(mine, expected, atol=1e-6), step
        changed |= not torch.allclose(mine, scores)
        ids = torch.cat([ids, mine.argmax(-1, keepdim=True)], dim=1)
    assert changed


def test_synthid_detection_helpers_equal_reference():
    ours = SynthIDTextWatermarkLogitsProcessor(**SYNTHID)
    theirs = ref.SynthIDTextWatermarkLogitsProcessor(**SYNTHID)
    ids = torch.randint(0, 40, (2, 12), generator=torch.Generator().manual_seed(3))
    ids[1, 4:6] = ids[1, 1:3]  # a repeated context
    ids[0, 9] = 7
    assert torch.equal(ours.compute_g_values(ids), theirs.compute_g_values(ids))
    assert torch.equal(
        ours.compute_context_repetition_mask(ids), theirs.compute_context_repetition_mask(ids)
    )
    assert torch.equal(ours.compute_eos_token_mask(ids, 7), theirs.compute_eos_token_mask(ids, 7))
    assert ours.expected_mean_g_value(40) == theirs.expected_mean_g_value(40)
    with pytest.raises(GenerationError, match="input_ids"):
        ours(torch.zeros(3, dtype=torch.long), torch.zeros(1, 40))
    with pytest.raises(GenerationError, match="key"):
        SynthIDTextWatermarkLogitsProcessor(**{**SYNTHID, "keys": []})


def _whisper_config(**overrides):
    values = dict(no_timestamps_token_id=30, eos_token_id=28, max_initial_timestamp_index=3)
    values.update(overrides)
    return transformers.GenerationConfig(**values)


WHISPER_ROWS = [  # tokens after the two prompt tokens; >= 31 are timestamps
    [],
    [31],
    [31, 5, 6],
    [31, 5, 34],
    [31, 5, 34, 34],
    [33, 7, 35, 35, 2],
]


@pytest.mark.parametrize("detect", [True, False])
@pytest.mark.parametrize("max_initial", [3, None])
def test_whisper_timestamp_scores_equal_reference(detect, max_initial):
    config = _whisper_config(max_initial_timestamp_index=max_initial)
    ours = WhisperTimeStampLogitsProcessor(config, 2, _detect_timestamp_from_logprob=detect)
    theirs = ref.WhisperTimeStampLogitsProcessor(config, 2, _detect_timestamp_from_logprob=detect)
    generator = torch.Generator().manual_seed(1)
    for row in WHISPER_ROWS:
        ids = torch.tensor([[29, 1, *row]] * 2)
        scores = torch.randn(2, 40, generator=generator) * 3
        scores[1, 31:] += 4.0  # timestamps likely: forces a timestamp when allowed
        assert torch.equal(ours(ids, scores.clone()), theirs(ids, scores.clone())), row


def test_whisper_timestamp_needs_its_ids():
    with pytest.raises(GenerationError, match="no_timestamps_token_id"):
        WhisperTimeStampLogitsProcessor(transformers.GenerationConfig(eos_token_id=1), 1)
    with pytest.raises(GenerationError, match="begin_index"):
        WhisperTimeStampLogitsProcessor(_whisper_config(), None)


def test_synthid_watermarking_config_in_generate_matches_reference(tmp_path):
    pytest.importorskip("tfx_plugin_gpt2")
    from tfx_core import AutoModelForCausalLM

    config = transformers.GPT2Config(vocab_size=40, n_embd=16, n_layer=2, n_head=2, n_positions=32)
    torch.manual_seed(0)
    reference = transformers.GPT2LMHeadModel(config).eval()
    reference.save_pretrained(tmp_path)
    ours = AutoModelForCausalLM.from_pretrained(tmp_path)
    options = {key: SYNTHID[key] for key in SYNTHID if key != "device"}
    prompt = torch.tensor([[5, 8, 13, 2]])
    kwargs = dict(max_new_tokens=8, do_sample=False, pad_token_id=0)
    expected = reference.generate(
        prompt,
        watermarking_config=transformers.SynthIDTextWatermarkingConfig(**options),
        **kwargs,
    )
    assert torch.equal(ours.generate(prompt, watermarking_config=options, **kwargs), expected)
    assert not torch.equal(reference.generate(prompt, **kwargs), expected)  # it changed tokens
    with pytest.raises(GenerationError, match="keys"):
        ours.generate(prompt, watermarking_config={"ngram_len": 3}, **kwargs)
