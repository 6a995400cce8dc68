"""LoRA adapters (`add_adapter`, `load_adapter`, ...) against transformers + PEFT on the same
files, both directions, plus training only the adapter with tfx's Trainer."""

import io
import json
import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
peft = pytest.importorskip("peft")
pytest.importorskip("tfx_plugin_bert")
pytest.importorskip("tfx_plugin_gpt2")

from tfx_core import AutoModelForCausalLM, AutoModelForSequenceClassification  # noqa: E402
from tfx_core.errors import ConfigError, LoadError  # noqa: E402
from tfx_core.modeling.torch.adapters import LoraConfig  # noqa: E402
from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402

BERT = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2)
BERT.update(intermediate_size=32, max_position_embeddings=32, pad_token_id=0, num_labels=3)
GPT2 = dict(vocab_size=50, n_embd=16, n_layer=2, n_head=2, n_positions=32, pad_token_id=0)
IDS = torch.tensor([[5, 8, 13, 2, 9, 11], [7, 3, 21, 4, 0, 0]])
MASK = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])


def _reference(cls, config, folder):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(config).eval()
    model.save_pretrained(folder)
    return model


@pytest.fixture(scope="module")
def bert_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bert")
    config = transformers.BertConfig(**BERT, hidden_dropout_prob=0.0)
    _reference(transformers.BertForSequenceClassification, config, folder)
    return folder


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpt2")
    config = transformers.GPT2Config(**GPT2, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    _reference(transformers.GPT2LMHeadModel, config, folder)
    return folder


def _randomise(model):
    """LoRA B starts at zero: give every adapter weight a value so the update shows."""
    torch.manual_seed(1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name or "modules_to_save" in name:
                param.normal_(0, 0.2)


def _logits(model, **kwargs):
    with torch.no_grad():
        return model(input_ids=IDS, attention_mask=MASK, **kwargs).logits


def _peft_adapter(base_folder, folder, reference_cls, **options):
    """An adapter trained (randomised) with PEFT on the reference model, saved by PEFT."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = reference_cls.from_pretrained(base_folder).eval()
        peft_model = peft.get_peft_model(model, peft.LoraConfig(**options))
    _randomise(peft_model)
    peft_model.save_pretrained(folder)
    return peft_model.eval()


CASES = {
    "bert": ("bert_folder", AutoModelForSequenceClassification, "BertForSequenceClassification"),
    "gpt2": ("gpt2_folder", AutoModelForCausalLM, "GPT2LMHeadModel"),
}
OPTIONS = {
    "bert": dict(
        r=4,
        lora_alpha=8,
        target_modules=["query", "value", "dense"],
        modules_to_save=["classifier"],
        bias="lora_only",
    ),
    "gpt2": dict(
        r=2,
        lora_alpha=16,
        target_modules=["c_attn", "c_proj"],
        fan_in_fan_out=True,
        use_rslora=True,
    ),
}


@pytest.mark.parametrize("arch", ["bert", "gpt2"])
def test_peft_files_load_in_tfx_with_same_logits(arch, request, tmp_path):
    fixture, auto, reference_name = CASES[arch]
    base = request.getfixturevalue(fixture)
    reference_cls = getattr(transformers, reference_name)
    reference = _peft_adapter(base, tmp_path, reference_cls, **OPTIONS[arch])
    ours = auto.from_pretrained(base).eval()
    plain = _logits(ours)
    ours.load_adapter(tmp_path)
    assert ours.active_adapters() == ["default"]
    expected = _logits(reference)
    assert (_logits(ours) - expected).abs().max() <= 1e-5
    with fast_paths(False):
        assert (_logits(ours) - expected).abs().max() <= 1e-5
    if arch == "gpt2":  # decoding steps (KV cache, decode fast paths) keep the adapter
        options = dict(max_new_tokens=6, do_sample=False, pad_token_id=0)
        theirs = reference.generate(input_ids=IDS[:1], **options)
        assert torch.equal(ours.generate(IDS[:1], **options), theirs)
    ours.disable_adapters()
    assert torch.allclose(_logits(ours), plain, atol=1e-6)
    ours.enable_adapters()
    assert (_logits(ours) - expected).abs().max() <= 1e-5
    ours.merge_adapter()
    assert (_logits(ours) - expected).abs().max() <= 1e-5
    ours.unmerge_adapter()
    ours.delete_adapter("default")
    assert torch.allclose(_logits(ours), plain, atol=1e-6)
    assert not any("lora" in key for key in ours.state_dict())


@pytest.mark.parametrize("arch", ["bert", "gpt2"])
def test_tfx_adapter_files_load_in_transformers_and_peft(arch, request, tmp_path):
    fixture, auto, reference_name = CASES[arch]
    base = request.getfixturevalue(fixture)
    ours = auto.from_pretrained(base).eval()
    ours.add_adapter(LoraConfig(**OPTIONS[arch]), adapter_name="mine")
    _randomise(ours)
    ours.save_pretrained(tmp_path / "adapter")
    saved = sorted(p.name for p in (tmp_path / "adapter").iterdir())
    assert "adapter_model.safetensors" in saved and "model.safetensors" not in saved
    expected = _logits(ours)
    reference_cls = getattr(transformers, reference_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_peft = peft.PeftModel.from_pretrained(
            reference_cls.from_pretrained(base), tmp_path / "adapter"
        ).eval()
        integrated = reference_cls.from_pretrained(base).eval()
        integrated.load_adapter(str(tmp_path / "adapter"))
    assert (_logits(with_peft) - expected).abs().max() <= 1e-5
    assert (_logits(integrated) - expected).abs().max() <= 1e-5
    theirs = integrated.get_adapter_state_dict()
    mine = ours.get_adapter_state_dict("mine")
    assert sorted(theirs) == sorted(mine)


def test_several_adapters_switch_and_sum(bert_folder):
    model = AutoModelForSequenceClassification.from_pretrained(bert_folder).eval()
    model.add_adapter(LoraConfig(r=2, target_modules=["query"]), adapter_name="a")
    model.add_adapter(LoraConfig(r=3, target_modules=["value"]), adapter_name="b")
    _randomise(model)
    assert model.active_adapters() == ["b"]
    only_b = _logits(model)
    model.set_adapter("a")
    only_a = _logits(model)
    model.set_adapter(["a", "b"])
    assert model.active_adapters() == ["a", "b"]
    both = _logits(model)
    assert not torch.allclose(only_a, only_b) and not torch.allclose(both, only_a)
    buffer = io.BytesIO()  # the LoRA layer classes pickle (torch.save of a whole model)
    torch.save(model, buffer)
    buffer.seek(0)
    copied = torch.load(buffer, weights_only=False)
    assert torch.allclose(_logits(copied), both, atol=1e-6)
    with pytest.raises(ConfigError, match="Several adapters"):
        model.save_pretrained("/nonexistent-should-not-be-written")
    model.delete_adapter("a")
    assert list(model.peft_config) == ["b"]
    model.set_adapter("b")
    assert torch.allclose(_logits(model), only_b, atol=1e-6)


def test_only_adapter_weights_train_with_trainer_and_resume(bert_folder, tmp_path):
    from tfx_core.training import Trainer, TrainingArguments

    def adapted():
        model = AutoModelForSequenceClassification.from_pretrained(bert_folder)
        torch.manual_seed(0)
        model.add_adapter(LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"]))
        return model

    model = adapted()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_" in n for n in trainable)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    adapter = {k: v.clone() for k, v in model.get_adapter_state_dict().items()}
    torch.manual_seed(0)
    rows = [
        {"input_ids": torch.randint(1, 50, (6,)), "labels": torch.tensor(i % 3)} for i in range(16)
    ]
    args = TrainingArguments(
        tmp_path,
        per_device_train_batch_size=4,
        learning_rate=1e-2,
        max_steps=4,
        save_steps=2,
        disable_tqdm=True,
        report_to=[],
    )
    Trainer(model, args, train_dataset=rows).train()
    for name, param in model.named_parameters():
        if name in frozen:
            assert torch.equal(param, frozen[name]), name
    final = model.get_adapter_state_dict()
    assert any(not torch.equal(v, adapter[k]) for k, v in final.items())
    assert (tmp_path / "checkpoint-2" / "adapter_model.safetensors").is_file()
    resumed = adapted()
    Trainer(resumed, args, train_dataset=rows).train(
        resume_from_checkpoint=tmp_path / "checkpoint-2"
    )
    for key, value in resumed.get_adapter_state_dict().items():
        assert torch.allclose(value, final[key], atol=1e-6), key


def test_bad_adapters_are_refused(bert_folder, tmp_path):
    model = AutoModelForSequenceClassification.from_pretrained(bert_folder)
    with pytest.raises(ConfigError, match="matches no linear layer"):
        model.add_adapter(LoraConfig(target_modules=["nope"]))
    with pytest.raises(ConfigError, match="linear layers only"):
        model.add_adapter(LoraConfig(target_modules=["LayerNorm"]))
    with pytest.raises(ConfigError, match="rank"):
        LoraConfig(r=0, target_modules=["query"])
    with pytest.raises(ConfigError, match="peft_type"):
        LoraConfig.from_dict({"peft_type": "IA3", "target_modules": ["query"]})
    with pytest.raises(ConfigError, match="use_dora"):
        LoraConfig.from_dict({"target_modules": ["query"], "use_dora": True})
    with pytest.raises(ConfigError, match="No adapter loaded"):
        model.active_adapters()
    assert not any("lora" in key for key in model.state_dict())  # nothing half-attached
    model.add_adapter(LoraConfig(target_modules=["query"]))
    with pytest.raises(ConfigError, match="already exists"):
        model.add_adapter(LoraConfig(target_modules=["value"]))
    with pytest.raises(ConfigError, match="not found"):
        model.set_adapter("other")
    # a file for another architecture: refused, nothing attached
    model.save_pretrained(tmp_path / "a")
    config = json.loads((tmp_path / "a" / "adapter_config.json").read_text())
    config["target_modules"] = ["key"]
    (tmp_path / "a" / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(LoadError, match="unexpected keys"):
        model.load_adapter(tmp_path / "a", adapter_name="other")
    assert list(model.peft_config) == ["default"]
    config["target_modules"], config["r"] = ["query"], 4  # saved with r=8
    (tmp_path / "a" / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(LoadError, match="shape"):
        model.load_adapter(tmp_path / "a", adapter_name="other")
    assert list(model.peft_config) == ["default"] and model.active_adapters() == ["default"]
    with pytest.raises(ConfigError, match=r"adapter_config\.json"):
        model.load_adapter(tmp_path, adapter_name="x")


def test_from_pretrained_on_an_adapter_folder_loads_base_and_adapter(bert_folder, tmp_path):
    ours = AutoModelForSequenceClassification.from_pretrained(bert_folder).eval()
    ours.add_adapter(LoraConfig(r=2, target_modules=["query", "value"]))
    _randomise(ours)
    ours.save_pretrained(tmp_path / "adapter")
    saved = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert saved["base_model_name_or_path"] == str(bert_folder)
    expected = _logits(ours)
    again = AutoModelForSequenceClassification.from_pretrained(tmp_path / "adapter")
    assert again.active_adapters() == ["default"]
    assert not any(p.requires_grad for p in again.parameters())  # loaded for inference
    assert (_logits(again) - expected).abs().max() <= 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.AutoModelForSequenceClassification.from_pretrained(
            tmp_path / "adapter"
        ).eval()
    assert (_logits(reference) - expected).abs().max() <= 1e-5
    saved["base_model_name_or_path"] = None
    (tmp_path / "adapter" / "adapter_config.json").write_text(json.dumps(saved))
    with pytest.raises(ConfigError, match="base_model_name_or_path"):
        AutoModelForSequenceClassification.from_pretrained(tmp_path / "adapter")
