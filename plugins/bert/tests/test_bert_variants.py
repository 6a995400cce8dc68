"""BERT options beyond the default encoder, against the reference, plus inference internals:
relative positions, the causal decoder (KV cache, generate), head masks, inputs_embeds,
tuple outputs, saving every head for the reference, the fused query/key/value projection."""

import subprocess
import sys

import pytest
import torch

transformers = pytest.importorskip("transformers")

import tfx_plugin_bert.modeling_bert as tfx_bert  # noqa: E402
from tfx_plugin_bert.configuration_bert import BertConfig  # noqa: E402

from tfx_core.errors import ConfigError, GenerationError, LoadError  # noqa: E402

TOL = 1e-5
ALL_HEADS = [
    "BertModel",
    "BertForMaskedLM",
    "BertLMHeadModel",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
    "BertForMultipleChoice",
    "BertForNextSentencePrediction",
    "BertForPreTraining",
]


def _config(**extra):
    values = dict(
        vocab_size=61,
        hidden_size=36,
        num_hidden_layers=2,
        num_attention_heads=3,
        intermediate_size=50,
        max_position_embeddings=24,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        num_labels=3,
    )
    values.update(extra)
    return values


def _pair(tmp_path, head="BertModel", seed=0, **extra):
    """A reference model with random weights and the tfx model loaded from its save."""
    torch.manual_seed(seed)
    reference = getattr(transformers, head)(transformers.BertConfig(**_config(**extra))).eval()
    reference.save_pretrained(tmp_path / head)
    ours = getattr(tfx_bert, head).from_pretrained(tmp_path / head)
    assert ours.load_report.is_clean, str(ours.load_report)
    return reference, ours


def _batch(seed=0, shape=(3, 10), vocab=61):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, vocab, shape, generator=generator)
    mask = torch.ones(shape, dtype=torch.long)
    mask[1, ..., 7:] = 0
    mask[-1, ..., 4:] = 0
    return ids, mask


def _close(a, b, tol=TOL):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, tol)
        return
    assert a.shape == b.shape
    assert (a - b).abs().max().item() <= tol


@pytest.mark.parametrize("kind", ["relative_key", "relative_key_query"])
@pytest.mark.parametrize("implementation", ["sdpa", "eager"])
def test_relative_position_embeddings_match(tmp_path, kind, implementation):
    reference, ours = _pair(tmp_path, position_embedding_type=kind)
    ours.config.attn_implementation = implementation
    ids, mask = _batch()
    with torch.no_grad():
        theirs = reference(ids, attention_mask=mask, output_hidden_states=True)
        mine = ours(ids, attention_mask=mask, output_hidden_states=True)
    _close(mine.last_hidden_state, theirs.last_hidden_state)
    _close(mine.pooler_output, theirs.pooler_output)
    _close(mine.hidden_states, theirs.hidden_states)


def test_causal_decoder_and_lm_head_match_with_padding_and_loss(tmp_path):
    reference, ours = _pair(tmp_path, "BertLMHeadModel", is_decoder=True)
    ids, mask = _batch(seed=1)
    with torch.no_grad():
        theirs = reference(ids, attention_mask=mask, labels=ids, use_cache=False)
        mine = ours(ids, attention_mask=mask, labels=ids, use_cache=False)
        _close(mine.logits, theirs.logits)
        _close(mine.loss, theirs.loss)
        unpadded_theirs = reference(ids, output_attentions=True, use_cache=False)
        unpadded_mine = ours(ids, output_attentions=True, use_cache=False)
    _close(unpadded_mine.logits, unpadded_theirs.logits)
    _close(unpadded_mine.attentions, unpadded_theirs.attentions)


def test_kv_cache_steps_equal_a_full_forward(tmp_path):
    _, ours = _pair(tmp_path, "BertLMHeadModel", is_decoder=True)
    ids, _ = _batch(seed=2)
    with torch.no_grad():
        full = ours(ids, use_cache=False).logits
        first = ours(ids[:, :6], use_cache=True)
        cache = first.past_key_values
        steps = [first.logits]
        for position in range(6, ids.shape[1]):
            out = ours(ids[:, position : position + 1], past_key_values=cache, use_cache=True)
            steps.append(out.logits)
    _close(torch.cat(steps, dim=1), full)


def test_greedy_generation_matches_the_reference(tmp_path):
    reference, ours = _pair(tmp_path, "BertLMHeadModel", is_decoder=True, seed=3)
    prompt = torch.tensor([[5, 9, 14, 2]])
    expected = reference.generate(prompt, max_new_tokens=8, do_sample=False, pad_token_id=0)
    got = ours.generate(prompt, max_new_tokens=8, do_sample=False, pad_token_id=0)
    assert got.tolist() == expected.tolist()
    encoder = tfx_bert.BertLMHeadModel.from_pretrained(
        tmp_path / "BertLMHeadModel", is_decoder=False
    )
    with pytest.raises(GenerationError, match="is_decoder=True"):
        encoder.generate(prompt, max_new_tokens=2, pad_token_id=0)


def test_head_mask_inputs_embeds_position_ids_and_tuples_match(tmp_path):
    reference, ours = _pair(tmp_path, "BertForSequenceClassification", seed=4)
    ids, mask = _batch(seed=4)
    head_mask = torch.tensor([[1.0, 0.0, 1.0], [0.5, 1.0, 1.0]])
    embeds = reference.bert.embeddings.word_embeddings(ids).detach()
    positions = torch.arange(3, 13).expand(3, -1)
    with torch.no_grad():
        for kwargs in (
            {"input_ids": ids, "attention_mask": mask, "head_mask": head_mask},
            {"input_ids": ids, "head_mask": head_mask[0], "output_attentions": True},
            {"inputs_embeds": embeds, "attention_mask": mask},
            {"input_ids": ids, "position_ids": positions, "token_type_ids": ids % 2},
        ):
            theirs = reference(**kwargs)
            mine = ours(**kwargs)
            assert list(mine.keys()) == list(theirs.keys())
            for key in theirs:
                _close(mine[key], theirs[key])
        as_tuple = ours(ids, attention_mask=mask, return_dict=False)
        _close(as_tuple[0], reference(ids, attention_mask=mask, return_dict=False)[0])


def test_positional_arguments_follow_the_reference_order(tmp_path):
    reference, ours = _pair(tmp_path, "BertModel", seed=5)
    ids, mask = _batch(seed=5)
    types = ids % 2
    with torch.no_grad():
        _close(ours(ids, mask, types).last_hidden_state, reference(ids, mask, types)[0])


@pytest.mark.parametrize("head", ALL_HEADS)
def test_every_head_saved_by_tfx_loads_in_the_reference(tmp_path, head):
    torch.manual_seed(6)
    extra = {"BertLMHeadModel": {"is_decoder": True}, "BertForQuestionAnswering": {"num_labels": 2}}
    extra = extra.get(head, {})
    ours = getattr(tfx_bert, head).from_config(BertConfig(**_config(**extra))).eval()
    ids, mask = _batch(seed=6, shape=(3, 2, 10) if head == "BertForMultipleChoice" else (3, 10))
    with torch.no_grad():
        ours(ids, attention_mask=mask)  # fuses q/k/v: saving must still write plain tensors
    ours.save_pretrained(tmp_path / head)
    theirs, info = getattr(transformers, head).from_pretrained(
        tmp_path / head, output_loading_info=True
    )
    assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
    theirs.eval()
    with torch.no_grad():
        mine_out, their_out = ours(ids, attention_mask=mask), theirs(ids, attention_mask=mask)
    for key, value in their_out.items():
        if torch.is_tensor(value):
            _close(mine_out[key], value)
    assert ours.num_parameters() == theirs.num_parameters()


def test_fused_projection_follows_training_updates_and_dtype_changes(tmp_path):
    _, ours = _pair(tmp_path, "BertForSequenceClassification", seed=7)
    query = ours.bert.encoder.layer[0].attention.self.query
    param = query.weight
    ids, mask = _batch(seed=7)
    labels = torch.tensor([0, 1, 2])
    with torch.no_grad():
        ours(ids, attention_mask=mask)  # builds the fused buffer
    assert query.weight is param  # same Parameter object, data re-pointed
    ours.train()
    optimizer = torch.optim.SGD(ours.parameters(), lr=0.5)
    loss = ours(ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    assert param.grad is not None and param.grad.abs().sum() > 0
    optimizer.step()
    ours.eval()
    with torch.no_grad():
        fused = ours(ids, attention_mask=mask).logits
    with torch.enable_grad():
        separate = ours(ids, attention_mask=mask).logits.detach()
    _close(fused, separate)
    ours.double()
    with torch.no_grad():
        assert ours(ids, attention_mask=mask).logits.dtype == torch.float64


def test_training_mode_uses_dropout_and_backpropagates(tmp_path):
    torch.manual_seed(8)
    model = tfx_bert.BertForMaskedLM.from_config(BertConfig(**_config(hidden_dropout_prob=0.3)))
    model.train()
    ids, mask = _batch(seed=8)
    first = model(ids, attention_mask=mask, labels=ids)
    second = model(ids, attention_mask=mask, labels=ids)
    assert not torch.allclose(first.logits, second.logits)
    first.loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_strict_loading_and_clear_input_errors(tmp_path):
    torch.manual_seed(9)
    transformers.BertModel(transformers.BertConfig(**_config())).save_pretrained(tmp_path)
    with pytest.raises(LoadError, match=r"classifier\.weight"):
        tfx_bert.BertForSequenceClassification.from_pretrained(tmp_path, strict=True)
    model = tfx_bert.BertModel.from_pretrained(tmp_path, strict=True)
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        model(torch.ones(1, 30, dtype=torch.long))
    with pytest.raises(ConfigError, match="exactly one"):
        model()
    with pytest.raises(ConfigError, match="add_cross_attention"):  # cross-attention: decoders only
        tfx_bert.BertModel(BertConfig(**_config(add_cross_attention=True)))
    with pytest.raises(ConfigError, match="position_embedding_type"):
        BertConfig(position_embedding_type="rotary")


def test_resize_token_embeddings_matches_the_reference(tmp_path):
    reference, ours = _pair(tmp_path, "BertForMaskedLM", seed=10)
    ours.resize_token_embeddings(70)
    reference.resize_token_embeddings(70)
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert ours.cls.predictions.bias.shape == (70,)
    ids, mask = _batch(seed=10)
    with torch.no_grad():  # old tokens keep their scores
        _close(ours(ids, attention_mask=mask).logits[..., :61],
               reference(ids, attention_mask=mask).logits[..., :61])  # fmt: skip


def test_loading_skips_initialisation_and_compiler_imports(tmp_path):
    """Construction on the meta device must not run init (which would import torch._dynamo)."""
    torch.manual_seed(11)
    transformers.BertForMaskedLM(transformers.BertConfig(**_config())).save_pretrained(tmp_path)
    code = (
        "import sys; from tfx_plugin_bert.modeling_bert import BertForMaskedLM; "
        f"m = BertForMaskedLM.from_pretrained({str(tmp_path)!r}); "
        "print('torch._dynamo' in sys.modules, m.training)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"], result.stderr
