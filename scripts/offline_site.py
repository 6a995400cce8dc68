"""Make this repository's packages importable without pip or a build backend (offline machines).

    python3 scripts/offline_site.py SITE_DIR     # prints the PYTHONPATH to use

For `core`, `sdk` and every `plugins/*` it writes `SITE_DIR/<name>-<version>.dist-info`
(METADATA, entry_points.txt, top_level.txt), so `importlib.metadata` finds their entry points:
the `tfx.plugins` group the core discovers plugins through, and the SDK's `pytest11` plugin.
It prints `SITE_DIR` followed by each package's `src` folder, `:`-separated. An editable
`pip install -e` needs setuptools in the environment (`--no-build-isolation`) or on an index
(build isolation); this needs only the standard library.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parse(text: str) -> dict:
    """The `[project]` name/version and its entry-point tables from a pyproject's text."""
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # 3.10: the few keys needed, read line by line
        return _parse_lines(text)
    project = tomllib.loads(text).get("project", {})
    return {
        "name": project["name"],
        "version": project.get("version", "0"),
        "entry_points": project.get("entry-points", {}),
    }


def _parse_lines(text: str) -> dict:
    result: dict = {"entry_points": {}}
    table = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[([^\]]+)\]", line)
        if header:
            table = header.group(1)
            continue
        pair = re.fullmatch(r'"?([\w.\-]+)"?\s*=\s*"([^"]*)"', line)
        if not pair or table is None:
            continue
        key, value = pair.groups()
        if table == "project" and key in ("name", "version"):
            result[key] = value
        elif table.startswith("project.entry-points."):
            group = table.removeprefix("project.entry-points.").strip('"')
            result["entry_points"].setdefault(group, {})[key] = value
    result.setdefault("version", "0")
    return result


def packages() -> list[Path]:
    """The repository's distributions: core, sdk and each plugin folder with a pyproject."""
    found = [ROOT / "core", ROOT / "sdk", *sorted((ROOT / "plugins").glob("*"))]
    return [p for p in found if (p / "pyproject.toml").is_file() and (p / "src").is_dir()]


def write_site(site: Path) -> list[Path]:
    """Write one dist-info per package into `site`; returns the packages' `src` folders."""
    site.mkdir(parents=True, exist_ok=True)
    sources = []
    for folder in packages():
        meta = _parse((folder / "pyproject.toml").read_text(encoding="utf-8"))
        stem = re.sub(r"[-_.]+", "_", meta["name"])
        for old in site.glob(f"{stem}-*.dist-info"):
            shutil.rmtree(old)
        info = site / f"{stem}-{meta['version']}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
        )
        groups = meta["entry_points"]
        lines = [
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items())
            for group, entries in groups.items()
        ]
        (info / "entry_points.txt").write_text("\n".join(lines))
        modules = sorted(p.name for p in (folder / "src").iterdir() if (p / "__init__.py").exists())
        (info / "top_level.txt").write_text("".join(f"{m}\n" for m in modules))
        (info / "INSTALLER").write_text("scripts/offline_site.py\n")
        sources.append(folder / "src")
    return sources


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    site = Path(argv[0]).resolve()
    sources = write_site(site)
    print(":".join(map(str, [site, *sources])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
