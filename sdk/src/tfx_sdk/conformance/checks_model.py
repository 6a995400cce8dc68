"""Per-head model checks: forward outputs, save/load, head-from-base, dtypes, generation, tasks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tfx_sdk.conformance.failures import fail, listing
from tfx_sdk.conformance.heads import (
    dummy_labels,
    output_class_prefix,
    output_fields,
    shape_matches,
)
from tfx_sdk.conformance.inputs import in_dtype
from tfx_sdk.conformance.parity import perturb
from tfx_sdk.conformance.subject import Subject


def saved_keys(folder: Path) -> set[str]:
    """The tensor names of the safetensors checkpoint in `folder` (single file or sharded)."""
    from safetensors import safe_open

    index = folder / "model.safetensors.index.json"
    if index.exists():
        return set(json.loads(index.read_text(encoding="utf-8"))["weight_map"])
    single = folder / "model.safetensors"
    if not single.exists():
        present = ", ".join(sorted(p.name for p in folder.iterdir()))
        raise fail(
            f"save_pretrained wrote no model.safetensors (nor an index) into the folder; it "
            f"holds: {present}",
            "save weights through PreTrainedModel.save_pretrained (safetensors is the format)",
        )
    with safe_open(str(single), framework="numpy") as handle:
        return set(handle.keys())


def tied_keys(model: Any) -> set[str]:
    """Keys saved once under their source's name (`tied_weights` when tying is on, `shared_weights`)."""
    pairs = getattr(model, "_tied_pairs", None)
    if callable(pairs):
        return set(pairs())
    return set(getattr(model, "tied_weights", None) or {}) | set(
        getattr(model, "shared_weights", None) or {}
    )


def _outputs(model: Any, inputs: dict, **extra: Any) -> Any:
    import torch

    with torch.no_grad():
        return model(**inputs, **extra)


def _field(output: Any, name: str, who: str) -> Any:
    try:
        value = output[name]
    except (KeyError, TypeError, IndexError):
        value = getattr(output, name, None)
    if value is None:
        raise fail(
            f"{who} returned {type(output).__name__} without the field {name!r}",
            f"return an output whose {name!r} is set (see tfx_core.modeling.outputs)",
        )
    return value


def check_forward(subject: Subject, head: str, framework: str) -> None:
    import torch

    from tfx_core.modeling.outputs import ModelOutput

    config = subject.config(head)
    model = subject.build(head, framework, config)
    who = f"{type(model).__name__}.forward"
    inputs = subject.inputs(head, config)
    output = _outputs(model, inputs)
    if not isinstance(output, ModelOutput):
        raise fail(
            f"{who} returned {type(output).__name__}, not a ModelOutput",
            "return an output class from tfx_core.modeling.outputs (fields like the reference's)",
        )
    prefix = output_class_prefix(head, bool(getattr(model.config, "is_encoder_decoder", False)))
    returned = type(output).__name__
    # (an architecture's own variant counts: Wav2Vec2BaseModelOutput is a BaseModelOutput)
    if prefix and prefix not in returned:
        raise fail(
            f"{who} (head {head!r}) returned {type(output).__name__}; the reference returns a "
            f"{prefix}",
            f"return tfx_core.modeling.outputs.{prefix} (or its WithPast/... variant)",
        )
    first = None
    for name, symbols in output_fields(head, subject.tester.modality_of(head)).items():
        value = _field(output, name, who)
        expected = subject.shapes.resolve(symbols, config)
        if not shape_matches(tuple(value.shape), expected):
            first_input, given = next(iter(inputs.items()))
            raise fail(
                f"{who} (head {head!r}) returned {name} of shape {tuple(value.shape)}; expected "
                f"{expected} ({', '.join(map(str, symbols))}; None: any) for {first_input} of "
                f"shape {tuple(given.shape)}",
                f"fix the head's output projection or reshaping so {name} has that shape",
            )
        if not torch.is_floating_point(value) or not torch.isfinite(value).all():
            raise fail(
                f"{who} returned {name} that is not finite floating point ({value.dtype})",
                "check the masking (use the dtype's minimum, not -inf) and the initialisation",
            )
        first = value if first is None else first
    as_tuple = _outputs(model, inputs, return_dict=False)
    if not isinstance(as_tuple, tuple):
        raise fail(
            f"{who}(return_dict=False) returned {type(as_tuple).__name__}, not a tuple",
            "honour return_dict=False by returning output.to_tuple() like the reference",
        )
    if first is not None and not torch.equal(as_tuple[0], first):
        raise fail(
            f"{who}(return_dict=False)[0] differs from the output's first field",
            "return the fields in the reference's order, None fields dropped",
        )
    labels = dummy_labels(head, config, subject.shapes, subject.tester.seed)
    if labels:
        model.train()
        loss = model(**inputs, **labels).loss
        if loss is None or loss.dim() != 0 or not torch.isfinite(loss):
            raise fail(
                f"{who} with {', '.join(labels)} returned loss {loss!r}; expected a finite scalar",
                "compute the reference's loss when labels are given",
            )
        loss.backward()


def _save(model: Any, folder: Path) -> set[str]:
    model.save_pretrained(folder)
    if not (folder / "config.json").exists():
        raise fail("save_pretrained wrote no config.json", "save through PreTrainedModel")
    return saved_keys(folder)


def check_save_load(subject: Subject, head: str, framework: str, tmp_path: Path) -> None:
    import torch

    from tfx_core.auto import AUTO_MODEL_CLASSES, resolve_head
    from tfx_core.config import PretrainedConfig

    config = subject.config(head)
    model = subject.build(head, framework, config)
    name = type(model).__name__
    folder = tmp_path / "checkpoint"
    saved = _save(model, folder)
    state = model.state_dict()
    tied = tied_keys(model)
    # keys the class declares optional in checkpoints (rebuilt when absent, e.g. fixed position
    # tables the reference does not save) may be left out
    optional = {
        key
        for key in state
        if any(re.search(pattern, key) for pattern in getattr(model, "ignore_missing_keys", ()))
    }
    not_saved = set(state) - saved - tied - optional
    if not_saved:
        hint = ""
        wrongly_tied = (set(state) - saved) & tied
        if wrongly_tied:
            hint = f" (tied_weights also lists {listing(wrongly_tied)})"
        raise fail(
            f"{name}.save_pretrained left out keys the model has: {listing(not_saved)}{hint}; "
            "a checkpoint without them cannot be reloaded",
            "save every parameter and persistent buffer: do not filter the state dict, and "
            "list a key in tied_weights only when it really shares its tensor",
        )
    extra = saved - set(state)
    if extra:
        raise fail(
            f"{name}.save_pretrained wrote keys the model does not have: {listing(extra)}",
            "save model.state_dict() keys only (register helper tensors with persistent=False)",
        )
    model_class = type(model)
    loaded = model_class.from_pretrained(folder)
    report = getattr(loaded, "load_report", None)
    if report is not None and not report.is_clean:
        raise fail(
            f"Reloading what {name} saved is not clean:\n{report}",
            "make save_pretrained and the module's parameter names agree",
        )
    loaded_state = loaded.state_dict()
    different = [k for k, v in state.items() if not torch.equal(v, loaded_state[k])]
    if different:
        raise fail(
            f"{name} reloaded with different values for: {listing(different)}",
            "check tied_weights (a tie must point at the tensor it really shares) and any "
            "renaming applied on save or load",
        )
    inputs = subject.inputs(head, config)
    for field in output_fields(head):
        a = _field(_outputs(model, inputs), field, name)
        b = _field(_outputs(loaded.eval(), inputs), field, name)
        if not torch.allclose(a, b, atol=1e-6, rtol=0):
            raise fail(
                f"{name} gives different {field} after save -> load (max |diff| "
                f"{(a - b).abs().max().item():.3g})",
                "make every value the forward pass uses a saved parameter or persistent buffer",
            )
    saved_config = PretrainedConfig.read_config_file(folder)
    head_spec = subject.head_spec(head)
    if saved_config.get("architectures") != [head_spec.hf_architecture]:
        raise fail(
            f"{name} saved architectures={saved_config.get('architectures')}; the HeadSpec "
            f"says this head answers to {head_spec.hf_architecture!r}",
            f"name the class {head_spec.hf_architecture} (or make save_pretrained write it) so "
            "checkpoints route back to this head",
        )
    resolved = resolve_head(loaded.config)
    # (one class may serve two heads: CLIPModel is CLIP's base and its zero-shot classifier)
    if resolved.head != head and resolved.hf_architecture != head_spec.hf_architecture:
        raise fail(
            f"A checkpoint saved by {name} resolves to head {resolved.head!r}, not {head!r}",
            "give each HeadSpec a distinct hf_architecture equal to its class name",
        )
    auto = AUTO_MODEL_CLASSES.get(head)
    if auto is not None and type(auto.from_pretrained(folder)) is not model_class:
        raise fail(
            f"{auto.__name__}.from_pretrained did not load {name}",
            "check the HeadSpec for this head in the ArchitectureSpec",
        )


def check_head_from_base(subject: Subject, head: str, framework: str, tmp_path: Path) -> None:
    import torch

    if head == "base":
        pytest.skip("the base head is the base checkpoint")
    subject.driven(framework)
    config = subject.config(head)
    model_class = subject.model_class(head, framework)
    prefix = model_class.base_model_prefix
    base_class = subject.model_class("base", framework)
    if prefix != getattr(base_class, "base_model_prefix", prefix):  # e.g. DPR's encoders
        pytest.skip(f"{model_class.__name__} does not hold the base model {base_class.__name__}")
    base = subject.build("base", framework, config)
    _save(base, tmp_path / "base")
    model = model_class.from_pretrained(tmp_path / "base", config=config)
    name = model_class.__name__
    if not isinstance(getattr(model, prefix, None), torch.nn.Module):  # T5's seq2seq heads
        pytest.skip(f"{name} holds its modules at the top level, not under `{prefix}`")
    report = model.load_report
    state = model.state_dict()
    base_state = base.state_dict()
    # the head's own keys, and those its base model has beyond a plain one (ViT's mask token
    # for masked-image modeling)
    expected = {
        k for k in state if not k.startswith(f"{prefix}.") or k[len(prefix) + 1 :] not in base_state
    } - tied_keys(model)
    missing = set(report.missing)
    wrong = missing - expected
    if wrong:
        raise fail(
            f"Loading {name} from a {type(base).__name__} checkpoint left base-model keys "
            f"missing: {listing(wrong)}",
            f"hold the base model as `self.{prefix}` (base_model_prefix) with the same "
            f"parameter names as {type(base).__name__}",
        )
    unreported = expected - missing
    if unreported:
        raise fail(
            f"Loading {name} from a base checkpoint did not report its own head keys as "
            f"missing: {listing(unreported)}",
            "report every key the checkpoint lacks in load_report.missing (do not fill head "
            "weights from unrelated base weights)",
        )
    if report.mismatched:
        raise fail(
            f"Loading {name} from a base checkpoint found shape mismatches: {report.mismatched}",
            "the head's base model must be built from the same config as the base model",
        )
    for key, value in state.items():
        base_key = key[len(prefix) + 1 :] if key.startswith(f"{prefix}.") else None
        if base_key in base_state and not torch.equal(value, base_state[base_key]):
            raise fail(
                f"{name}.{key} was not loaded from the base checkpoint's {base_key}",
                f"hold the base model as `self.{prefix}` with the base model's parameter names",
            )


def check_dtype(subject: Subject, head: str, framework: str, dtype: str, tmp_path: Path) -> None:
    import torch

    config = subject.config(head)
    model = subject.build(head, framework, config)
    _save(model, tmp_path / "fp32")
    torch_dtype = getattr(torch, dtype)
    loaded = type(model).from_pretrained(tmp_path / "fp32", dtype=torch_dtype)
    # modules a model keeps in float32 when loaded in float16, as the reference does (T5's `wo`)
    fp32_modules = set(getattr(loaded, "keep_in_fp32_modules", ()) or ())

    def kept(key: str, value: Any) -> bool:
        in_fp32 = torch_dtype == torch.float16 and value.dtype == torch.float32
        return in_fp32 and bool(fp32_modules & set(key.split(".")[:-1]))

    name = type(model).__name__
    other = [
        f"{key} ({value.dtype})"
        for key, value in loaded.state_dict().items()
        if value.is_floating_point() and value.dtype != torch_dtype and not kept(key, value)
    ]
    if other:
        raise fail(
            f"{name}.from_pretrained(dtype=torch.{dtype}) left tensors in another dtype: "
            f"{listing(other)}",
            "create every floating tensor from the config/parameters (not a hard-coded "
            "float32), so the loader's dtype applies to all of them",
        )
    # images and audio come in the model's dtype, as its processor's pipeline gives them
    inputs = in_dtype(subject.inputs(head, config), torch_dtype)
    output = _outputs(loaded, inputs)
    for field in output_fields(head):
        value = _field(output, field, name)
        if value.dtype != torch_dtype or not torch.isfinite(value).all():
            raise fail(
                f"{name} loaded in {dtype} returned {field} of dtype {value.dtype} with "
                f"{int((~torch.isfinite(value)).sum())} non-finite values",
                "compute in the parameters' dtype and use torch.finfo(dtype).min for masking",
            )


def check_greedy_generation(subject: Subject, head: str, framework: str) -> None:
    import torch

    config = subject.config(head)
    model = subject.build(head, framework, config)
    name = type(model).__name__
    if not callable(getattr(model, "generate", None)):
        raise fail(
            f"{name} is a generative head but has no generate()",
            "inherit tfx_core.generation.GenerationMixin before the PreTrainedModel base",
        )
    from tfx_sdk.conformance.checks_seq2seq import check_seq2seq_generation

    # At a tiny model's initialisation (std 0.02) a decoder hardly reads its source: every
    # source gives the same tokens, so a broken cache or encoder reuse would change none.
    perturb(model, subject.tester.seed, scale=0.5)
    if getattr(model.config, "is_encoder_decoder", False):
        return check_seq2seq_generation(subject, head, model)
    prompt = subject.inputs(head, config, padded=False)["input_ids"]
    steps = subject.tester.max_new_tokens
    # forced tokens (BART-family configs force </s> last) are not what a plain forward picks
    plain = {"forced_bos_token_id": None, "forced_eos_token_id": None}
    first = model.generate(prompt, max_new_tokens=steps, do_sample=False, **plain)
    second = model.generate(prompt, max_new_tokens=steps, do_sample=False, **plain)
    if not torch.equal(first, second):
        raise fail(
            f"{name}.generate(do_sample=False) gave different tokens on two runs",
            "make decoding deterministic: no dropout in eval mode, no state kept between calls",
        )
    if not torch.equal(first[:, : prompt.shape[1]], prompt):
        raise fail(f"{name}.generate does not return the prompt first", "prepend the prompt")
    # The same greedy tokens without a cache: the full sequence recomputed at every step, with
    # positions 0..n-1 as `generate` numbers them (the reference's rule, also for models whose
    # plain forward counts positions differently, such as RoBERTa's after the padding id).
    import inspect

    base = getattr(model, "base_model", model)
    numbered = "position_ids" in inspect.signature(base.forward).parameters
    expected = prompt
    with torch.no_grad():
        for _ in range(first.shape[1] - prompt.shape[1]):
            extra = {}
            if numbered:
                extra["position_ids"] = torch.arange(expected.shape[1])[None].expand(
                    expected.shape[0], -1
                )
            logits = model(input_ids=expected, use_cache=False, **extra).logits[:, -1]
            expected = torch.cat([expected, logits.argmax(-1, keepdim=True)], dim=1)
    eos = config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos]) - {None}
    for row in range(first.shape[0]):
        for position in range(prompt.shape[1], first.shape[1]):
            token = int(first[row, position])
            if token != int(expected[row, position]):
                raise fail(
                    f"{name}.generate (with its KV cache) chose token {token} at position "
                    f"{position} of row {row}; recomputing the whole sequence chooses "
                    f"{int(expected[row, position])}",
                    "check the cache path: new keys/values appended per layer, positions "
                    "offset by the cached length, causal mask over cached + new tokens",
                )
            if token in eos:
                break


_DEFAULT_TASK_INPUTS: dict[str, Any] = {
    "text-classification": "hello world",
    "sentiment-analysis": "hello world",
    "token-classification": "hello world",
    "ner": "hello world",
    "feature-extraction": "hello world",
    "question-answering": {"question": "who is it?", "context": "it is the quick brown fox"},
    "text-generation": lambda run: run("hello", max_new_tokens=3, do_sample=False),
    "text2text-generation": lambda run: run("hello world", max_new_tokens=3, do_sample=False),
    "summarization": lambda run: run("hello world", max_new_tokens=3, do_sample=False),
    "translation": lambda run: run("hello world", max_new_tokens=3, do_sample=False),
    "image-classification": lambda run: run(sample_image()),
    "image-feature-extraction": lambda run: run(sample_image()),
    "image-segmentation": lambda run: run(sample_image()),
    "depth-estimation": lambda run: run(sample_image()),
    "object-detection": lambda run: run(sample_image(), threshold=0.0),
    "audio-classification": lambda run: run(sample_waveform()),
    "automatic-speech-recognition": lambda run: run(sample_waveform()),
}


def sample_image() -> Any:
    """A small RGB picture (colour gradients) for the image pipelines."""
    import numpy as np
    from PIL import Image

    rows, columns = np.mgrid[0:40, 0:48]
    pixels = np.stack([rows * 6, columns * 5, (rows + columns) * 3], axis=-1) % 256
    return Image.fromarray(pixels.astype(np.uint8))


def sample_waveform() -> Any:
    """Half a second of a 16 kHz tone with a rising pitch, for the audio pipelines."""
    import numpy as np

    seconds = np.arange(8000, dtype=np.float32) / 16000
    return {
        "raw": 0.3 * np.sin(2 * np.pi * (220 + 400 * seconds) * seconds),
        "sampling_rate": 16000,
    }


def check_pipeline(subject: Subject, task: str, tmp_path: Path) -> None:
    try:
        from tfx_core.pipelines import pipeline
    except ImportError as exc:
        pytest.skip(f"tfx_core.pipelines is not available: {exc}")
    head = subject.tester.tasks[task]
    config = subject.config(head)
    model = subject.build(head, "pt", config)
    folder = tmp_path / "model"
    wrote_tokenizer = subject.tester.write_tokenizer_files(folder)
    if not (subject.tester.write_processor_files(folder) or wrote_tokenizer):
        pytest.skip("the tester gives no tokenizer_files or processor_files: no pipeline to build")
    model.save_pretrained(folder)
    runner = pipeline(task, model=str(folder))
    inputs = subject.tester.task_inputs.get(task, _DEFAULT_TASK_INPUTS.get(task))
    if task == "fill-mask" and inputs is None:
        inputs = f"hello {runner.tokenizer.mask_token} world"
    if inputs is None:
        raise fail(
            f"The kit has no default input for task {task!r}",
            f"give PluginTester(task_inputs={{{task!r}: ...}}) (a value, kwargs dict or callable)",
        )
    if callable(inputs):
        result = inputs(runner)
    elif isinstance(inputs, dict):
        result = runner(**inputs)
    else:
        result = runner(inputs)
    if result is None or (hasattr(result, "__len__") and len(result) == 0):
        raise fail(
            f"The {task!r} pipeline on a {type(model).__name__} returned {result!r}",
            "make the head's outputs what the task's pipeline reads (see its postprocess)",
        )
