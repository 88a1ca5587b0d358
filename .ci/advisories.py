"""Known-vulnerability check of the installed Python packages that needs no network.

pip-audit asks OSV or PyPI over the network, which CI here cannot reach. This check reads advisories in OSV
format from `.ci/advisories/` (a dated extract of the PyPA advisory database, https://github.com/pypa/advisory-database,
CC-BY 4.0, for the packages we install) and compares every installed distribution with them. It cannot know of
advisories published after the extract: `make audit-online` runs pip-audit where the network allows, and
`refresh` rebuilds the extract from a newer checkout of the database.

    python .ci/advisories.py                 # exit 1 and list each installed version an advisory names
    python .ci/advisories.py refresh DB_DIR  # rebuild .ci/advisories/ from a checkout of the database
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

HERE = Path(__file__).resolve().parent / "advisories"
KEPT = ("id", "aliases", "summary", "published", "modified", "affected")


def installed() -> dict[str, str]:
    return {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}


def affects(affected: dict[str, Any], version: str) -> bool:
    """OSV's rule: a version is affected when listed, or when it lies in an ECOSYSTEM range, i.e. at or after an
    `introduced` event and before the next `fixed` (or at or before `last_affected`)."""
    if version in affected.get("versions", []):
        return True
    try:
        v = Version(version)
    except InvalidVersion:
        return False
    for span in affected.get("ranges", []):
        if span.get("type") != "ECOSYSTEM":
            continue
        inside = False
        for event in span.get("events", []):
            ((kind, bound),) = event.items()
            if kind == "introduced":
                inside = inside or bound == "0" or v >= Version(str(bound))
            elif inside and kind in ("fixed", "last_affected"):
                limit = Version(str(bound))
                inside = v < limit if kind == "fixed" else v <= limit
        if inside:
            return True
    return False


def reviewed() -> dict[str, str]:
    """Advisories read and judged not to apply, each with its reason (`ID: reason` lines in IGNORED)."""
    lines = (HERE / "IGNORED").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def findings(packages: dict[str, str]) -> list[str]:
    found = []
    ignored = reviewed()
    for path in sorted(HERE.glob("*/*.yaml")):
        advisory = yaml.safe_load(path.read_text(encoding="utf-8"))
        if advisory["id"] in ignored:
            continue
        for affected in advisory.get("affected", []):
            name = canonicalize_name(affected["package"]["name"])
            if name in packages and affects(affected, packages[name]):
                aliases = ", ".join(advisory.get("aliases", []))
                found.append(f"{name} {packages[name]}: {advisory['id']} ({aliases}) {advisory.get('summary', '')}".rstrip())
    return found


def refresh(database: Path) -> int:
    """Copy the advisories of every installed package, keeping what the check reads (the full text stays upstream)."""
    packages = installed()
    for old in HERE.glob("*/*.yaml"):
        old.unlink()
    count = 0
    for folder in sorted((database / "vulns").iterdir()):
        if canonicalize_name(folder.name) not in packages:
            continue
        for source in sorted(folder.glob("*.yaml")):
            advisory = yaml.safe_load(source.read_text(encoding="utf-8"))
            kept = {key: advisory[key] for key in KEPT if key in advisory}
            kept.setdefault("summary", str(advisory.get("details", "")).split(". ")[0][:200])
            kept["summary"] = " ".join(str(kept["summary"]).split())
            for affected in kept.get("affected", []):  # a version list only matters where no range says it
                if any(span.get("type") == "ECOSYSTEM" for span in affected.get("ranges", [])):
                    affected.pop("versions", None)
            target = HERE / folder.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump(kept, sort_keys=False, width=120), encoding="utf-8")
            count += 1
    print(f"{count} advisories for {len(packages)} installed packages written to {HERE}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["refresh"] and len(argv) == 2:
        return refresh(Path(argv[1]))
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    packages = installed()
    found = findings(packages)
    stamp = (HERE / "SNAPSHOT").read_text(encoding="utf-8").strip()
    print(f"{len(packages)} installed packages checked against {len(list(HERE.glob('*/*.yaml')))} advisories ({stamp})")
    for line in found:
        print(f"  VULNERABLE {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
