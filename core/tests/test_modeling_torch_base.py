"""`PreTrainedModel`: loading without double init, reports, tying, dtype, saving, resizing."""

import json
import threading

import pytest

torch = pytest.importorskip("torch")
from safetensors import safe_open  # noqa: E402
from torch import nn  # noqa: E402

from tfx_core.config import PretrainedConfig  # noqa: E402
from tfx_core.errors import ConfigError, LoadError  # noqa: E402
from tfx_core.modeling.outputs import BaseModelOutput, MaskedLMOutput  # noqa: E402
from tfx_core.modeling.torch import PreTrainedModel, meta_parameters, resolve_dtype  # noqa: E402
from tfx_core.weights import save_state_dict  # noqa: E402

INIT_CALLS: list[str] = []


class TinyConfig(PretrainedConfig):
    model_type = "tiny-test"

    def __init__(self, vocab_size=11, hidden_size=6, max_positions=9, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.max_positions = max_positions
        super().__init__(**kwargs)


class TinyPreTrained(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "base"
    ignore_unexpected_keys = [r"(^|\.)legacy_ids$"]

    def _init_weights(self, module):
        INIT_CALLS.append(type(module).__name__)
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        if isinstance(module, TinyHead):
            nn.init.constant_(module.bias, 0.5)


class TinyBase(TinyPreTrained):
    def __init__(self, config):
        super().__init__(config)
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.register_buffer("positions", torch.arange(config.max_positions), persistent=False)
        self.register_buffer("scale", torch.full((config.hidden_size,), 2.0))
        self.post_init()

    def get_input_embeddings(self):
        return self.embed

    def set_input_embeddings(self, value):
        self.embed = value

    def forward(self, input_ids):
        hidden = self.embed(input_ids) + self.positions[: input_ids.shape[1], None].float()
        return BaseModelOutput(last_hidden_state=self.proj(self.LayerNorm(hidden)) * self.scale)


class TinyHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias


class TinyLM(TinyPreTrained):
    tied_weights = {"head.decoder.weight": "base.embed.weight"}
    shared_weights = {"head.decoder.bias": "head.bias"}

    def __init__(self, config):
        super().__init__(config)
        self.base = TinyBase(config)
        self.head = TinyHead(config)
        self.post_init()

    def get_output_embeddings(self):
        return self.head.decoder

    def forward(self, input_ids):
        hidden = self.base(input_ids).last_hidden_state
        return MaskedLMOutput(logits=self.head.decoder(self.head.dense(hidden)))


IDS = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])


@pytest.fixture
def lm_dir(tmp_path):
    torch.manual_seed(0)
    model = TinyLM(TinyConfig())
    with torch.no_grad():
        model.head.bias.normal_()
    model.save_pretrained(tmp_path / "lm")
    return tmp_path / "lm", model


def _keys(folder):
    with safe_open(folder / "model.safetensors", "pt") as handle:
        return set(handle.keys()), handle.metadata()


# ---------------------------------------------------------------- save
def test_save_writes_hf_layout_with_tied_weights_once(lm_dir):
    folder, _ = lm_dir
    keys, metadata = _keys(folder)
    assert metadata == {"format": "pt"}
    assert "head.decoder.weight" not in keys and "head.decoder.bias" not in keys
    assert {"head.bias", "base.embed.weight", "base.scale"} <= keys
    assert "base.positions" not in keys  # non-persistent
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["TinyLM"]
    assert config["dtype"] == "float32" and config["model_type"] == "tiny-test"


def test_save_is_atomic_and_calls_the_extra_files_hook(tmp_path):
    seen = []

    class WithExtras(TinyLM):
        def _save_extra_files(self, folder):
            seen.append(folder)
            (folder / "extra.json").write_text("{}")

    WithExtras(TinyConfig()).save_pretrained(tmp_path / "out")
    assert (tmp_path / "out" / "extra.json").is_file()
    assert seen and seen[0] != tmp_path / "out"  # written into the temporary folder
    with pytest.raises(ConfigError, match="safetensors"):
        TinyLM(TinyConfig()).save_pretrained(tmp_path / "x", safe_serialization=False)


# ---------------------------------------------------------------- load
def test_round_trip_is_exact_tied_eval_and_initialises_nothing(lm_dir):
    folder, model = lm_dir
    INIT_CALLS.clear()
    loaded = TinyLM.from_pretrained(folder)
    assert INIT_CALLS == []  # no double initialisation
    report = loaded.load_report
    assert report.is_clean and not report.ignored_unexpected and not report.ignored_missing
    assert not loaded.training
    assert loaded.head.decoder.weight is loaded.base.embed.weight
    assert loaded.head.decoder.bias is loaded.head.bias
    assert torch.equal(loaded.base.positions, torch.arange(9))  # recomputed, not loaded
    assert all(p.device.type == "cpu" for p in loaded.parameters())
    with torch.no_grad():
        assert torch.equal(loaded(IDS).logits, model.eval()(IDS).logits)
    _, report = TinyLM.from_pretrained(folder, output_loading_info=True, strict=True)
    assert report.is_clean


def test_head_from_base_checkpoint_initialises_only_the_head(tmp_path):
    torch.manual_seed(1)
    base = TinyBase(TinyConfig())
    base.save_pretrained(tmp_path)
    INIT_CALLS.clear()
    lm = TinyLM.from_pretrained(tmp_path)
    assert sorted(lm.load_report.missing) == ["head.bias", "head.dense.bias", "head.dense.weight"]
    assert lm.load_report.unexpected == []
    assert sorted(INIT_CALLS) == ["Linear", "TinyHead"]
    assert torch.equal(lm.head.bias, torch.full((11,), 0.5))
    assert torch.equal(lm.base.embed.weight, base.embed.weight)  # loaded, and tied
    assert lm.head.decoder.weight is lm.base.embed.weight
    assert not any(p.is_meta for p in lm.parameters())
    with pytest.raises(LoadError, match=r"head\.dense\.weight") as caught:
        TinyLM.from_pretrained(tmp_path, strict=True)
    assert caught.value.report.missing


def test_base_from_head_checkpoint_strips_the_prefix_and_reports_head_keys(lm_dir):
    folder, model = lm_dir
    base = TinyBase.from_pretrained(folder)
    assert sorted(base.load_report.unexpected) == ["head.bias", "head.dense.bias",
                                                   "head.dense.weight"]  # fmt: skip
    assert base.load_report.missing == []
    assert torch.equal(base.embed.weight, model.base.embed.weight)


def test_ignorable_and_legacy_keys(tmp_path):
    torch.manual_seed(2)
    base = TinyBase(TinyConfig())
    state = base.state_dict()
    state["LayerNorm.gamma"] = state.pop("LayerNorm.weight")  # old TF-era names
    state["LayerNorm.beta"] = state.pop("LayerNorm.bias")
    state["legacy_ids"] = torch.arange(9)
    TinyConfig().save_pretrained(tmp_path)
    save_state_dict(state, tmp_path)
    loaded = TinyBase.from_pretrained(tmp_path)
    assert loaded.load_report.is_clean
    assert loaded.load_report.ignored_unexpected == ["legacy_ids"]
    assert torch.equal(loaded.LayerNorm.weight, base.LayerNorm.weight)


def test_mismatched_shapes_are_reported_and_reinitialised(lm_dir):
    folder, _ = lm_dir
    model = TinyLM.from_pretrained(folder, vocab_size=13)
    mismatched = {key: (ckpt, mine) for key, ckpt, mine in model.load_report.mismatched}
    assert mismatched["base.embed.weight"] == ((11, 6), (13, 6))
    assert "base.embed.weight" not in model.load_report.missing
    assert model.base.embed.weight.shape == (13, 6) and not model.base.embed.weight.is_meta
    with pytest.raises(LoadError, match="shape mismatch"):
        TinyLM.from_pretrained(folder, vocab_size=13, strict=True)


def test_untied_output_embeddings_are_saved_and_loaded(tmp_path):
    torch.manual_seed(3)
    model = TinyLM(TinyConfig(tie_word_embeddings=False))
    assert model.head.decoder.weight is not model.base.embed.weight
    model.save_pretrained(tmp_path)
    assert "head.decoder.weight" in _keys(tmp_path)[0]
    loaded = TinyLM.from_pretrained(tmp_path)
    assert loaded.load_report.is_clean
    assert torch.equal(loaded.head.decoder.weight, model.head.decoder.weight)


def test_config_overrides_and_unknown_arguments(lm_dir):
    folder, _ = lm_dir
    assert TinyLM.from_pretrained(folder, max_positions=5).base.positions.tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]
    with pytest.raises(ConfigError, match="not_a_field"):
        TinyLM.from_pretrained(folder, not_a_field=1)
    config = TinyConfig(hidden_size=6)
    assert TinyLM.from_pretrained(folder, config=config).config is config


# ---------------------------------------------------------------- dtype / device
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (torch.float16, torch.float16),
        ("bfloat16", torch.bfloat16),
        ("torch.float16", torch.float16),
        (None, torch.float32),
    ],
)
def test_dtype_casts_parameters_and_float_buffers_only(lm_dir, dtype, expected):
    folder, _ = lm_dir
    model = TinyLM.from_pretrained(folder, dtype=dtype, device="cpu")
    assert model.dtype == expected and model.device == torch.device("cpu")
    assert all(p.dtype == expected for p in model.parameters())
    assert model.base.scale.dtype == expected and model.base.positions.dtype == torch.long


@pytest.mark.parametrize("device_map", ["cpu", {"": "cpu"}, {"base": "cpu", "lm_head": "cpu"}])
def test_device_map_naming_one_device_is_read_as_device(lm_dir, device_map):
    folder, _ = lm_dir
    model = TinyLM.from_pretrained(folder, device_map=device_map)
    assert model.device == torch.device("cpu")


def test_device_map_over_several_devices_or_with_device_is_refused(lm_dir):
    folder, _ = lm_dir
    with pytest.raises(ConfigError, match="one device"):
        TinyLM.from_pretrained(folder, device_map={"base": "cpu", "lm_head": "cuda:1"})
    with pytest.raises(ConfigError, match="not both"):
        TinyLM.from_pretrained(folder, device="cpu", device_map="cpu")


def test_auto_dtype_reads_the_config_then_the_checkpoint(tmp_path):
    model = TinyLM(TinyConfig()).to(torch.bfloat16)
    model.save_pretrained(tmp_path / "bf16")
    assert TinyLM.from_pretrained(tmp_path / "bf16", dtype="auto").dtype == torch.bfloat16
    assert TinyLM.from_pretrained(tmp_path / "bf16").dtype == torch.float32  # default
    config = json.loads((tmp_path / "bf16" / "config.json").read_text())
    del config["dtype"]
    (tmp_path / "bf16" / "config.json").write_text(json.dumps(config))
    assert TinyLM.from_pretrained(tmp_path / "bf16", torch_dtype="auto").dtype == torch.bfloat16
    with pytest.raises(ConfigError, match="Unsupported dtype"):
        resolve_dtype("int8", TinyConfig())


# ---------------------------------------------------------------- construction helpers
def test_from_config_initialises_weights_and_honours_dtype():
    INIT_CALLS.clear()
    model = TinyLM.from_config(TinyConfig(), dtype="float16")
    assert INIT_CALLS and model.dtype == torch.float16
    assert torch.equal(model.head.bias.float(), torch.full((11,), 0.5))
    with pytest.raises(ConfigError, match="PretrainedConfig"):
        TinyLM({"vocab_size": 3})


def test_meta_construction_is_local_to_the_context_and_thread():
    built = {}

    def other_thread():
        built["linear"] = nn.Linear(3, 3)

    with meta_parameters():
        inside = nn.Linear(3, 3)
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert inside.weight.is_meta
    assert not built["linear"].weight.is_meta and built["linear"].weight.abs().sum() > 0
    after = nn.Linear(3, 3)
    assert not after.weight.is_meta and after.weight.abs().sum() > 0
    assert nn.init.normal_(torch.zeros(100)).abs().sum() > 0  # init functions restored


def test_num_parameters_counts_shared_weights_once():
    model = TinyLM(TinyConfig())
    unique = {id(p): p.numel() for p in model.parameters()}
    assert model.num_parameters() == sum(unique.values())
    assert model.num_parameters(exclude_embeddings=True) == sum(unique.values()) - 11 * 6
    model.head.dense.weight.requires_grad_(False)
    assert model.num_parameters(only_trainable=True) == sum(unique.values()) - 36


def test_resize_token_embeddings_keeps_rows_and_ties(tmp_path):
    torch.manual_seed(4)
    model = TinyLM(TinyConfig())
    old_embed = model.base.embed.weight.detach().clone()
    old_bias = model.head.bias.detach().clone()
    model.resize_token_embeddings(14)
    assert model.config.vocab_size == 14
    assert model.base.embed.weight.shape == (14, 6)
    assert torch.equal(model.base.embed.weight[:11], old_embed)
    assert model.head.decoder.weight is model.base.embed.weight
    assert model.head.decoder.bias is model.head.bias and model.head.bias.shape == (14,)
    assert torch.equal(model.head.bias[:11], old_bias)
    assert model(torch.tensor([[13, 2]])).logits.shape == (1, 2, 14)
    model.save_pretrained(tmp_path)
    assert TinyLM.from_pretrained(tmp_path).load_report.is_clean
