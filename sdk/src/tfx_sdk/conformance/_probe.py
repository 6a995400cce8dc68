"""Run in a fresh interpreter by the discovery checks; prints one JSON object.

    discover MODEL_TYPE   load every plugin as `tfx` does and describe who serves MODEL_TYPE
    lazy ENTRY_MODULE     import only that entry module, call its hooks, list what got imported

Standalone on purpose (no tfx_sdk import), so only what is probed is imported.
"""

import importlib
import json
import sys

HEAVY = ("torch", "tensorflow", "jax", "flax", "keras", "transformers")


def _heavy() -> list:
    return sorted(name for name in HEAVY if name in sys.modules)


def discover(model_type: str) -> dict:
    from tfx_core.plugins import get_registry

    registry = get_registry()
    infos = registry.plugins()
    claims = registry.architectures().get(model_type, [])
    result = {
        "plugins": [info.to_dict() for info in infos],
        "claims": len(claims),
        "owners": [i.to_dict() for i in infos if model_type in i.model_types],
        "heavy": _heavy(),
    }
    if len(claims) == 1:
        from importlib import metadata

        owner = result["owners"][0]
        entry_points = metadata.entry_points(group="tfx.plugins")
        result["entry_module"] = next(
            (ep.value for ep in entry_points if ep.name == owner["name"]), None
        )
    return result


def lazy(entry_module: str) -> dict:
    before = set(sys.modules)
    module = importlib.import_module(entry_module)
    references = []
    for hook in ("tfx_architectures", "tfx_tasks", "tfx_tokenizer_converters"):
        function = getattr(module, hook, None)
        for spec in (function() if function else None) or []:
            for attribute in ("config_class", "tokenizer_converter", "pipeline_class", "converter"):
                value = getattr(spec, attribute, None)
                if value:
                    references.append(value)
            for head in getattr(spec, "heads", ()):
                references.extend(head.implementations.values())
    new = set(sys.modules) - before
    spec_modules = sorted({ref.split(":")[0] for ref in references} & new - {entry_module})
    return {"heavy": sorted(name for name in HEAVY if name in new), "spec_modules": spec_modules}


if __name__ == "__main__":
    command, argument = sys.argv[1], sys.argv[2]
    try:
        output = discover(argument) if command == "discover" else lazy(argument)
    except Exception as exc:  # reported, not raised: the caller turns it into a failure
        output = {"error": f"{type(exc).__name__}: {exc}"}
    print("TFX-PROBE " + json.dumps(output))
