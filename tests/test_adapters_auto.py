"""`AutoModel*.from_pretrained` on a folder PEFT saved (adapter_config.json and
adapter_model.safetensors, no config.json): the base model it names, then the adapter, with the
logits and generated ids of transformers + PEFT on the same files."""

import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
peft = pytest.importorskip("peft")
pytest.importorskip("tfx_plugin_bert")
pytest.importorskip("tfx_plugin_gpt2")

from tfx_core import AutoModelForCausalLM, AutoModelForSequenceClassification  # noqa: E402
from tfx_core.errors import ConfigError, EntryNotFoundError  # noqa: E402

BERT = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2)
BERT.update(intermediate_size=32, max_position_embeddings=32, pad_token_id=0, num_labels=3)
GPT2 = dict(vocab_size=50, n_embd=16, n_layer=2, n_head=2, n_positions=32, pad_token_id=0)
IDS = torch.tensor([[5, 8, 13, 2, 9, 11], [7, 3, 21, 4, 0, 0]])
MASK = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])


def _logits(model):
    with torch.no_grad():
        return model(input_ids=IDS, attention_mask=MASK).logits


def _peft_folder(tmp_path, reference_cls, config, **options):
    """A tiny reference model saved to `tmp_path/base`, and a randomised LoRA adapter PEFT
    saved for it to `tmp_path/adapter`; returns the PEFT model."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference_cls(config).save_pretrained(tmp_path / "base")
        base = reference_cls.from_pretrained(tmp_path / "base").eval()
        model = peft.get_peft_model(base, peft.LoraConfig(**options))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name or "modules_to_save" in name:
                param.normal_(0, 0.2)
    model.save_pretrained(tmp_path / "adapter")
    assert not (tmp_path / "adapter" / "config.json").exists()
    return model.eval()


@pytest.fixture
def bert_adapter(tmp_path):
    config = transformers.BertConfig(**BERT, hidden_dropout_prob=0.0)
    options = dict(r=4, lora_alpha=8, target_modules=["query", "value"])
    return _peft_folder(
        tmp_path, transformers.BertForSequenceClassification, config, **options, bias="lora_only"
    ), tmp_path / "adapter"


def test_auto_model_for_sequence_classification_loads_a_peft_folder(bert_adapter):
    reference, folder = bert_adapter
    ours, report = AutoModelForSequenceClassification.from_pretrained(
        folder, output_loading_info=True
    )
    assert report.is_clean, report
    assert ours.active_adapters() == ["default"]
    assert (_logits(ours) - _logits(reference)).abs().max() <= 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    assert (_logits(theirs) - _logits(ours)).abs().max() <= 1e-5


def test_auto_model_for_causal_lm_loads_a_peft_folder_and_generates(tmp_path):
    config = transformers.GPT2Config(**GPT2, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    options = dict(r=2, lora_alpha=16, target_modules=["c_attn", "c_proj"], fan_in_fan_out=True)
    reference = _peft_folder(tmp_path, transformers.GPT2LMHeadModel, config, **options)
    ours = AutoModelForCausalLM.from_pretrained(tmp_path / "adapter")
    assert (_logits(ours) - _logits(reference)).abs().max() <= 1e-5
    generation = dict(max_new_tokens=6, do_sample=False, pad_token_id=0)
    expected = reference.generate(input_ids=IDS[:1], **generation)
    assert torch.equal(ours.generate(IDS[:1], **generation), expected)


def test_config_overrides_reach_the_base_model(bert_adapter):
    _, folder = bert_adapter
    ours = AutoModelForSequenceClassification.from_pretrained(folder, classifier_dropout=0.3)
    assert ours.config.classifier_dropout == 0.3
    assert ours.active_adapters() == ["default"]


def test_peft_folders_are_refused_clearly(bert_adapter, tmp_path):
    _, folder = bert_adapter
    with pytest.raises(ConfigError, match="framework='pt'"):
        AutoModelForSequenceClassification.from_pretrained(folder, framework="tf")
    (folder / "adapter_config.json").unlink()
    with pytest.raises(EntryNotFoundError, match=r"config\.json"):
        AutoModelForSequenceClassification.from_pretrained(folder)
