"""`tfx-sdk new`: render `templates/` into a complete, working plugin package.

The templates are Jinja files ending in `.tmpl` (so neither pytest nor ruff treats them as code)
under `templates/common/` (pyproject, README, package init) and `templates/<kind>/` (spec, config,
modeling, tests), one folder per kind of model: `encoder` (`--like bert`), `decoder`
(`--like gpt2`), `seq2seq` (`--like bart`), `vision` (`--like vit`) and `speech`
(`--like wav2vec2`). Path parts `__package__` and `__module__` are replaced by the plugin's names.
The package is rendered into a temporary folder and moved into place in one rename, so a failed
render leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import jinja2

from tfx_sdk import __version__
from tfx_sdk.errors import ScaffoldError
from tfx_sdk.names import PluginNames, check_available

#: The kinds of model a new plugin can start from (folders of templates/).
TEMPLATES = ("encoder", "decoder", "seq2seq", "vision", "speech")
#: Model families accepted by `--like` as other names of a template.
ALIASES = {
    "bert": "encoder",
    "gpt2": "decoder",
    "bart": "seq2seq",
    "vit": "vision",
    "wav2vec2": "speech",
}
#: The `tfx-core` extras each template's package depends on.
CORE_EXTRAS = {
    "encoder": "torch",
    "decoder": "torch",
    "seq2seq": "torch",
    "vision": "torch,vision",
    "speech": "torch,audio",
}
#: Everything `--like` accepts.
LIKES = (*TEMPLATES, *ALIASES)
_SUFFIX = ".tmpl"


def templates_root() -> Path:
    """The templates folder: `$TFX_SDK_TEMPLATES`, the packaged copy, or the repository's."""
    override = os.environ.get("TFX_SDK_TEMPLATES")
    candidates = [Path(override)] if override else []
    here = Path(__file__).resolve().parent
    candidates += [here / "templates", *(parent / "templates" for parent in here.parents)]
    for candidate in candidates:
        if (candidate / "common").is_dir():
            return candidate
    raise ScaffoldError(
        "tfx-sdk cannot find its templates (a folder with common/, encoder/ and decoder/). "
        "Reinstall tfx-sdk, or point TFX_SDK_TEMPLATES at the repository's templates/ folder."
    )


def template_for(like: str) -> str:
    """The template folder `like` names (a template or an alias); `ScaffoldError` otherwise."""
    template = ALIASES.get(like, like)
    if template not in TEMPLATES:
        choices = ", ".join(f"{t} ({a})" for a, t in ALIASES.items())
        raise ScaffoldError(f"Unknown --like {like!r}: choose one of {choices}.")
    return template


def render_context(names: PluginNames, like: str, description: str | None) -> dict[str, object]:
    context: dict[str, object] = asdict(names)
    template = template_for(like)
    context.update(
        like=like,
        template=template,
        core_extras=CORE_EXTRAS[template],
        description=description or f"The {names.class_prefix} architecture for tfx",
        sdk_version=__version__,
    )
    return context


def _output_path(relative: Path, names: PluginNames) -> Path:
    parts = [
        part.replace("__package__", names.package).replace("__module__", names.module)
        for part in relative.parts
    ]
    parts[-1] = parts[-1].removesuffix(_SUFFIX)
    return Path(*parts)


def new_plugin(
    name: str,
    *,
    like: str = "encoder",
    dest: str | os.PathLike = ".",
    model_type: str | None = None,
    class_prefix: str | None = None,
    description: str | None = None,
    folder_name: str | None = None,
) -> Path:
    """Render a new plugin package into `dest/<name>` and return that folder.

    `like` is a template (`encoder`, `decoder`, `seq2seq`, `vision`, `speech`) or a model family
    naming one (`bert`, `gpt2`, `bart`, `vit`, `wav2vec2`).
    Raises `ScaffoldError` for a bad or taken name, an unknown `like`, or an existing folder.
    """
    template = template_for(like)
    names = PluginNames.derive(name, model_type=model_type, class_prefix=class_prefix)
    parent = Path(dest).expanduser().resolve()
    target = parent / (folder_name or names.name)
    check_available(names, target)
    root = templates_root()
    sources = [root / "common", root / template]
    if not sources[1].is_dir():
        raise ScaffoldError(f"The templates folder {root} has no {template}/ templates.")

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(s) for s in sources]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context = render_context(names, like, description)
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tfx-sdk-{names.name}-", dir=parent))
    try:
        for source in sources:
            for path in sorted(source.rglob(f"*{_SUFFIX}")):
                relative = path.relative_to(source)
                template = environment.get_template(relative.as_posix())
                output = staging / _output_path(relative, names)
                output.parent.mkdir(parents=True, exist_ok=True)
                output.write_text(template.render(**context), encoding="utf-8")
        if target.exists():  # an empty folder: check_available let it through
            target.rmdir()
        os.replace(staging, target)
    except jinja2.TemplateError as exc:
        raise ScaffoldError(f"Rendering the {template} templates failed: {exc}") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
