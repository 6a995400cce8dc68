"""CUDA: tfx against the reference on the same GPU, and models moved between CPU and GPU.

Skipped without a CUDA device (CI has none); `scripts/gpu_check.sh` runs it on a GPU machine
(docs/gpu.md). Float32 runs with TF32 off, so the 1e-5 logits bar holds; bf16/fp16 compare token
ids. The CPU-only fast paths (oneDNN laid-out weights, packed lean plans) must step aside on the
GPU and must not keep CPU copies of weights that moved there.

`TFX_GPU_TEST_DEVICE=cpu` runs the same checks on the CPU, to check the tests themselves where
no GPU is at hand. With `TFX_GPU_REPORT=FILE` each test appends what it measured (largest
differences, peak memory) to FILE as JSON lines.
"""

from __future__ import annotations

import functools
import json
import os
import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

import tfx_core  # noqa: E402
from tfx_core.modeling.torch import onednn  # noqa: E402
from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402

DEVICE = torch.device(os.environ.get("TFX_GPU_TEST_DEVICE", "cuda"))
ON_CUDA = DEVICE.type == "cuda"
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(ON_CUDA and not torch.cuda.is_available(), reason="needs a CUDA device"),
]
CPU = torch.device("cpu")
TOL = 1e-5  # fp32 logits, same weights, same device
TRAIN_TOL = 1e-4  # per-step training loss, fp32 (the bound)
BF16_TRAIN_TOL = TRAIN_TOL  # bf16 autocast: the H200 run measured 0.0 against the reference

ENCODERS = {
    "bert": ("BertConfig", dict(hidden_size=256, num_hidden_layers=2, num_attention_heads=4)),
    "roberta": (
        "RobertaConfig",
        dict(
            hidden_size=256,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=66,
            type_vocab_size=1,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
        ),
    ),
    "distilbert": ("DistilBertConfig", dict(dim=256, hidden_dim=512, n_layers=2, n_heads=4)),
}
# hidden 256 / intermediate 512: products large enough that the CPU lean plan packs them
ENCODER_COMMON = dict(
    vocab_size=99, intermediate_size=512, max_position_embeddings=64, num_labels=3
)
# wide initial weights spread the logits: no near-ties for argmax to break differently
GPT2 = dict(
    vocab_size=99, n_positions=64, n_embd=64, n_layer=2, n_head=4, bos_token_id=1,
    eos_token_id=2, initializer_range=0.3,
)  # fmt: skip
LLAMA = dict(
    vocab_size=99, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, bos_token_id=1,
    eos_token_id=2, pad_token_id=0, initializer_range=0.3,
)  # fmt: skip
BART = dict(
    vocab_size=99, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
    decoder_attention_heads=4, encoder_ffn_dim=37, decoder_ffn_dim=37,
    max_position_embeddings=40, init_std=0.3,
)  # fmt: skip
T5 = dict(
    vocab_size=99, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
    relative_attention_num_buckets=8, relative_attention_max_distance=20,
    decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
)  # fmt: skip
VIT = dict(
    hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
    image_size=64, patch_size=8, num_labels=5,
)  # fmt: skip
WAV2VEC2 = dict(
    vocab_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
    intermediate_size=37, conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8),
    num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
)  # fmt: skip
MODELS = {  # name -> (reference class, config class, fields, tfx auto class, pad id)
    "gpt2": ("GPT2LMHeadModel", "GPT2Config", GPT2, "AutoModelForCausalLM", 0),
    "llama": ("LlamaForCausalLM", "LlamaConfig", LLAMA, "AutoModelForCausalLM", 0),
    "bart": ("BartForConditionalGeneration", "BartConfig", BART, "AutoModelForSeq2SeqLM", 1),
    "t5": ("T5ForConditionalGeneration", "T5Config", T5, "AutoModelForSeq2SeqLM", 0),
}
# bf16 / fp16 loading: a checkpoint of a few MB, so a float32 copy shows in the peak memory
LLAMA_WIDE = dict(LLAMA, vocab_size=2048, hidden_size=256, intermediate_size=512)
GPT2_WIDE = dict(GPT2, vocab_size=2048, n_embd=256)


# ----------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="module", autouse=True)
def exact_float32():
    """TF32 off for the module (matmuls and convolutions): full float32 products."""
    saved = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.get_float32_matmul_precision(),
    )
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    transformers.logging.set_verbosity_error()
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[:2]
    torch.set_float32_matmul_precision(saved[2])


@pytest.fixture
def report(request):
    """`report(**values)`: append the test's measurements to `$TFX_GPU_REPORT` (if set)."""

    def write(**values):
        path = os.environ.get("TFX_GPU_REPORT")
        if path:
            with open(path, "a") as handle:
                handle.write(json.dumps({"test": request.node.name, **values}) + "\n")

    return write


def save_reference(folder, model_class: str, config_class: str, fields: dict, seed: int = 0):
    """A random reference checkpoint (float32 safetensors) in `folder`; returns its path."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = getattr(transformers, config_class)(**fields)
        getattr(transformers, model_class)(config).save_pretrained(folder)
    return str(folder)


def load_pair(folder: str, auto_class: str, device=DEVICE, dtype=torch.float32):
    """(tfx, reference) loaded from the same folder, on `device` in `dtype`, eval mode."""
    ours = getattr(tfx_core, auto_class).from_pretrained(folder, device=device, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = getattr(transformers, auto_class).from_pretrained(folder, dtype=dtype)
    return ours, reference.to(device).eval()


def model_pair(folder, name: str, device=DEVICE):
    """(tfx, reference, pad id) for one of `MODELS`, from a fresh random checkpoint."""
    model_class, config_class, fields, auto_class, pad = MODELS[name]
    saved = save_reference(folder, model_class, config_class, fields)
    return (*load_pair(saved, auto_class, device=device), pad)


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a.float() - b.float()).abs().max().item()


def divergence(got: torch.Tensor, expected: torch.Tensor) -> str:
    """Where two id tensors first differ, for assertion messages."""
    if got.shape != expected.shape:
        return f"shapes {tuple(got.shape)} vs {tuple(expected.shape)}"
    rows, cols = torch.nonzero(got != expected, as_tuple=True)
    return f"first difference at row {rows[0].item()}, position {cols.min().item()}"


def first_step(ours, reference, ids, mask, **extra) -> dict:
    """How far the two models' next-token logits are apart, and how close the reference's top
    two are (a margin under the difference lets argmax differ): context for id mismatches."""
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask, **extra).logits[:, -1].float()
        got = ours(input_ids=ids, attention_mask=mask, **extra).logits[:, -1].float()
    top = expected.topk(2).values
    return {
        "step0_diff": max_diff(got, expected),
        "step0_margin": (top[:, 0] - top[:, 1]).min().item(),
    }


def left_padded(vocab: int = 99, pad: int = 0, lengths=(7, 4, 1), seed: int = 3):
    """Prompts of the given lengths, left-padded with `pad`, and their mask (on DEVICE)."""
    generator = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.randint(3, vocab, (len(lengths), width), generator=generator)
    mask = torch.zeros_like(ids)
    for row, length in enumerate(lengths):
        mask[row, width - length :] = 1
    ids[mask == 0] = pad
    return ids.to(DEVICE), mask.to(DEVICE)


def right_padded(vocab: int = 99, pad: int = 0, lengths=(9, 5, 2), seed: int = 4):
    ids, mask = left_padded(vocab, pad, lengths, seed)
    return ids.flip(1).contiguous(), mask.flip(1).contiguous()


def foreign_tensors(model: torch.nn.Module, device: torch.device) -> list[str]:
    """Floating tensors the model keeps alive on another device than `device`: held by its
    modules outside parameters and buffers (plans, caches), or laid-out oneDNN copies cached
    for its parameters. Each is named by where it was found."""
    found: list[str] = []
    seen: dict[int, int] = {}  # id -> the smallest depth it was walked from

    def walk(value, path: str, depth: int) -> None:
        if depth > 8 or seen.get(id(value), depth + 1) <= depth:
            return
        seen[id(value)] = depth
        if isinstance(value, torch.Tensor):
            if value.is_floating_point() and value.numel() > 1 and value.device.type != device.type:
                found.append(f"{path} ({value.device}, {tuple(value.shape)})")
        elif isinstance(value, functools.partial):
            walk(value.args, f"{path}.args", depth + 1)
            walk(value.keywords, f"{path}.keywords", depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}[{key!r}]", depth + 1)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]", depth + 1)
        elif type(value).__module__.startswith("tfx_") and not isinstance(value, torch.nn.Module):
            names = [*getattr(value, "__dict__", {}), *getattr(type(value), "__slots__", ())]
            for name in names:
                if hasattr(value, name):
                    walk(getattr(value, name), f"{path}.{name}", depth + 1)

    skip = {"_parameters", "_buffers", "_modules", "config"}
    for name, module in model.named_modules():
        for key, value in vars(module).items():
            if key not in skip and "hook" not in key:
                walk(value, f"{name or 'model'}.{key}", 0)
    params = {id(p): n for n, p in model.named_parameters()}
    for cache_name in ("_DENSE_LAYOUTS", "_PACKED"):
        for ref, _, copy in list(getattr(onednn, cache_name, {}).values()):
            owner = ref()
            held = owner is not None and id(owner) in params and copy is not None
            if held and copy.device.type != device.type:  # a CPU copy kept for a weight that moved
                found.append(f"onednn.{cache_name}[{params[id(owner)]}] ({copy.device})")
    return found


# ----------------------------------------------------------------- logits parity
def encoder_checkpoint(folder, name: str) -> tuple[str, int]:
    config_class, fields = ENCODERS[name]
    fields = {**ENCODER_COMMON, **fields}
    model_class = config_class.replace("Config", "ForSequenceClassification")
    return save_reference(folder, model_class, config_class, fields), fields.get("pad_token_id", 0)


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_sequence_classification_logits_match_reference(tmp_path, report, name):
    folder, pad = encoder_checkpoint(tmp_path, name)
    ours, reference = load_pair(folder, "AutoModelForSequenceClassification")
    ids, mask = right_padded(pad=pad)
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask).logits
        # first call builds the lean plan, later ones reuse it (packed on the CPU)
        diffs = [max_diff(ours(input_ids=ids, attention_mask=mask).logits, expected)]
        diffs += [max_diff(ours(input_ids=ids, attention_mask=mask).logits, expected)]
        with fast_paths(False):
            diffs.append(max_diff(ours(input_ids=ids, attention_mask=mask).logits, expected))
    report(max_diff=max(diffs), scale=expected.abs().max().item())
    assert max(diffs) <= TOL, diffs
    assert foreign_tensors(ours, DEVICE) == []


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_causal_lm_logits_match_reference(tmp_path, report, name):
    ours, reference, _ = model_pair(tmp_path, name)
    ids, mask = left_padded()
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask).logits
        got = ours(input_ids=ids, attention_mask=mask).logits
    real = mask.bool()  # padded positions' logits are not compared (not meaningful)
    diff = max_diff(got[real], expected[real])
    report(max_diff=diff, scale=expected[real].abs().max().item())
    assert diff <= TOL


@pytest.mark.parametrize("name", ["bart", "t5"])
def test_seq2seq_lm_logits_match_reference(tmp_path, report, name):
    ours, reference, pad = model_pair(tmp_path, name)
    ids, mask = right_padded(pad=pad)
    decoder_ids = torch.randint(3, 99, (3, 6), generator=torch.Generator().manual_seed(6))
    inputs = dict(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids.to(DEVICE))
    with torch.no_grad():
        expected = reference(**inputs).logits
        got = ours(**inputs).logits
    diff = max_diff(got, expected)
    report(max_diff=diff, scale=expected.abs().max().item())
    assert diff <= TOL


def test_vit_image_classification_logits_match_reference(tmp_path, report):
    folder = save_reference(tmp_path, "ViTForImageClassification", "ViTConfig", VIT)
    ours, reference = load_pair(folder, "AutoModelForImageClassification")
    # 2 x 65 rows: over the CPU's oneDNN threshold, so the CPU path would use laid-out weights
    pixels = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2)).to(DEVICE)
    with torch.no_grad():
        expected = reference(pixel_values=pixels).logits
        diffs = [max_diff(ours(pixel_values=pixels).logits, expected) for _ in range(2)]
    report(max_diff=max(diffs), scale=expected.abs().max().item())
    assert max(diffs) <= TOL
    assert foreign_tensors(ours, DEVICE) == []


def test_wav2vec2_ctc_logits_match_reference(tmp_path, report):
    folder = save_reference(tmp_path, "Wav2Vec2ForCTC", "Wav2Vec2Config", WAV2VEC2)
    ours, reference = load_pair(folder, "AutoModelForCTC")
    audio = torch.randn(2, 4000, generator=torch.Generator().manual_seed(7)).to(DEVICE)
    with torch.no_grad():
        expected = reference(input_values=audio).logits
        diffs = [max_diff(ours(input_values=audio).logits, expected) for _ in range(2)]
    report(max_diff=max(diffs), scale=expected.abs().max().item())
    assert max(diffs) <= TOL
    assert foreign_tensors(ours, DEVICE) == []


# ----------------------------------------------------------------- generation
SEARCHES = {
    "greedy": dict(max_new_tokens=10),
    "beam": dict(max_new_tokens=8, num_beams=3, num_return_sequences=2),
}


@pytest.mark.parametrize("search", sorted(SEARCHES))
@pytest.mark.parametrize("name", ["gpt2", "llama", "bart"])
def test_generate_ids_match_reference(tmp_path, report, name, search):
    ours, reference, pad = model_pair(tmp_path, name)
    padded = right_padded if name == "bart" else left_padded
    ids, mask = padded(pad=pad)
    start = torch.full((ids.shape[0], 1), reference.config.decoder_start_token_id or 0)
    extra = {"decoder_input_ids": start.to(DEVICE)} if name == "bart" else {}
    report(**first_step(ours, reference, ids, mask, **extra))
    kwargs = dict(attention_mask=mask, pad_token_id=pad, **SEARCHES[search])
    expected = reference.generate(ids, **kwargs)
    caches = ["dynamic", "static"] if name != "bart" else [None]  # no static cache for seq2seq
    for cache in caches:
        got = ours.generate(ids, cache_implementation=cache, **kwargs)
        assert got.device == expected.device
        assert torch.equal(got, expected), f"cache={cache}: {divergence(got, expected)}"


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "fp16"])
@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_half_precision_loading_and_generation(tmp_path, report, name, dtype):
    """Loading a float32 checkpoint in bf16/fp16 straight onto the device (no float32 copy of
    the model there), then greedy ids equal to the reference's in the same dtype."""
    model_class, config_class = MODELS[name][:2]
    wide = {"gpt2": GPT2_WIDE, "llama": LLAMA_WIDE}[name]
    folder = save_reference(tmp_path, model_class, config_class, wide)
    if ON_CUDA:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    ours = tfx_core.AutoModelForCausalLM.from_pretrained(folder, device=DEVICE, torch_dtype=dtype)
    tensors = [*ours.parameters(), *ours.buffers()]
    assert {p.dtype for p in ours.parameters()} == {dtype}
    assert all(t.device.type == DEVICE.type for t in tensors)
    if ON_CUDA:
        peak = torch.cuda.max_memory_allocated() - before
        held = sum(t.numel() * t.element_size() for t in {id(t): t for t in tensors}.values())
        largest = max(p.numel() for p in ours.parameters()) * 4  # one tensor converted at a time
        report(peak_bytes=peak, model_bytes=held)
        assert peak <= 1.5 * held + largest, (peak, held)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    reference = reference.to(DEVICE).eval()
    vocab = GPT2_WIDE["vocab_size"]
    for lengths in ((6, 6), (9,)):
        ids, mask = left_padded(vocab=vocab, lengths=lengths, seed=len(lengths))
        report(batch=len(lengths), **first_step(ours, reference, ids, mask))
        kwargs = dict(attention_mask=mask, max_new_tokens=12, min_new_tokens=12, pad_token_id=0)
        expected = reference.generate(ids, **kwargs)
        got = ours.generate(ids, **kwargs)
        assert torch.equal(got, expected), divergence(got, expected)


# ----------------------------------------------------------------- pipelines
def test_text_classification_pipeline_matches_reference(tmp_path, report):
    from tfx_sdk.conformance.tiny_tokenizers import write_wordpiece

    vocab = write_wordpiece(tmp_path)
    labels = {0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"}
    fields = dict(
        vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=64, id2label=labels,
        label2id={v: k for k, v in labels.items()}, initializer_range=0.2,
    )  # fmt: skip
    folder = save_reference(tmp_path, "BertForSequenceClassification", "BertConfig", fields)
    index = 0 if ON_CUDA else -1
    ours = tfx_core.pipeline("text-classification", model=folder, device=index)
    theirs = transformers.pipeline("text-classification", model=folder, device=index)
    texts = ["i love this movie", "the quick brown fox jumps over the lazy dog", "bad"]
    for options in ({}, {"top_k": None}):
        got, expected = ours(texts, **options), theirs(texts, **options)
        flat_got = [d for row in got for d in (row if isinstance(row, list) else [row])]
        flat_exp = [d for row in expected for d in (row if isinstance(row, list) else [row])]
        assert [d["label"] for d in flat_got] == [d["label"] for d in flat_exp]
        diff = max(abs(a["score"] - b["score"]) for a, b in zip(flat_got, flat_exp))
        report(options=str(options), max_diff=diff)
        assert diff <= TOL


def test_text_generation_pipeline_matches_reference(tmp_path):
    from tfx_sdk.conformance.tiny_tokenizers import write_byte_level_bpe

    vocab = write_byte_level_bpe(tmp_path, model_max_length=64)
    eos = vocab - 1  # the gpt2 style vocabulary ends with <|endoftext|>
    fields = dict(GPT2, vocab_size=vocab, bos_token_id=eos, eos_token_id=eos)
    folder = save_reference(tmp_path, "GPT2LMHeadModel", "GPT2Config", fields)
    index = 0 if ON_CUDA else -1
    ours = tfx_core.pipeline("text-generation", model=folder, device=index)
    theirs = transformers.pipeline("text-generation", model=folder, device=index)
    prompts = ["hello world", "the fox is"]
    for options in (
        dict(do_sample=False, max_new_tokens=10),
        dict(do_sample=False, max_new_tokens=8, num_beams=2, return_full_text=False),
    ):
        assert ours(prompts, **options) == theirs(prompts, **options), options


# ----------------------------------------------------------------- training
def training_rows(n: int = 24, vocab: int = 60, seed: int = 1) -> list[dict]:
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        length = int(torch.randint(3, 13, (1,), generator=generator))
        ids = torch.randint(5, vocab, (length,), generator=generator).tolist()
        rows.append({"input_ids": ids, "labels": ids[0] % 3})
    return rows


def collate(rows: list[dict]) -> dict:
    """Right-pads `input_ids` with 0; the same function feeds both Trainers."""
    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row["input_ids"])] = torch.tensor(row["input_ids"])
        mask[i, : len(row["input_ids"])] = 1
    labels = torch.tensor([r["labels"] for r in rows])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def training_checkpoint(folder, dropout: float = 0.0) -> str:
    fields = dict(
        vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=64, num_labels=3,
        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
    )  # fmt: skip
    return save_reference(folder, "BertForSequenceClassification", "BertConfig", fields)


SETTINGS = dict(
    per_device_train_batch_size=4,
    max_steps=12,
    learning_rate=1e-3,
    weight_decay=0.01,
    warmup_steps=2,
    logging_steps=1,
    seed=7,
    disable_tqdm=True,
    use_cpu=not ON_CUDA,
)


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32", "bf16"])
def test_trainer_loss_curve_matches_reference_trainer(tmp_path, report, bf16):
    pytest.importorskip("accelerate")
    folder = training_checkpoint(tmp_path / "init")
    data = training_rows()
    recorded: list[float] = []

    class Recording(transformers.Trainer):
        def training_step(self, *args, **kwargs):
            loss = super().training_step(*args, **kwargs)
            recorded.append(loss.item())
            return loss

    reference = transformers.AutoModelForSequenceClassification.from_pretrained(folder)
    reference_args = transformers.TrainingArguments(
        str(tmp_path / "ref"), report_to="none", save_strategy="no", bf16=bf16, **SETTINGS
    )
    Recording(reference, reference_args, train_dataset=data, data_collator=collate).train()

    ours = tfx_core.AutoModelForSequenceClassification.from_pretrained(folder)
    args = tfx_core.TrainingArguments(tmp_path / "ours", save_strategy="no", bf16=bf16, **SETTINGS)
    trainer = tfx_core.Trainer(ours, args, train_dataset=data, data_collator=collate)
    trainer.train()
    assert next(ours.parameters()).device.type == DEVICE.type
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == len(recorded) == SETTINGS["max_steps"]
    diff = max(abs(a - b) for a, b in zip(losses, recorded))
    report(max_loss_diff=diff, first=losses[0], last=losses[-1])
    assert diff <= (BF16_TRAIN_TOL if bf16 else TRAIN_TOL), (losses, recorded)
    assert losses[-1] < losses[0]


def test_trainer_resumes_on_the_device(tmp_path, report):
    """A run stopped at its checkpoint and resumed gives the same later losses (dropout on, so
    the saved device RNG state matters) and trains on the device again."""
    folder = training_checkpoint(tmp_path / "init", dropout=0.1)
    data = training_rows()
    settings = dict(SETTINGS, max_steps=6, save_steps=3)

    def run(output, resume=None):
        model = tfx_core.AutoModelForSequenceClassification.from_pretrained(folder)
        args = tfx_core.TrainingArguments(output, **settings)
        trainer = tfx_core.Trainer(model, args, train_dataset=data, data_collator=collate)
        trainer.train(resume_from_checkpoint=resume)
        assert next(model.parameters()).device.type == DEVICE.type
        return {e["step"]: e["loss"] for e in trainer.state.log_history if "loss" in e}

    full = run(tmp_path / "full")
    checkpoint = tmp_path / "full" / "checkpoint-3"
    rng = torch.load(checkpoint / "rng_state.pth", weights_only=True)
    assert ("cuda" in rng) == ON_CUDA
    resumed = run(tmp_path / "resumed", resume=str(checkpoint))
    later = [step for step in full if step > 3]
    assert later == [4, 5, 6] and all(step in resumed for step in later)
    diff = max(abs(full[step] - resumed[step]) for step in later)
    report(max_loss_diff=diff)
    assert diff <= TOL, (full, resumed)


# ----------------------------------------------------------------- moving between devices
@pytest.mark.parametrize("name", ["bert", "vit"])
def test_encoder_moved_between_cpu_and_device(tmp_path, report, name):
    """CPU plans and oneDNN weight copies (packed lean plans for BERT, laid-out dense weights
    for ViT's 130-row products) are dropped on the move, not reused on the device, and rebuilt
    on return to the CPU."""
    if name == "bert":
        folder, pad = encoder_checkpoint(tmp_path, "bert")
        auto_class = "AutoModelForSequenceClassification"
        ids, mask = right_padded(pad=pad)
        inputs = dict(input_ids=ids.cpu(), attention_mask=mask.cpu())
    else:
        fields = dict(VIT, hidden_size=256, intermediate_size=512)
        folder = save_reference(tmp_path, "ViTForImageClassification", "ViTConfig", fields)
        auto_class = "AutoModelForImageClassification"
        inputs = dict(pixel_values=torch.randn(2, 3, 64, 64, generator=torch.Generator()))
    ours, reference = load_pair(folder, auto_class, device=CPU)
    diffs = []
    with torch.no_grad():
        for device in (CPU, DEVICE, CPU, DEVICE):
            ours.to(device), reference.to(device)
            moved = {key: value.to(device) for key, value in inputs.items()}
            expected = reference(**moved).logits
            for _ in range(3):  # the CPU plan packs its weights from the second forward on
                got = ours(**moved).logits
                assert got.device == expected.device
                diffs.append(max_diff(got, expected))
            assert foreign_tensors(ours, device) == [], device
    report(max_diff=max(diffs))
    assert max(diffs) <= TOL


def test_hooks_and_switch_are_honoured_on_the_device(tmp_path):
    folder, pad = encoder_checkpoint(tmp_path, "bert")
    ours, reference = load_pair(folder, "AutoModelForSequenceClassification")
    ids, mask = right_padded(pad=pad)
    calls = []
    layer = ours.bert.encoder.layer[1]
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask).logits
        for _ in range(2):  # a plan exists before the hook is added
            ours(input_ids=ids, attention_mask=mask)
        handle = layer.register_forward_hook(lambda *args: calls.append(1))
        got = ours(input_ids=ids, attention_mask=mask).logits
        handle.remove()
        original = type(layer).forward.__get__(layer)

        def patched(*args, **kwargs):  # an instance-level patch of the layer's forward
            calls.append(2)
            return original(*args, **kwargs)

        layer.forward = patched
        patched_logits = ours(input_ids=ids, attention_mask=mask).logits
        del layer.forward
    assert calls == [1, 2]
    assert max_diff(got, expected) <= TOL and max_diff(patched_logits, expected) <= TOL


def test_decoder_moved_between_cpu_and_device(tmp_path):
    ours, reference, _ = model_pair(tmp_path, "gpt2", device=CPU)
    ids, mask = left_padded()
    kwargs = dict(max_new_tokens=8, pad_token_id=0)
    for device in (CPU, DEVICE, CPU):
        ours.to(device), reference.to(device)
        inputs = dict(input_ids=ids.to(device), attention_mask=mask.to(device), **kwargs)
        expected = reference.generate(**inputs)
        for cache in ("dynamic", "static", "dynamic"):
            got = ours.generate(**inputs, cache_implementation=cache)
            assert torch.equal(got, expected), f"{device} {cache}: {divergence(got, expected)}"
        assert foreign_tensors(ours, device) == [], device
