"""XLM against the reference on what the kit's dummy inputs do not reach.

Languages (`langs`), token types (embedded through the word table), `lengths` instead of a mask,
padding ids without a mask, causal mode, sinusoidal positions with ReLU, and the beam-search
SQuAD head (training loss with answerability, `p_mask`, tuples): each compared with the
`transformers` class on the same weights, moved both ways through files (`check_parity`).
"""

from __future__ import annotations

import pytest
import torch
from tfx_plugin_xlm import modeling_xlm
from tfx_plugin_xlm.configuration_xlm import XLMConfig

from tfx_core.errors import ConfigError

transformers = pytest.importorskip("transformers")

TINY = {
    "vocab_size": 99,
    "emb_dim": 32,
    "n_layers": 2,
    "n_heads": 4,
    "n_langs": 3,
    "max_position_embeddings": 64,
    "num_labels": 3,
    "start_n_top": 3,
    "end_n_top": 2,
}
HIDDEN = ("hidden_states", "attentions")
HEADS = {
    "XLMModel": ("last_hidden_state", *HIDDEN),
    "XLMWithLMHeadModel": ("logits", *HIDDEN),
    "XLMForSequenceClassification": ("logits", *HIDDEN),
    "XLMForTokenClassification": ("logits", *HIDDEN),
    "XLMForQuestionAnsweringSimple": ("start_logits", "end_logits", *HIDDEN),
    "XLMForQuestionAnswering": (
        "start_top_log_probs",
        "start_top_index",
        "end_top_log_probs",
        "end_top_index",
        "cls_logits",
        *HIDDEN,
    ),
}


def _inputs(batch: int = 2, length: int = 7, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(5, TINY["vocab_size"], (batch, length), generator=generator)
    attention_mask = torch.ones(batch, length, dtype=torch.long)
    attention_mask[-1, -2:] = 0
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "langs": torch.randint(0, TINY["n_langs"], (batch, length), generator=generator),
        "token_type_ids": torch.randint(0, 2, (batch, length), generator=generator),
    }


def _config(**overrides) -> transformers.XLMConfig:
    fields = {**TINY, **overrides}
    return transformers.XLMConfig(**fields)


@pytest.mark.parametrize("name", sorted(HEADS))
def test_heads_with_languages_and_token_types(check_parity, name):
    labels = {"num_labels": 2} if name == "XLMForQuestionAnsweringSimple" else {}
    inputs = _inputs()
    if name == "XLMForQuestionAnswering":
        # padding positions have equal (zeroed) states, so their end scores tie exactly and
        # either library may rank them first; SQuAD inputs mask them with p_mask anyway
        inputs["p_mask"] = 1.0 - inputs["attention_mask"].float()
    check_parity(
        getattr(modeling_xlm, name),
        getattr(transformers, name),
        _config(**labels),
        inputs,
        HEADS[name],
    )


def test_multiple_choice_with_languages(check_parity):
    inputs = {k: v[:, None].expand(-1, 3, -1).contiguous() for k, v in _inputs().items()}
    check_parity(
        modeling_xlm.XLMForMultipleChoice,
        transformers.XLMForMultipleChoice,
        _config(),
        inputs,
        ("logits", *HIDDEN),
    )


@pytest.mark.parametrize(
    "variant",
    ["lengths", "padding ids, no mask", "causal", "sinusoidal relu", "mean summary tanh"],
)
def test_options(check_parity, variant):
    inputs = _inputs()
    overrides: dict = {}
    if variant == "lengths":
        del inputs["attention_mask"]
        inputs["lengths"] = torch.tensor([7, 4])
    elif variant == "padding ids, no mask":
        del inputs["attention_mask"]
        inputs["input_ids"][1, -3:] = TINY.get("pad_index", 2)
    elif variant == "causal":
        overrides = {"causal": True}
    elif variant == "sinusoidal relu":
        overrides = {"sinusoidal_embeddings": True, "gelu_activation": False, "use_lang_emb": False}
    else:
        overrides = {"summary_type": "mean", "summary_activation": "tanh"}
    for name in ("XLMWithLMHeadModel", "XLMForSequenceClassification"):
        check_parity(
            getattr(modeling_xlm, name),
            getattr(transformers, name),
            _config(**overrides),
            inputs,
            HEADS[name],
        )


def test_beam_head_training_loss_and_p_mask(check_parity):
    inputs = _inputs()
    p_mask = torch.zeros(2, 7)
    p_mask[:, 0] = 1.0
    p_mask[1, -2:] = 1.0
    check_parity(
        modeling_xlm.XLMForQuestionAnswering,
        transformers.XLMForQuestionAnswering,
        _config(),
        {**inputs, "p_mask": p_mask},
        ("start_top_log_probs", "start_top_index", "end_top_index", "cls_logits"),
    )
    labels = {
        "start_positions": torch.tensor([1, 2]),
        "end_positions": torch.tensor([3, 4]),
        "cls_index": torch.tensor([0, 0]),
        "is_impossible": torch.tensor([0.0, 1.0]),
    }
    ours, theirs = check_parity(
        modeling_xlm.XLMForQuestionAnswering,
        transformers.XLMForQuestionAnswering,
        _config(),
        {**inputs, **labels},
        ("loss",),
    )
    with torch.no_grad():
        plain = ours(**inputs, p_mask=p_mask, return_dict=False)
        expected = theirs(**inputs, p_mask=p_mask, return_dict=False)
    assert len(plain) == len(expected) == 5  # start/end beams, cls logits; no hidden states
    for a, b in zip(plain, expected):
        assert (a.float() - b.float()).abs().max() <= 1e-5


def test_bad_inputs_raise_typed_errors():
    config = XLMConfig(**TINY)
    model = modeling_xlm.XLMModel(config).eval()
    ids = torch.randint(5, 99, (2, 5))
    with pytest.raises(ConfigError, match="cache"):
        model(ids, cache={})
    with pytest.raises(ConfigError, match="lengths"):
        model(ids, lengths=torch.tensor([9, 2]))
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        model(torch.randint(5, 99, (1, 65)))
    with pytest.raises(ConfigError, match="asm"):
        modeling_xlm.XLMWithLMHeadModel(XLMConfig(**TINY, asm=True))
    with pytest.raises(ConfigError, match="n_heads"):
        XLMConfig(**{**TINY, "n_heads": 5}).validate()


def test_lm_head_is_tied_and_saved_once(tmp_path):
    model = modeling_xlm.XLMWithLMHeadModel(XLMConfig(**TINY))
    assert model.pred_layer.proj.weight is model.transformer.embeddings.weight
    model.save_pretrained(tmp_path)
    reference = transformers.XLMWithLMHeadModel.from_pretrained(tmp_path)
    assert torch.equal(reference.pred_layer.proj.weight, model.pred_layer.proj.weight.detach())


def test_fused_projections_match_the_modules():
    from tfx_core.modeling.torch.fast_paths import fast_paths

    model = modeling_xlm.XLMForSequenceClassification(XLMConfig(**TINY)).eval()
    inputs = _inputs()
    with torch.no_grad():
        fast = model(**inputs).logits
        with fast_paths(False):
            plain = model(**inputs).logits
    assert (fast - plain).abs().max() <= 1e-5


@pytest.mark.parametrize(
    "options", [{}, {"num_beams": 3}, {"num_beams": 2, "num_return_sequences": 2}]
)
def test_generate_matches_the_reference(tmp_path, options):
    from tfx_core import AutoModelForCausalLM
    from tfx_sdk.conformance.parity import perturb

    config = _config(causal=True, lang_id=1, mask_token_id=5)
    theirs = transformers.XLMWithLMHeadModel(config).eval()
    perturb(theirs)
    theirs.save_pretrained(tmp_path)
    ours = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert type(ours).__name__ == "XLMWithLMHeadModel"
    prompt = _inputs()["input_ids"][:, :4]
    kwargs = {"max_new_tokens": 5, "do_sample": False, "pad_token_id": 2, **options}
    assert torch.equal(ours.generate(prompt, **kwargs), theirs.generate(prompt, **kwargs))
