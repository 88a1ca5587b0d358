"""CPU time of each importer on hostile uploads, each case in its own process so a crash shows as a crash.

    python -m bench.import_limits            # every case; a case still running after 60 s is reported as such
    python -m bench.import_limits 3          # one case, in this process

Cases are the inputs that crashed or held a worker (nested `- `, runs of `[`), and the worst inputs found for
each format just under and over its limits. Figures are CPU seconds (time.process_time) of the parse alone.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
K = 1024
MIB = K * K
TIMEOUT = 60


def _legit_bank(copies: int) -> str:
    """The shipped safety bank repeated with fresh ids: an ordinary bank of about 75 KB per copy."""
    source = (ROOT / "courses/dry-needling/modules/safety/questions.yaml").read_text()
    head, body = source.split("questions:", 1)
    parts = [re.sub(r"(\n  - id: )([a-z0-9-]+)", rf"\g<1>\g<2>-{i}", body) for i in range(copies)]
    return head + "questions:" + "".join(parts)


def cases() -> Iterator[tuple[str, str, Callable[[], str | bytes]]]:
    yield "yaml", "60 KB of nested '- '", lambda: "- " * (30 * K)
    yield "yaml", "10 KB of '['", lambda: "[" * (10 * K)
    yield "yaml", "100 KB of '['", lambda: "[" * (100 * K)
    yield "yaml", "100 KB of nested '? '", lambda: "? " * (50 * K)
    yield "yaml", "10 MiB of nested '- '", lambda: "- " * (5 * MIB)
    yield "yaml", "2 MiB flow list of 1M values", lambda: "[" + "1," * MIB + "]"
    yield "yaml", "99,999 values (just under)", lambda: "[" + "1," * 99_998 + "1]"
    yield (
        "yaml",
        "alias bomb, 10^9 values",
        lambda: (
            "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n"
            + "".join(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9))
        ),
    )
    yield "yaml", "ordinary bank, 2 MiB (1,296 q)", lambda: _legit_bank(27)
    yield "gift", "60 KB of '{'", lambda: "Q" + "{" * (60 * K)
    yield "gift", "2 MiB of 'Q{T}' (400k q)", lambda: "Q{T}\n\n" * (2 * MIB // 6)
    yield "gift", "2 MiB, one question, 1M answers", lambda: "Q{" + "~a" * MIB + "}"
    yield "gift", "2 MiB of 100-answer questions", lambda: ("Q{=a" + "~b" * 99 + "}\n\n") * (2 * MIB // 206)
    yield "gift", "2 MiB of '[id:' in a comment", lambda: "// " + "[id:" * (MIB // 2) + "\nQ{T}"
    yield "gift", "2 MiB numeric '{#111…x}'", lambda: "Q{#" + "1" * (2 * MIB) + "x}"
    yield "gift", "2 MiB of $CATEGORY lines", lambda: "".join(f"$CATEGORY: c{i}\n\n" for i in range(2 * MIB // 16))
    yield "gift", "2 MiB of bad questions", lambda: "Q{~a}\n\n" * (2 * MIB // 7)
    yield "xml", "100 KB nested <a>", lambda: ("<quiz>" + "<a>" * (14 * K) + "</a>" * (14 * K) + "</quiz>").encode()
    yield "xml", "2 MiB nested <a>, unclosed", lambda: ("<quiz>" + "<a>" * (2 * MIB // 3)).encode()
    yield "xml", "2 MiB of <a/> (500k elements)", lambda: ("<quiz>" + "<a/>" * (2 * MIB // 4) + "</quiz>").encode()
    yield "xml", "199,000 elements (just under)", lambda: ("<quiz>" + "<a/>" * 199_000 + "</quiz>").encode()
    yield (
        "xml",
        "2 MiB of 100-answer questions",
        lambda: (
            "<quiz>"
            + (
                '<question type="multichoice"><questiontext><text>Q</text></questiontext>'
                + '<answer fraction="0"><text>a</text></answer>' * 100
                + "</question>"
            )
            * (2 * MIB // 4300)
            + "</quiz>"
        ).encode(),
    )
    yield "aiken", "2 MiB of stray choice lines", lambda: "A) x\n" * (2 * MIB // 5)
    yield "aiken", "2 MiB, one question, 400k choices", lambda: "Q?\n" + "A) x\n" * (2 * MIB // 5) + "ANSWER: A\n"
    yield "aiken", "2 MiB of questions (84k)", lambda: "Qq\nA) x\nB) y\nANSWER: A\n" * (2 * MIB // 25)


def run(index: int) -> None:
    from edu.interchange import parse_aiken, parse_gift, parse_moodle_xml, parse_yaml_bank

    fmt, _name, make = list(cases())[index]
    parser: Callable[..., object] = {"yaml": parse_yaml_bank, "gift": parse_gift, "xml": parse_moodle_xml, "aiken": parse_aiken}[
        fmt
    ]
    data = make()
    start = time.process_time()
    result: object = parser(data)
    spent = time.process_time() - start
    questions, problems = getattr(result, "questions", ()), getattr(result, "problems", ())
    first = str(problems[-1] if getattr(result, "refused", None) else problems[0]) if problems else "no problem"
    print(f"{spent:8.3f} s  {len(questions):>6} q {len(problems):>7} p  {first[:100]}")


def main() -> None:
    if len(sys.argv) > 1:
        run(int(sys.argv[1]))
        return
    for index, (fmt, name, _make) in enumerate(cases()):
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench.import_limits", str(index)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                cwd=ROOT,
            )
            line = done.stdout.strip() or f"CRASHED (exit {done.returncode}) {done.stderr.strip()[-80:]}"
        except subprocess.TimeoutExpired:
            line = f"  > {TIMEOUT} s (stopped)"
        print(f"{fmt:5} {name:36} {line}", flush=True)


if __name__ == "__main__":
    main()
