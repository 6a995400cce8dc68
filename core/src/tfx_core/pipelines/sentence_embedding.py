"""`sentence-embedding`: one pooled (and usually normalised) vector per text.

Reads the sentence-transformers layout of a checkpoint, as that library would: `modules.json`
lists the modules in order (Transformer, Pooling, optional Dense, optional Normalize); the
Transformer module's folder holds the model and tokenizer (and `sentence_bert_config.json` with
`max_seq_length`), the Pooling folder's `config.json` names the pooling modes. A checkpoint
without `modules.json` gets mean pooling and no normalisation, the sentence-transformers
default. Module types are matched by name from a fixed list: nothing in the files is imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline
from tfx_core.pipelines.feature_extraction import _first_output, _texts

#: Pooling modes in the order sentence-transformers concatenates them.
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len", "weightedmean", "lasttoken")
_MODULE_TYPES = {
    "sentence_transformers.models.Transformer": "transformer",
    "sentence_transformers.models.Pooling": "pooling",
    "sentence_transformers.models.Normalize": "normalize",
    "sentence_transformers.models.Dense": "dense",
}
_ACTIVATIONS = {
    "torch.nn.modules.linear.Identity": "identity",
    "torch.nn.modules.activation.Tanh": "tanh",
    "torch.nn.modules.activation.ReLU": "relu",
    "torch.nn.modules.activation.GELU": "gelu",
    "torch.nn.modules.activation.Sigmoid": "sigmoid",
}


class SentenceEmbeddingPipeline(Pipeline):
    """Sentence vectors: `pipe("a text")` -> list of floats; `pipe([...])` -> one per text."""

    task = "sentence-embedding"

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        *,
        layout: dict | None = None,
        pooling: str | list[str] | None = None,
        normalize: bool | None = None,
        max_seq_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        layout = dict(layout or {})
        if pooling is not None:
            modes = [pooling] if isinstance(pooling, str) else list(pooling)
            unknown = [mode for mode in modes if mode not in POOLING_MODES]
            if unknown or not modes:
                raise PipelineError(
                    f"pooling must name modes among {', '.join(POOLING_MODES)}, got {pooling!r}."
                )
            layout["pooling"] = [mode for mode in POOLING_MODES if mode in modes]
        if normalize is not None:
            layout["normalize"] = bool(normalize)
        if max_seq_length is not None:
            layout["max_seq_length"] = max_seq_length
        self.pooling: list[str] = layout.get("pooling") or ["mean"]
        self.normalize: bool = layout.get("normalize", False)
        self.max_seq_length: int | None = layout.get("max_seq_length")
        self.do_lower_case: bool = layout.get("do_lower_case", False)
        self.dense: list[dict] = layout.get("dense", [])
        super().__init__(model, tokenizer, **kwargs)

    # ------------------------------------------------------------ checkpoint
    @classmethod
    def _resolve_source(cls, model: str, revision: str | None) -> tuple[str, dict]:
        """The Transformer module's folder (model + tokenizer) and the layout of the rest."""
        modules = _read_json(model, "modules.json", revision)
        if modules is None:
            return model, {"layout": {}}
        layout: dict[str, Any] = {"normalize": False, "dense": []}
        transformer_path = ""
        for module in sorted(modules, key=lambda m: m.get("idx", 0)):
            kind = _MODULE_TYPES.get(module.get("type", ""))
            path = module.get("path", "")
            if kind is None:
                raise PipelineError(
                    f"The checkpoint {model!r} uses the sentence-transformers module "
                    f"{module.get('type')!r}, which tfx does not read. Supported: "
                    f"{', '.join(_MODULE_TYPES)}."
                )
            if kind == "transformer":
                transformer_path = path
                settings = _read_json(model, _join(path, "sentence_bert_config.json"), revision)
                if settings:
                    layout["max_seq_length"] = settings.get("max_seq_length")
                    layout["do_lower_case"] = bool(settings.get("do_lower_case", False))
            elif kind == "pooling":
                config = _read_json(model, _join(path, "config.json"), revision) or {}
                layout["pooling"] = [
                    mode for mode in POOLING_MODES if config.get(_pooling_key(mode), False)
                ]
            elif kind == "dense":
                layout["dense"].append(_dense_module(model, path, revision))
            else:
                layout["normalize"] = True
        return _subfolder(model, transformer_path, revision), {"layout": layout}

    # --------------------------------------------------------------- options
    def _sanitize_parameters(
        self,
        normalize_embeddings: bool | None = None,
        return_tensors: bool | None = None,
        truncation: bool | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre = {} if truncation is None else {"truncation": truncation}
        forward = {} if normalize_embeddings is None else {"normalize": bool(normalize_embeddings)}
        post = {} if return_tensors is None else {"return_tensors": bool(return_tensors)}
        return pre, forward, post

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, str)

    # ------------------------------------------------------------------ steps
    def preprocess_batch(self, items: list[Any], truncation: bool = True) -> list[list[dict]]:
        texts = _texts(items, self.task)
        if self.do_lower_case:
            texts = [text.lower() for text in texts]
        limit = self.max_seq_length
        if limit is not None and self.encoder.model_max_length is not None:
            limit = min(limit, self.encoder.model_max_length)
        encoded = self.encoder.encode(texts, truncation=truncation, max_length=limit)
        return [
            [
                {
                    "input_ids": enc.ids,
                    "attention_mask": enc.attention_mask,
                    "token_type_ids": enc.type_ids,
                }
            ]
            for enc, *_ in encoded
        ]

    def _forward(self, model_inputs: dict[str, Any], normalize: bool | None = None) -> dict:
        import torch

        hidden = _first_output(self.model(**model_inputs))
        mask = model_inputs.get("attention_mask")
        if mask is None:
            mask = torch.ones(hidden.shape[:2], dtype=torch.long, device=hidden.device)
        vector = torch.cat([_pool(mode, hidden, mask) for mode in self.pooling], dim=-1)
        for dense in self.dense:
            vector = _apply_dense(dense, vector)
        if self.normalize if normalize is None else normalize:
            vector = torch.nn.functional.normalize(vector, p=2, dim=1)
        return {"embedding": vector}

    def postprocess(self, chunks: list[dict], return_tensors: bool = False) -> Any:
        vector = chunks[0]["embedding"]
        return vector if return_tensors else vector.tolist()


def _pooling_key(mode: str) -> str:
    return (
        "pooling_mode_cls_token"
        if mode == "cls"
        else ("pooling_mode_lasttoken" if mode == "lasttoken" else f"pooling_mode_{mode}_tokens")
    )


def _pool(mode: str, hidden: Any, mask: Any) -> Any:
    """One pooling mode over `[batch, tokens, hidden]` with a `[batch, tokens]` mask."""
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "cls":
        return hidden[:, 0]
    if mode == "max":
        return hidden.masked_fill(weights == 0, -1e9).max(dim=1).values
    if mode in ("mean", "mean_sqrt_len"):
        total = (hidden * weights).sum(dim=1)
        count = weights.sum(dim=1).clamp(min=1e-9)
        return total / (count if mode == "mean" else count.sqrt())
    if mode == "weightedmean":
        positions = torch.arange(1, hidden.shape[1] + 1, device=hidden.device, dtype=hidden.dtype)
        weighted = weights * positions[None, :, None]
        return (hidden * weighted).sum(dim=1) / weighted.sum(dim=1).clamp(min=1e-9)
    # lasttoken: the last token the mask keeps in each row
    last = (mask.cumsum(dim=1) == mask.sum(dim=1, keepdim=True)) & (mask == 1)
    index = last.to(torch.long).argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), index]


def _apply_dense(dense: dict, vector: Any) -> Any:
    import torch

    weight = dense["weight"].to(vector.device, vector.dtype)
    bias = dense.get("bias")
    out = torch.nn.functional.linear(
        vector, weight, None if bias is None else bias.to(vector.device, vector.dtype)
    )
    activation = dense["activation"]
    if activation == "tanh":
        return torch.tanh(out)
    if activation == "relu":
        return torch.relu(out)
    if activation == "gelu":
        return torch.nn.functional.gelu(out)
    if activation == "sigmoid":
        return torch.sigmoid(out)
    return out


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if folder else name


def _local(model: str) -> Path | None:
    path = Path(model)
    return path if path.is_dir() else None


def _read_json(model: str, name: str, revision: str | None) -> Any:
    """A JSON file of the checkpoint (local folder or Hub), or None when it has none."""
    local = _local(model)
    if local is not None:
        path: Path | None = local / name
        if not path.is_file():
            return None
    else:
        from tfx_core.hub import resolve_file

        path = resolve_file(model, name, required=False, revision=revision)
        if path is None:
            return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError(f"Could not read {name} of {model!r}: {exc}") from exc


def _subfolder(model: str, path: str, revision: str | None) -> str:
    if not path:
        return model
    local = _local(model)
    if local is not None:
        return str(local / path)
    from tfx_core.hub import resolve_snapshot

    return str(resolve_snapshot(model, revision=revision, allow_patterns=[f"{path}/*"]) / path)


def _dense_module(model: str, path: str, revision: str | None) -> dict:
    config = _read_json(model, _join(path, "config.json"), revision) or {}
    name = config.get("activation_function", "torch.nn.modules.linear.Identity")
    if name not in _ACTIVATIONS:
        raise PipelineError(
            f"The Dense module of {model!r} uses the activation {name!r}, which tfx does not "
            f"read. Supported: {', '.join(_ACTIVATIONS)}."
        )
    from safetensors.torch import load_file

    folder = Path(_subfolder(model, path, revision))
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise PipelineError(
            f"The Dense module {path!r} of {model!r} has no model.safetensors (tfx does not "
            "read pickled weights here)."
        )
    tensors = load_file(str(weights))
    return {
        "weight": tensors["linear.weight"],
        "bias": tensors.get("linear.bias"),
        "activation": _ACTIVATIONS[name],
    }
