"""`sibling_module`: a plugin's other test module, loaded by path.

Plugin tests run with `--import-mode=importlib`, so one test file cannot import another by
name; a conformance file that wants the plugin's tiny config or tokenizer writers from the
plugin's own tests loads that file here instead of copying them:

    TINY = sibling_module(__file__, "test_vit.py").TINY
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType


def sibling_module(test_file: str | os.PathLike, name: str) -> ModuleType:
    """The module of the file `name` next to `test_file`, executed once per process."""
    path = Path(test_file).resolve().with_name(name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: name a test file next to {test_file}")
    key = f"_tfx_sibling_{abs(hash(str(path))):x}_{path.stem}"
    module = sys.modules.get(key)
    if module is None:
        spec = importlib.util.spec_from_file_location(key, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path} as a module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module  # (dataclasses and pickling look the module up by name)
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[key]
            raise
    return module
