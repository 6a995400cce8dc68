"""Every MobileBERT head against transformers with padding, token types and labels: logits,
losses, hidden states and attentions <= 1e-5 (fp32), weights moved both ways through files with
equal key sets (the kit's `check_parity`), on the checkpoints' layout and on the other layer
options (layer norm, no bottleneck, bottlenecked attention, unshared query/key input, no
trigrams, pooler without dense)."""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_mobilebert import modeling_mobilebert as ours  # noqa: E402
from tfx_plugin_mobilebert.configuration_mobilebert import MobileBertConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402

CONFIG = {
    "vocab_size": 99,
    "embedding_size": 16,
    "hidden_size": 32,
    "intra_bottleneck_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "num_feedforward_networks": 3,
    "max_position_embeddings": 64,
    "num_labels": 3,
}
B, T, C = 2, 9, 3
_STATES = ("hidden_states", "attentions")


def _inputs(shape: tuple[int, ...]) -> dict:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 99, shape, generator=generator)
    mask = torch.ones(shape, dtype=torch.long)
    mask[1:, ..., -3:] = 0  # later rows padded
    types = torch.zeros(shape, dtype=torch.long)
    types[..., 4:] = 1
    return {
        "input_ids": ids.masked_fill(mask == 0, 0),
        "attention_mask": mask,
        "token_type_ids": types,
    }


_MLM = {"labels": torch.randint(0, 99, (B, T))}
HEADS = {
    "MobileBertModel": ((B, T), {}, ("last_hidden_state", "pooler_output")),
    "MobileBertForPreTraining": (
        (B, T),
        {**_MLM, "next_sentence_label": torch.tensor([0, 1])},
        ("prediction_logits", "seq_relationship_logits", "loss"),
    ),
    "MobileBertForMaskedLM": ((B, T), _MLM, ("logits", "loss")),
    "MobileBertForNextSentencePrediction": (
        (B, T),
        {"labels": torch.tensor([1, 0])},
        ("logits", "loss"),
    ),
    "MobileBertForSequenceClassification": (
        (B, T),
        {"labels": torch.tensor([2, 0])},
        ("logits", "loss"),
    ),
    "MobileBertForTokenClassification": (
        (B, T),
        {"labels": torch.randint(0, 3, (B, T))},
        ("logits", "loss"),
    ),
    "MobileBertForQuestionAnswering": (
        (B, T),
        {"start_positions": torch.tensor([1, 3]), "end_positions": torch.tensor([2, 8])},
        ("start_logits", "end_logits", "loss"),
    ),
    "MobileBertForMultipleChoice": (
        (B, C, T),
        {"labels": torch.tensor([0, 2])},
        ("logits", "loss"),
    ),
}


def _check(name: str, folder, check_parity, **options) -> None:
    shape, labels, fields = HEADS[name]
    config = {**CONFIG, **options}
    if "Question" in name:
        config["num_labels"] = 2
    check_parity(
        getattr(ours, name),
        getattr(transformers, name),
        transformers.MobileBertConfig(**config),
        {**_inputs(shape), **labels},
        outputs=fields + _STATES,
        folder=folder,
    )


@pytest.mark.parametrize("name", list(HEADS))
def test_head_matches_the_reference(tmp_path, check_parity, name):
    _check(name, tmp_path, check_parity)


VARIANTS = {
    "layer_norm": {"normalization_type": "layer_norm"},
    "no_bottleneck": {"use_bottleneck": False, "num_feedforward_networks": 1},
    "bottleneck_attention": {
        "use_bottleneck_attention": True,
        "key_query_shared_bottleneck": False,
    },
    "no_trigrams": {"trigram_input": False},
    "plain_pooler": {"classifier_activation": False, "embedding_size": 32, "trigram_input": False},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_layer_options_match_the_reference(tmp_path, check_parity, variant):
    _check("MobileBertForPreTraining", tmp_path, check_parity, **VARIANTS[variant])


def test_fast_path_equals_the_modules():
    from tfx_core.modeling.torch.fast_paths import fast_paths

    torch.manual_seed(0)
    model = ours.MobileBertModel(MobileBertConfig(**CONFIG)).eval()
    inputs = _inputs((B, T))
    with torch.no_grad():
        fast = model(**inputs).last_hidden_state
        with fast_paths(False):
            slow = model(**inputs).last_hidden_state
    assert model.encoder.layer[0].attention.self.projections.parameters()  # the fused product ran
    assert (fast - slow).abs().max() <= 1e-5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("normalization_type", "batch_norm"),
        ("embedding_size", 64),
        ("intra_bottleneck_size", 30),
        ("key_query_shared_bottleneck", False),
    ],
)
def test_bad_configs_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        MobileBertConfig(**{**CONFIG, field: value})


def test_too_long_input_is_refused():
    model = ours.MobileBertModel(MobileBertConfig(**CONFIG)).eval()
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        model(torch.ones(1, 65, dtype=torch.long))


def test_auto_classes_pick_the_pretraining_heads(tmp_path):
    from tfx_core import AutoModelForNextSentencePrediction, AutoModelForPreTraining

    config = transformers.MobileBertConfig(**CONFIG)
    transformers.MobileBertForPreTraining(config).save_pretrained(tmp_path)
    pretraining = AutoModelForPreTraining.from_pretrained(tmp_path)
    assert type(pretraining).__name__ == "MobileBertForPreTraining"
    assert pretraining.load_report.is_clean
    nsp = AutoModelForNextSentencePrediction.from_pretrained(tmp_path)
    assert type(nsp).__name__ == "MobileBertForNextSentencePrediction"
