"""Match model keys to checkpoint keys across the base-model prefix (e.g. `bert.`), so base
checkpoints load into head models and head checkpoints into base models."""

from __future__ import annotations

from collections.abc import Iterable


def align_prefix(
    checkpoint_keys: Iterable[str], model_keys: Iterable[str], base_prefix: str
) -> dict[str, str]:
    """Map each model key to the checkpoint key that holds its weights.

    Three layouts are tried and the one matching the most keys wins (ties keep the first):
    equal (`x` -> `x`); a base checkpoint in a head model (model `bert.x` -> checkpoint `x`;
    the head's own keys stay as they are); a head checkpoint in a base model (model `x` ->
    checkpoint `bert.x`; the checkpoint's head keys then go unmatched, i.e. unexpected).
    Model keys without a match are absent from the result (missing).
    """
    checkpoint = set(checkpoint_keys)
    model = list(model_keys)
    prefix = base_prefix.rstrip(".") + "." if base_prefix else ""
    candidates = [{key: key for key in model}]
    if prefix:
        candidates.append({key: key.removeprefix(prefix) for key in model})
        candidates.append({key: key if key.startswith(prefix) else prefix + key for key in model})
    best: dict[str, str] = {}
    for candidate in candidates:
        matched = {key: ckpt for key, ckpt in candidate.items() if ckpt in checkpoint}
        if len(matched) > len(best):
            best = matched
    return best
