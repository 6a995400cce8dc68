"""The BERT-style encoder blocks on a model built here from the core alone (no plugin)."""

from typing import ClassVar

import pytest
import torch

from tfx_core.encoder_config import EncoderConfig
from tfx_core.errors import ConfigError
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch import lean as lean_module
from tfx_core.modeling.torch.blocks import lean_encoder
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.heads import MaskedLMHead, QuestionAnsweringHead


class TinyPreTrainedModel(PreTrainedModel):
    config_class = EncoderConfig
    base_model_prefix = "tiny"


class TinyOffsetEmbeddings(blocks.EncoderEmbeddings):
    padding_offset_positions = True


class TinyModel(blocks.EncoderModel, TinyPreTrainedModel):
    encoder_class = blocks.Encoder
    supports_cross_attention = True


class TinyOffsetModel(TinyModel):
    embeddings_class = TinyOffsetEmbeddings


class TinyForQuestionAnswering(QuestionAnsweringHead, TinyPreTrainedModel):
    base_model_class = TinyModel
    requires_two_labels = True


class TinyForMaskedLM(MaskedLMHead, TinyPreTrainedModel):
    base_model_class = TinyModel
    tied_weights: ClassVar[dict[str, str]] = {
        "lm_head.decoder.weight": "tiny.embeddings.word_embeddings.weight"
    }
    output_embeddings_attribute = "lm_head.decoder"

    def build_head(self, config: EncoderConfig) -> None:
        self.lm_head = blocks.DenseLMHead(config)


def _config(**overrides) -> EncoderConfig:
    fields = dict(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=24,
        max_position_embeddings=40,
        pad_token_id=1,
    )
    return EncoderConfig(**{**fields, **overrides})


def _padded_inputs() -> dict[str, torch.Tensor]:
    ids = torch.randint(3, 50, (2, 7), generator=torch.Generator().manual_seed(0))
    mask = torch.ones(2, 7, dtype=torch.long)
    ids[1, 4:], mask[1, 4:] = 1, 0
    return {"input_ids": ids, "attention_mask": mask}


def test_lean_path_runs_reads_the_switch_once_and_equals_the_modules(monkeypatch):
    torch.manual_seed(0)
    model = TinyOffsetModel(_config()).eval()
    reads = []

    def counted() -> bool:
        reads.append(1)
        return True

    monkeypatch.setattr(lean_encoder, "fast_paths_enabled", counted)
    monkeypatch.setattr(lean_module, "fast_paths_enabled", counted)
    inputs = _padded_inputs()
    with torch.no_grad():
        lean = model(**inputs, output_hidden_states=True)
        assert model.encoder.lean_layers() is not None  # the plan was built and is in use
        reads.clear()
        model(**inputs)
        assert len(reads) == 1
        with fast_paths(False):
            plain = model(**inputs, output_hidden_states=True)
    assert (lean.last_hidden_state - plain.last_hidden_state).abs().max() <= 1e-6
    assert len(lean.hidden_states) == len(plain.hidden_states) == 3
    for ours, theirs in zip(lean.hidden_states, plain.hidden_states):
        assert (ours - theirs).abs().max() <= 1e-6


@pytest.mark.parametrize("past", [0, 3])
def test_offset_positions_count_tokens_after_the_padding_id(past):
    model = TinyOffsetModel(_config())
    ids = torch.tensor([[0, 5, 6, 7], [0, 5, 1, 1]])  # padding id 1
    embeds = model.embeddings.word_embeddings(ids)
    table = model.embeddings.position_embeddings.weight
    expected = torch.tensor([[2, 3, 4, 5], [2, 3, 1, 1]])
    expected = torch.where(ids.ne(1), expected + past, expected)
    positions = model.embeddings.position_embeds(ids, None, embeds, past)
    assert torch.equal(positions, table[expected])


def test_cross_attention_runs_through_the_one_stack_forward():
    torch.manual_seed(0)
    model = TinyModel(_config(is_decoder=True, add_cross_attention=True)).eval()
    ids = torch.randint(3, 50, (2, 5), generator=torch.Generator().manual_seed(1))
    states = torch.randn(2, 6, 16)
    with torch.no_grad():
        out = model(ids, encoder_hidden_states=states, output_attentions=True, use_cache=False)
        other = model(ids, encoder_hidden_states=states * 2, use_cache=False)
        alone = model.encoder(model.embeddings(ids, None, None, None, 0))
    assert len(out.cross_attentions) == 2
    assert out.cross_attentions[0].shape == (2, 2, 5, 6)
    assert len(out.attentions) == 2
    assert not torch.allclose(out.last_hidden_state, other.last_hidden_state)
    assert len(alone) == 3  # without encoder states: (hidden, all hidden, all attentions)


def test_question_answering_head_can_require_two_labels():
    with pytest.raises(ConfigError, match="num_labels=2"):
        TinyForQuestionAnswering(_config(num_labels=3))
    assert TinyForQuestionAnswering(_config()).qa_outputs.out_features == 2


def test_output_embeddings_attribute_names_the_vocabulary_projection():
    model = TinyForMaskedLM(_config())
    assert model.get_output_embeddings() is model.lm_head.decoder
    assert model.get_output_embeddings().weight is model.tiny.embeddings.word_embeddings.weight
