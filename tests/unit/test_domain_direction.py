"""Domains depend one way (DESIGN.md, "Which way things flow"): auth <- catalog <- banks <- quizzes <- results, and
quizzes <- certificates <- clinics. A module of a domain (models, services, policies, forms, pure cores) imports its
own domain and those below it, never one above: banks knows nothing of attempts, quizzes nothing of gradebooks or
certificates. Views are the composition layer and may ask several domains (the submit view asks certificates; the
question history asks results for each version's figures), so they are left out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

EDU = Path(__file__).resolve().parents[2] / "edu"
BELOW: dict[str, set[str]] = {
    "auth": set(),
    "catalog": {"auth"},
    "banks": {"auth", "catalog"},
    "quizzes": {"auth", "catalog", "banks"},
    "results": {"auth", "catalog", "banks", "quizzes"},
    "certificates": {"auth", "catalog", "banks", "quizzes"},
    "clinics": {"auth", "catalog", "banks", "quizzes", "certificates"},
}
"""Each domain and the domains it may import (mail, interchange, content and the app's own modules are open to all)."""


def is_view(path: Path) -> bool:
    return path.name.endswith("views.py") or path.name == "admin.py"


def upward_imports(domain: str, source: str) -> list[str]:
    """The modules of other ordered domains that `source`, a module of edu/<domain>/, imports without being allowed to
    (`from ..results import x` counts as edu.results.x)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            package = ["edu", domain][: max(0, 3 - node.level)] if node.level else []
            targets = [".".join([*package, *([node.module] if node.module else [])])]
            if not node.module:
                targets = [f"{targets[0]}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            other = parts[1] if len(parts) >= 2 and parts[0] == "edu" else None
            if other in BELOW and other != domain and other not in BELOW[domain]:
                found.append(target)
    return found


MODULES = sorted(
    (domain, path) for domain in BELOW for path in (EDU / domain).rglob("*.py") if not is_view(path.relative_to(EDU))
)


@pytest.mark.parametrize(("domain", "path"), MODULES, ids=[str(p.relative_to(EDU)) for _, p in MODULES])
def test_a_domain_imports_only_the_domains_below_it(domain: str, path: Path) -> None:
    assert upward_imports(domain, path.read_text(encoding="utf-8")) == []


def test_the_check_sees_an_upward_import() -> None:
    """If a bank service reaching for attempts or gradebooks passed, the test above would prove nothing."""
    source = (
        "from edu.quizzes.models import Attempt\nimport edu.results.stats\nfrom edu.catalog import policy\n"
        "from ..certificates import services\nfrom .. import clinics\nfrom .models import QuestionBank\n"
    )
    assert upward_imports("banks", source) == [
        "edu.quizzes.models",
        "edu.results.stats",
        "edu.certificates",
        "edu.clinics",
    ]
    assert upward_imports("clinics", source) == ["edu.results.stats"]
