"""BART against transformers on a tiny random checkpoint saved by the reference: outputs with
padding on both sides, losses, generation (greedy, beam, sampling) and loading edge cases."""

from pathlib import Path

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file
from tfx_plugin_bart import modeling_bart

from tfx_core import AutoModelForSeq2SeqLM
from tfx_core.errors import ConfigError, GenerationError


@pytest.fixture(scope="module")
def checkpoint(bart_reference) -> tuple[Path, torch.nn.Module]:
    """A reference BartForConditionalGeneration whose bias makes </s> likely (rows end early)."""

    def likely_end(reference):
        reference.final_logits_bias.normal_(0, 0.5)
        reference.final_logits_bias[0, 2] = 1.5

    return bart_reference(0, "bart", likely_end)


@pytest.fixture(scope="module")
def ours(checkpoint):
    model = modeling_bart.BartForConditionalGeneration.from_pretrained(checkpoint[0]).eval()
    assert model.load_report.missing == [] and model.load_report.unexpected == []
    return model


SOURCE = torch.tensor([[0, 5, 6, 7, 8, 9, 10, 2], [0, 11, 12, 13, 2, 1, 1, 1]])
TARGET = torch.tensor([[2, 0, 14, 15, 16, 17], [2, 0, 18, 19, 1, 1]])


def _batch() -> dict:
    return {
        "input_ids": SOURCE,
        "attention_mask": (SOURCE != 1).long(),
        "decoder_input_ids": TARGET,
        "decoder_attention_mask": (TARGET != 1).long(),
    }


def _assert_close(a, b, name):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b), name
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_close(x, y, f"{name}[{index}]")
    elif isinstance(a, torch.Tensor):
        assert a.shape == b.shape, name
        assert (a - b).abs().max() <= 1e-5, name


def test_outputs_match_with_padding_on_both_sides(checkpoint, ours):
    reference = transformers.BartForConditionalGeneration.from_pretrained(
        checkpoint[0],
        attn_implementation="eager",  # the reference's SDPA returns no weights
    ).eval()
    flags = dict(output_attentions=True, output_hidden_states=True)
    with torch.no_grad():
        expected = reference(**_batch(), **flags)
        got = ours(**_batch(), **flags)
    names = [key for key in expected if key != "past_key_values"]
    assert names == [key for key in got if key != "past_key_values"]
    for name in names:
        _assert_close(got[name], expected[name], name)


def test_loss_from_labels_shifts_them_like_the_reference(checkpoint, ours):
    labels = torch.tensor([[5, 6, 7, 2, -100], [8, 9, 10, 11, 2]])
    batch = {"input_ids": SOURCE, "attention_mask": (SOURCE != 1).long(), "labels": labels}
    with torch.no_grad():
        expected, got = checkpoint[1](**batch), ours(**batch)
    assert abs(expected.loss.item() - got.loss.item()) <= 1e-5
    _assert_close(got.logits, expected.logits, "logits")


def test_incremental_decoding_matches_the_full_forward(ours):
    batch = _batch()
    with torch.no_grad():
        full = ours(**batch).logits
        step = ours(**{**batch, "decoder_input_ids": TARGET[:, :3], "decoder_attention_mask": None})
        cache = step.past_key_values
        assert cache.get_seq_length() == 3
        nxt = ours(
            input_ids=SOURCE,
            attention_mask=batch["attention_mask"],
            decoder_input_ids=TARGET[:1, 3:4].expand(2, 1),
            past_key_values=cache,
        ).logits
    assert (nxt[0, -1] - full[0, 3]).abs().max() <= 1e-5


CASES = {
    "greedy": dict(max_new_tokens=12),
    "greedy_min_length": dict(max_new_tokens=12, min_length=9),
    "forced_bos_eos": dict(max_length=9, forced_bos_token_id=0),
    "beam4": dict(num_beams=4, max_new_tokens=12),
    "beam4_options": dict(
        num_beams=4,
        max_new_tokens=12,
        length_penalty=2.0,
        no_repeat_ngram_size=2,
        num_return_sequences=3,
    ),
    "beam4_early_stopping": dict(num_beams=4, max_new_tokens=12, early_stopping=True),
    "beam4_never": dict(num_beams=4, max_new_tokens=12, early_stopping="never", length_penalty=0.5),
    "sample_top_k": dict(do_sample=True, max_new_tokens=12, top_k=20),
    "sample_top_p_two_each": dict(
        do_sample=True, max_new_tokens=12, top_p=0.9, num_return_sequences=2
    ),
    "beam_sample": dict(do_sample=True, num_beams=3, max_new_tokens=8),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generate_matches_the_reference(checkpoint, ours, case):
    options = CASES[case]
    inputs = {"input_ids": SOURCE, "attention_mask": (SOURCE != 1).long()}
    torch.manual_seed(7)
    expected = checkpoint[1].generate(**inputs, **options)
    torch.manual_seed(7)
    got = ours.generate(**inputs, **options)
    assert got.shape == expected.shape and torch.equal(got, expected)


def test_some_rows_end_early_so_the_finishing_paths_run(ours):
    inputs = {"input_ids": SOURCE, "attention_mask": (SOURCE != 1).long()}
    greedy = ours.generate(**inputs, max_new_tokens=12, forced_eos_token_id=None)
    assert bool((greedy[:, 1:] == 2).any())


def test_encoder_outputs_reuse_and_output_object(checkpoint, ours):
    mask = (SOURCE != 1).long()
    encoded = ours.get_encoder()(input_ids=SOURCE, attention_mask=mask)
    reused = ours.generate(encoder_outputs=encoded, attention_mask=mask, num_beams=4)
    assert torch.equal(reused, checkpoint[1].generate(SOURCE, attention_mask=mask, num_beams=4))
    out = ours.generate(
        SOURCE,
        attention_mask=mask,
        max_new_tokens=4,
        return_dict_in_generate=True,
        output_scores=True,
        decoder_input_ids=torch.tensor([[2, 0], [2, 0]]),
    )
    assert type(out).__name__ == "GenerateEncoderDecoderOutput"
    assert out.sequences[:, :2].tolist() == [[2, 0], [2, 0]] and len(out.scores) >= 1


def test_streaming_yields_the_generated_ids(ours):
    class Collect:
        def __init__(self):
            self.chunks = []

        def put(self, value):
            self.chunks.append(value.reshape(-1).tolist())

        def end(self):
            self.chunks.append("end")

    streamer = Collect()
    ids = ours.generate(SOURCE[:1], max_new_tokens=6, streamer=streamer)
    assert streamer.chunks[-1] == "end"
    streamed = [token for chunk in streamer.chunks[:-1] for token in chunk]
    assert streamed == ids[0].tolist()


def test_generate_errors_are_typed(ours):
    with pytest.raises(GenerationError, match="input_ids"):
        ours.generate(max_new_tokens=3)
    with pytest.raises(GenerationError, match="truncate"):
        ours.generate(torch.full((1, 41), 5), max_new_tokens=3)
    with pytest.raises(GenerationError, match="vocabulary"):
        ours.generate(torch.tensor([[0, 500, 2]]), max_new_tokens=3)
    with pytest.raises(GenerationError, match="decoder_input_ids"):
        ours.generate(SOURCE, decoder_input_ids=torch.tensor([[2]]), max_new_tokens=3)
    with pytest.raises(ConfigError, match="decoder_input_ids"):
        ours.model(inputs_embeds=torch.zeros(1, 3, 16))


def test_round_trip_through_files_both_ways(checkpoint, ours, tmp_path):
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.BartForConditionalGeneration.from_pretrained(tmp_path / "ours").eval()
    with torch.no_grad():
        _assert_close(back(**_batch()).logits, checkpoint[1](**_batch()).logits, "logits")
    auto = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "ours")
    assert type(auto).__name__ == "BartForConditionalGeneration"


def test_embeddings_stored_only_in_the_decoder_load(checkpoint, ours, tmp_path):
    """Like facebook/bart-large-cnn: no `model.shared.weight`, only `decoder.embed_tokens`."""
    state = load_file(checkpoint[0] / "model.safetensors")
    state["model.decoder.embed_tokens.weight"] = state.pop("model.shared.weight")
    (tmp_path / "config.json").write_text((checkpoint[0] / "config.json").read_text())
    save_file(state, tmp_path / "model.safetensors", metadata={"format": "pt"})
    model = modeling_bart.BartForConditionalGeneration.from_pretrained(tmp_path)
    assert model.load_report.missing == []
    assert torch.equal(model.model.shared.weight, ours.model.shared.weight)
    assert model.lm_head.weight is model.model.shared.weight


def test_kit_catches_a_decoder_that_ignores_the_encoder_mask(ours, monkeypatch, bart_tiny):
    from tfx_sdk.conformance import PluginTester
    from tfx_sdk.conformance.checks_seq2seq import check_seq2seq_generation
    from tfx_sdk.conformance.failures import ConformanceFailure
    from tfx_sdk.conformance.subject import Subject

    tester = PluginTester(model_type="bart", config=bart_tiny)
    subject = Subject(tester)
    check_seq2seq_generation(subject, "seq2seq-lm", ours)  # the real model passes
    original = type(ours)._seq2seq_decode_forward

    def unmasked(self, ids, *, encoder_attention_mask, **kwargs):
        return original(self, ids, encoder_attention_mask=None, **kwargs)

    monkeypatch.setattr(type(ours), "_seq2seq_decode_forward", unmasked)
    with pytest.raises(ConformanceFailure):
        check_seq2seq_generation(subject, "seq2seq-lm", ours)


def test_lean_decode_steps_equal_the_module_path(ours):
    """generate's lean one-token steps run the modules' math: same ids, same step logits."""
    options = dict(
        attention_mask=(SOURCE != 1).long(),
        num_beams=3,
        max_new_tokens=8,
        return_dict_in_generate=True,
        output_logits=True,
    )
    lean = ours.generate(SOURCE, **options)
    assert ours.__dict__["_seq2seq_plan"] is not None  # the plan was built and engaged
    layer = ours.model.decoder.layers[0]
    handle = layer.register_forward_hook(lambda module, args, output: None)  # forces modules
    try:
        modules = ours.generate(SOURCE, **options)
    finally:
        handle.remove()
    assert torch.equal(lean.sequences, modules.sequences)
    for a, b in zip(lean.logits, modules.logits, strict=True):
        assert (a - b).abs().max() <= 1e-5


def test_a_patched_decoder_layer_runs_during_generate(ours, monkeypatch):
    calls = []
    original = modeling_bart.BartDecoderLayer.forward

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(modeling_bart.BartDecoderLayer, "forward", counted)
    ours.generate(SOURCE[:1], max_new_tokens=4, min_new_tokens=4)
    assert len(calls) == 4 * len(ours.model.decoder.layers)


def test_head_masks_on_all_three_attentions_match_the_reference(checkpoint, ours):
    """`head_mask`, `decoder_head_mask` and `cross_attn_head_mask` silence the same heads."""
    reference = transformers.BartForConditionalGeneration.from_pretrained(
        checkpoint[0], attn_implementation="eager"
    ).eval()
    masks = dict(
        head_mask=torch.tensor([[1.0, 0.0, 1.0, 0.5], [0.0, 1.0, 1.0, 1.0]]),
        decoder_head_mask=torch.tensor([[1.0, 0.0], [1.0, 1.0]]),
        cross_attn_head_mask=torch.tensor([[0.0, 1.0], [1.0, 0.25]]),
    )
    flags = dict(output_attentions=True)
    with torch.no_grad():
        expected = reference(**_batch(), **masks, **flags)
        got = ours(**_batch(), **masks, **flags)
        unmasked = ours(**_batch(), **flags)
    for name in ("logits", "encoder_attentions", "decoder_attentions", "cross_attentions"):
        _assert_close(got[name], expected[name], name)
    assert (got.cross_attentions[0][:, 0] == 0).all()
    assert (got.logits - unmasked.logits).abs().max() > 1e-4
