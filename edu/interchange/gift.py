"""GIFT, Moodle's plain-text question format: import and export.

Import follows Moodle's own reader (question/format/gift/format.php) so a file means here what it
means in Moodle:

- Questions are separated by blank lines. Lines starting with `//` are comments; in them Moodle's
  `[id:…]` and `[tag:…]` tokens carry the question's idnumber and tags.
- `::name::` names a question. `$CATEGORY: path` switches category (collected in
  `ImportResult.categories`).
- `[html]`, `[moodle]`, `[plain]` and `[markdown]` at the start of a text set its format; the prefix is
  removed and the text kept as written (HTML stays HTML, Markdown stays Markdown).
- Escapes: `\\~ \\= \\# \\{ \\} \\:` give the character, `\\\\` a backslash and `\\n` a new line.
- The answer block `{…}` decides the type, in Moodle's order: `#…` numerical (`{#3:2}`, `{#1..5}`,
  several `=` answers with `%50%` weights, `~#feedback` for any other answer); `~` anywhere
  multiple choice (`=` right, `~` wrong, `~%50%` weighted, `#feedback` per answer); `=a -> b`
  matching (an empty left side is an extra answer); `T`, `F`, `TRUE`, `FALSE` true/false
  (`{FALSE#feedback if wrong#feedback if right}`); anything else short answer (`{=a =b =%50%c}`).
  `####text` at the end of the block is general feedback, imported as `rationale`. The ordering
  question type's own GIFT form, `{>N ALL VERTICAL ABSOLUTE_POSITION SHOW` followed by one item per
  line, is read as `ordering`.
- Text after the closing brace makes a "missing word" question: the block is replaced by `_____` in
  the prompt, as Moodle does. Stray punctuation only (such as `";`) is dropped with a warning.

Not imported, each reported as an error with its line and counted in `skipped`: essays (`{}`),
descriptions (no answer block), cloze-style questions (embedded `{1:MULTICHOICE:…}` answers or more
than one answer block), and blocks Moodle would also reject (unbalanced braces, invalid grades).
How grades map onto our model, and how ids are chosen, is described in `edu.interchange.report`.
GIFT does not nest (braces only open and close one answer block) and the reader never recurses: its
work grows with the file's length, bounded by the limits in `edu.interchange.report` (questions,
answers per question, tags, categories, problems). `[id:]` and `[tag:]` tokens are searched only up
to the last `]` that could close them, so a long comment full of `[id:` stays linear.
True/false feedback for the right answer and feedback on accepted short answers are dropped with a
warning: the model only has `feedback_wrong`.

Export writes what GIFT can carry: `[id:]` and `[tag:]` comments (tags include the metadata tags for
difficulty, objective, references and all-or-nothing scoring), the name, prompt, options with their
correctness (`=`/`~`, or `%w%` weights of ±1/k for multiple response), per-option feedback, general
feedback (rationale), true/false wrong-answer feedback, matching pairs and extra answers, numeric
answer and tolerance, accepted short answers with `=%0%*#feedback_wrong`, ordering items, and an
optional category. GIFT cannot carry a numeric unit, `feedback_wrong` of choice and matching
questions, or the rationale and `feedback_wrong` of ordering questions. A text that starts with `[`
or `//` is written with a neutral `[moodle]` prefix so it reads back unchanged; texts that contain
HTML are written with `[html]`. A few questions cannot be written in a form Moodle reads back
(see `gift_limitation`); they are left out, with a comment in the output saying why.

Why one module of this length: GIFT's reader is one grammar (Moodle's format.php is one file too) and its writer
is its mirror image; kept together so a round trip can be checked line against line. Shared rules live in
`edu.interchange.report`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from edu.content import model

from .report import (
    MAX_ANSWERS,
    Answer,
    ImportBuilder,
    ImportResult,
    Notes,
    Rejected,
    choice_fields,
    export_tags,
    fields_from_tags,
    label_for,
    looks_like_html,
    number_text,
    numeric_fields,
    parse_number,
    percent,
    short_answer_fields,
    tidy,
    too_large,
    too_many_answers,
    within_limits,
)

MAX_GIFT_CHARS = 10 * 1024 * 1024
"""Largest GIFT text read (characters)."""

_TRIM = " \t\n\r\0\x0b"  # what PHP's trim() removes
_FORMATS = ("moodle", "html", "plain", "markdown")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_WEIGHT = re.compile(r"%-*[0-9]{1,2}\.?[0-9]*%")
_GRADE_TEXT = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")  # one way to split the digits: linear
_ID_TOKEN = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_TOKEN = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f\x7f])+)\]")
_ID_STOP = re.compile(r"[\x00-\x1f\x7f]")
"""Characters an `[id:]` token cannot span (besides `]`)."""
_TAG_STOP = re.compile(r"[<>`\x00-\x1f\x7f]")
"""Characters a `[tag:]` token cannot span (besides `]`)."""
_CLOZE = re.compile(r"^\d+:[A-Za-z_]+:")
_ORDERING = re.compile(
    r">\s*(\d+)\s*(ALL|EXACT|RANDOM|REL|CONTIGUOUS|CONTIG)?\s*"
    r"(HORIZONTAL|HORI|H|1|VERTICAL|VERT|V|0)?\s*"
    r"(ALL_OR_NOTHING|ABSOLUTE_POSITION|ABSOLUTE|ABS|RELATIVE_NEXT_EXCLUDE_LAST|RELATIVE_NEXT_INCLUDE_LAST|"
    r"RELATIVE_ONE_PREVIOUS_AND_NEXT|RELATIVE_ALL_PREVIOUS_AND_NEXT|RELATIVE_TO_CORRECT|RELATIVE|REL|"
    r"LONGEST_ORDERED_SUBSET|LONGEST_CONTIGUOUS_SUBSET)?\s*"
    r"(SHOW|TRUE|YES|1|HIDE|FALSE|NO|0)?",
)
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_STRAY = set("\"';" + _TRIM)


class _Escapes:
    """GIFT escapes as single placeholder characters chosen so they do not occur in the source."""

    KEYS = "\\:#={}~n"

    def __init__(self, text: str) -> None:
        used = set(text)
        chars: list[str] = []
        code = 0xE000
        while len(chars) < len(self.KEYS):
            if chr(code) not in used:
                chars.append(chr(code))
            code = code + 1 if code != 0xF8FF else 0xF0000
        self.placeholder = dict(zip(self.KEYS, chars, strict=True))
        self._post = str.maketrans({c: ("\n" if k == "n" else k) for k, c in self.placeholder.items()})
        self._raw = str.maketrans({c: "\\" + k for k, c in self.placeholder.items()})

    def pre(self, text: str) -> str:
        """Replace escapes, left to right, so `\\\\` pairs up before `\\:` etc. (as in Moodle)."""
        return _ESCAPE.sub(lambda m: self.placeholder[m.group(1)], text)

    def post(self, text: str) -> str:
        return text.translate(self._post)

    def raw(self, text: str) -> str:
        return text.translate(self._raw)


def _tokens(token: re.Pattern[str], stop: re.Pattern[str], comments: str) -> Iterator[re.Match[str]]:
    """`token.finditer(comments)`, in linear time.

    A token cannot span a `stop` character and needs a closing `]`. Searched over the whole text, every
    `[id:` with no `]` after it (within its stretch) scans to the end of the stretch and fails, so a
    comment full of them took quadratic time. Each stretch is searched only up to its last `]`: the
    matches are the same, and every start before that `]` either matches or fails at once.
    """
    for stretch in stop.split(comments):
        close = stretch.rfind("]")
        if close > 0:
            yield from token.finditer(stretch, 0, close + 1)


@within_limits
def parse_gift(text: str) -> ImportResult:
    """Read GIFT text into questions; every problem is reported with its line, nothing is raised."""
    builder = ImportBuilder()
    if len(text) > MAX_GIFT_CHARS:
        builder.refuse(1, too_large(len(text.encode("utf-8", "surrogatepass")), "GIFT text"))
    text = text.removeprefix("\ufeff")
    escapes = _Escapes(text)
    block: list[tuple[int, str]] = []
    for number, line in enumerate(_LINE_SPLIT.split(text), start=1):
        trimmed = line.strip(_TRIM)
        if trimmed:
            block.append((number, trimmed))
        elif block:
            _Block(builder, escapes, block).read()
            block = []
    if block:
        _Block(builder, escapes, block).read()
    return builder.result()


class _Block:
    """One blank-line-separated block: a category line, a question, or only comments."""

    def __init__(self, builder: ImportBuilder, escapes: _Escapes, lines: list[tuple[int, str]]) -> None:
        self.b = builder
        self.e = escapes
        self.first_line = lines[0][0]
        self.comments = "\n".join(text for _, text in lines if text.startswith("//"))
        joined = "\n".join(" " if text.startswith("//") else text for _, text in lines)
        self.pre = escapes.pre(joined)
        # A block holds consecutive source lines, so a position's line is first_line + the newlines before it.
        self.newlines = [i for i, ch in enumerate(self.pre) if ch == "\n"]

    def line_at(self, pos: int) -> int:
        return self.first_line + bisect.bisect_left(self.newlines, max(pos, 0))

    def skip_space(self, pos: int, end: int | None = None) -> int:
        stop = len(self.pre) if end is None else end
        while pos < stop and self.pre[pos] in _TRIM:
            pos += 1
        return pos

    def read(self) -> None:
        start = self.skip_space(0)
        if start >= len(self.pre):
            return
        if self.pre.startswith("$CATEGORY:", start):
            newline = self.pre.find("\n", start)
            end = len(self.pre) if newline == -1 else newline
            self.b.category(self.e.post(self.pre[start + len("$CATEGORY:") : end]).strip(_TRIM), self.line_at(start))
            if newline == -1:
                return
            start = self.skip_space(newline)
            if start >= len(self.pre):
                return
        self.question(start)

    # --- texts ---

    def text(self, raw: str) -> str:
        """Moodle's parse_text_with_format: drop a known [format] prefix, unescape, trim."""
        if raw.startswith("["):
            close = raw.find("]")
            if close != -1 and raw[1:close] in _FORMATS:
                raw = raw[close + 1 :]
        return self.e.post(raw).strip(_TRIM)

    def text_and_feedback(self, raw: str) -> tuple[str, str | None]:
        answer, sep, feedback = raw.partition("#")
        fb = self.text(feedback.strip(_TRIM)) if sep else ""
        return self.text(answer.strip(_TRIM)), fb or None

    # --- a question ---

    def question(self, start: int) -> None:
        pre = self.pre
        qline = self.line_at(start)
        name: str | None = None
        pos = start
        if pre.startswith("::", pos):
            end = pre.find("::", pos + 2)
            if end == -1:
                pos += 2
            else:
                name = self.e.post(pre[pos + 2 : end]).strip(_TRIM) or None
                pos = end + 2
        pos = self.skip_space(pos)
        open_ = pre.find("{", pos)
        close = pre.find("}", pos)
        preview = self.text(pre[pos : open_ if open_ != -1 else len(pre)].strip(_TRIM))
        label = label_for(name, preview)
        if open_ == -1 and close == -1:
            self.b.skip(qline, label, "unsupported question type: description")
            return
        if open_ == -1 or close == -1 or close < open_:
            self.b.skip(qline, label, "the answer block is not enclosed in { and }")
            return
        after = pre[close + 1 :]
        if "{" in after:
            self.b.skip(qline, label, "unsupported question type: cloze (more than one answer block)")
            return
        notes: Notes = []
        prompt_raw = pre[pos:open_]
        if after.strip(_TRIM):
            if set(after) <= _STRAY:
                notes.append((self.line_at(close + 1), f"ignored text after the closing brace: {after.strip(_TRIM)!r}"))
            else:
                prompt_raw = prompt_raw + "_____" + after
        prompt = self.text(prompt_raw.strip(_TRIM))
        fields: dict[str, Any] = {"prompt": prompt}
        if name:
            fields["name"] = name
        idnumber, raw_tags = self.id_and_tags()
        inner_start = self.skip_space(open_ + 1, close)
        inner_end = close
        while inner_end > inner_start and pre[inner_end - 1] in _TRIM:
            inner_end -= 1
        try:
            ordering = _ORDERING.match(pre, inner_start, inner_end)
            if ordering:
                fields.update(self.ordering(ordering, inner_end, notes))
            else:
                answer = pre[inner_start:inner_end]
                gf = answer.rfind("####")
                if gf != -1:
                    rationale = self.text(answer[gf + 4 :].strip(_TRIM))
                    if rationale:
                        fields["rationale"] = rationale
                    inner_end = inner_start + gf
                    while inner_end > inner_start and pre[inner_end - 1] in _TRIM:
                        inner_end -= 1
                    answer = pre[inner_start:inner_end]
                qtype = self.kind(answer)
                if qtype in ("essay", "cloze"):
                    self.b.skip(qline, label, f"unsupported question type: {qtype}")
                    return
                reader: Callable[[int, int, int, Notes], dict[str, Any]] = getattr(self, qtype)
                fields.update(reader(inner_start, inner_end, qline, notes))
        except Rejected as exc:
            self.b.reject(exc, label)
            return
        fields.update(fields_from_tags(raw_tags, str(fields["type"]), qline, notes))
        self.b.add(fields, line=qline, label=label, notes=notes, idnumber=idnumber)

    def id_and_tags(self) -> tuple[str | None, list[str]]:
        found = next(_tokens(_ID_TOKEN, _ID_STOP, self.comments), None)
        idnumber = found.group(1).replace("\\]", "]").strip() if found else None
        tags = [m.group(1).replace("\\]", "]").strip() for m in _tokens(_TAG_TOKEN, _TAG_STOP, self.comments)]
        return idnumber or None, tags

    @staticmethod
    def kind(answer: str) -> str:
        if answer == "":
            return "essay"
        if _CLOZE.match(answer):
            return "cloze"
        if answer[0] == "#":
            return "numerical"
        if "~" in answer:
            return "multichoice"
        if "=" in answer and "->" in answer:
            return "matching"
        hash_at = answer.find("#")
        check = answer[:hash_at].strip(_TRIM) if hash_at > 0 else answer
        if check in ("T", "TRUE", "F", "FALSE"):
            return "truefalse"
        return "shortanswer"

    def split(self, start: int, end: int, markers: str, keep: str = "") -> list[tuple[str, int]]:
        """Moodle's explode: pieces between markers; a marker in `keep` stays at the start of its piece."""
        pieces: list[tuple[str, int]] = []
        begin = start
        for i in range(start, end + 1):
            if i == end or (self.pre[i] in markers and i > start):
                if len(pieces) > MAX_ANSWERS:  # one more than the limit: the first piece may be empty
                    raise too_many_answers(self.line_at(start))
                pieces.append((self.pre[begin:i], begin))
                begin = i if i < end and self.pre[i] in keep else i + 1
            elif i == start and self.pre[i] in markers:
                pieces.append(("", start))
                begin = i if self.pre[i] in keep else i + 1
        result = [(p.strip(_TRIM), self.skip_space(at, at + len(p))) for p, at in pieces]
        if result and result[0][0] == "":
            result = result[1:]
        return result

    def weight(self, piece: str, line: int) -> tuple[float | None, str, str | None]:
        """A leading %w% weight: (fraction or None, rest of the piece, weight as written)."""
        match = _WEIGHT.match(piece)
        if not match:
            return None, piece, None
        written = match.group(0)[1:-1]
        if not _GRADE_TEXT.match(written):
            raise Rejected(line, f"invalid answer weight %{written}%")
        return float(written) / 100, piece[match.end() :], written

    def multichoice(self, start: int, end: int, qline: int, notes: Notes) -> dict[str, Any]:
        single_mode = "=" in self.pre[start:end]
        answers: list[Answer] = []
        for piece, at in self.split(start, end, "~=", keep="="):
            line = self.line_at(at)
            raw = None
            if piece.startswith("="):
                fraction, rest = 1.0, piece[1:]
            else:
                weight, rest, raw = self.weight(piece, line)
                fraction = weight if weight is not None else 0.0
            text, feedback = self.text_and_feedback(rest)
            if text:  # Moodle ignores blank answers
                answers.append(Answer(text, fraction, feedback, line, raw_grade=raw))
        if len(answers) < 2:
            raise Rejected(qline, "a multiple-choice question needs at least two answers")
        return choice_fields(answers, single_mode, qline, notes)

    def shortanswer(self, start: int, end: int, qline: int, notes: Notes) -> dict[str, Any]:
        answers: list[Answer] = []
        for piece, at in self.split(start, end, "="):
            line = self.line_at(at)
            weight, rest, raw = self.weight(piece, line)
            text, feedback = self.text_and_feedback(rest)
            answers.append(Answer(text, 1.0 if weight is None else weight, feedback, line, raw_grade=raw))
        if not answers:
            raise Rejected(qline, "a short-answer question needs at least one answer")
        return short_answer_fields(answers, qline, notes)

    def numerical(self, start: int, end: int, qline: int, notes: Notes) -> dict[str, Any]:
        start += 1  # the leading '#'
        tilde = self.pre.find("~", start, end)
        answers_end = end if tilde == -1 else tilde
        answers: list[Answer] = []
        for piece, at in self.split(start, answers_end, "="):
            line = self.line_at(at)
            weight, rest, raw = self.weight(piece, line)
            number, feedback = self.text_and_feedback(rest)
            dots = number.find("..")
            colon = number.find(":")
            if dots > 0:
                low = parse_number(number[:dots], line)
                high = parse_number(number[dots + 2 :], line)
                middle = tidy((low + high) / 2)
                value, tolerance = number_text(middle), number_text(tidy(high - middle))
            elif colon > 0:
                value, tolerance = number[:colon].strip(), number[colon + 1 :].strip()
            else:
                value, tolerance = number.strip(), "0"
            fraction = 1.0 if weight is None else weight
            answers.append(Answer(value, fraction, feedback, line, tolerance=tolerance, raw_grade=raw))
        if not answers:
            raise Rejected(qline, "a numerical question needs at least one answer")
        if tilde != -1:
            _, feedback = self.text_and_feedback(self.pre[tilde + 1 : end])
            answers.append(Answer("*", 0.0, feedback, self.line_at(tilde)))
        return numeric_fields(answers, qline, notes)

    def matching(self, start: int, end: int, qline: int, notes: Notes) -> dict[str, Any]:
        pairs: list[dict[str, str]] = []
        extra: list[str] = []
        pieces = self.split(start, end, "=")
        if len(pieces) < 2:
            raise Rejected(qline, "a matching question needs at least two '=' lines")
        for piece, at in pieces:
            arrow = piece.find("->")
            if arrow == -1:
                raise Rejected(self.line_at(at), f"matching answer {piece!r} has no '->'")
            left = self.text(piece[:arrow].strip(_TRIM))
            right = self.e.post(piece[arrow + 2 :]).strip(_TRIM)
            if not right:
                notes.append((self.line_at(at), f"pair {left!r} has no answer; dropped"))
            elif left:
                pairs.append({"id": f"p{len(pairs) + 1}", "prompt": left, "answer": right})
            else:
                extra.append(right)
        fields: dict[str, Any] = {"type": "matching", "pairs": pairs}
        if extra:
            fields["extra_answers"] = extra
        return fields

    def truefalse(self, start: int, end: int, qline: int, notes: Notes) -> dict[str, Any]:
        parts = self.pre[start:end].split("#", 2)
        answer = self.text(parts[0].strip(_TRIM))
        wrong = self.text(parts[1].strip(_TRIM)) if len(parts) > 1 else ""
        right = self.text(parts[2].strip(_TRIM)) if len(parts) > 2 else ""
        fields: dict[str, Any] = {"type": "true_false", "answer": answer in ("T", "TRUE")}
        if wrong:
            fields["feedback_wrong"] = wrong
        if right:
            notes.append((qline, f"feedback for the right answer ({right!r}) is not kept (the model has none)"))
        return fields

    def ordering(self, header: re.Match[str], end: int, notes: Notes) -> dict[str, Any]:
        """The ordering question type's GIFT form. Items are raw lines (not unescaped), as Moodle reads them."""
        qline = self.line_at(header.start())
        count, select, _layout, grading, _show = header.groups()
        items: list[dict[str, str]] = []
        fields: dict[str, Any] = {"type": "ordering"}
        offset = header.end()
        for chunk in self.pre[header.end() : end].split("\n"):
            chunk_at, offset = offset, offset + len(chunk) + 1
            item = self.e.raw(chunk).strip(_TRIM)
            if not item:
                continue
            if item.startswith("####"):
                # Moodle would take this line as an item; general feedback is what it means.
                rationale = self.text(self.pre[chunk_at:end].strip(_TRIM)[4:].strip(_TRIM))
                if rationale:
                    fields["rationale"] = rationale
                break
            if len(items) >= MAX_ANSWERS:
                raise too_many_answers(qline, "items")
            items.append({"id": f"i{len(items) + 1}", "text": item})
        digits = count.lstrip("0") or "0"
        requested = int(digits) if len(digits) <= 9 else 10**9  # int() refuses more than 4,300 digits
        shown = requested if 2 < requested <= len(items) else min(6, len(items))
        if select not in ("ALL", "EXACT") and shown < len(items):
            notes.append((qline, f"Moodle shows a random subset of {shown} items; here all {len(items)} are used"))
        if grading not in ("ABSOLUTE_POSITION", "ABSOLUTE", "ABS"):
            how = grading or "RELATIVE_NEXT_EXCLUDE_LAST (the default)"
            notes.append((qline, f"grading {how} is replaced by ours: the share of items in the right position"))
        fields["items"] = items
        return fields


# --- export ----------------------------------------------------------------------------------------

_SPECIAL = str.maketrans({c: "\\" + c for c in "\\~=#{}:"} | {"\n": "\\n"})


def _escape(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_SPECIAL)


def _format_of(text: str) -> str:
    return "html" if looks_like_html(text) else "moodle"


def _text(text: str, default_format: str = "moodle") -> str:
    """A text with the format prefix Moodle needs to read it back unchanged."""
    fmt = _format_of(text)
    escaped = _escape(text)
    # Plain text inside an HTML question only needs [moodle] when HTML would render it differently.
    differs = fmt != default_format and (fmt == "html" or any(c in text for c in "<>&\n"))
    if differs or escaped.startswith(("[", "//")):
        return f"[{fmt}]{escaped}"
    return escaped


def gift_limitation(question: model.Question) -> str | None:
    """Why a question cannot be written as GIFT that Moodle reads back, or None if it can."""
    if isinstance(question, model.MatchingQuestion):
        for pair in question.pairs:
            if "->" in pair.prompt:
                return f"pair prompt {pair.prompt!r} contains '->', which GIFT uses to separate prompt and answer"
    if isinstance(question, model.ShortAnswerQuestion):
        texts = [*question.accepted, question.feedback_wrong or ""]
        if any("->" in t for t in texts):
            return "an accepted answer or the feedback contains '->', which would make Moodle read a matching question"
    if isinstance(question, model.OrderingQuestion):
        if "{" in question.prompt or "{" in (question.name or ""):
            return "an ordering question's name and prompt cannot contain '{' in GIFT"
        for item in question.items:
            if "\n" in item.text or "\r" in item.text or "}" in item.text or item.text.startswith(("//", "####")):
                return f"ordering item {item.text!r} cannot be written on one GIFT line"
    return None


def write_gift(questions: Iterable[model.Question], category: str | None = None) -> str:
    """Questions as GIFT text (see the module docstring for what is carried)."""
    blocks: list[str] = []
    if category:
        blocks.append(f"$CATEGORY: {' '.join(category.split())}\n")
    for question in questions:
        reason = gift_limitation(question)
        if reason:
            blocks.append(f"// not exported: question {question.id} ({question.type}): {' '.join(reason.split())}\n")
            continue
        blocks.append(_write_question(question))
    return "\n".join(blocks)


def _write_question(q: model.Question) -> str:
    tokens = [f"[id:{q.id}]"] + ["[tag:" + tag.replace("]", "\\]") + "]" for tag in export_tags(q)]
    head = f"// {' '.join(tokens)}\n"
    qformat = _format_of(q.prompt)
    head += f"::{_escape(q.name)}::" if q.name else ""
    head += _text(q.prompt)

    def gf() -> str:
        return f"\t####{_text(q.rationale, qformat)}\n" if q.rationale else ""

    if isinstance(q, model.SingleQuestion | model.MultipleQuestion):
        lines = []
        k = sum(o.correct for o in q.options)
        for option in q.options:
            if isinstance(q, model.SingleQuestion):
                marker = "=" if option.correct else "~"
            else:
                weight = 1 / k if option.correct else -1 / k
                marker = f"~%{percent(weight)}%"
            text = _text(option.text, qformat)
            if marker == "~" and text.startswith("%"):
                marker = "~%0%"
            feedback = f"#{_text(option.feedback, qformat)}" if option.feedback else ""
            lines.append(f"\t{marker}{text}{feedback}\n")
        return f"{head}{{\n{''.join(lines)}{gf()}}}\n"
    if isinstance(q, model.TrueFalseQuestion):
        body = "TRUE" if q.answer else "FALSE"
        if q.feedback_wrong:
            body += f"#{_text(q.feedback_wrong, qformat)}"
        if q.rationale:
            body += f"####{_text(q.rationale, qformat)}"
        return f"{head}{{{body}}}\n"
    if isinstance(q, model.ShortAnswerQuestion):
        lines = []
        for answer in q.accepted:
            text = _text(answer, qformat)
            lines.append(f"\t={'%100%' if text.startswith('%') else ''}{text}\n")
        if q.feedback_wrong:
            lines.append(f"\t=%0%*#{_text(q.feedback_wrong, qformat)}\n")
        return f"{head}{{\n{''.join(lines)}{gf()}}}\n"
    if isinstance(q, model.NumericQuestion):
        value = number_text(q.answer)
        if q.tolerance:
            value += f":{number_text(q.tolerance)}"
        wrong = f"\t~#{_text(q.feedback_wrong, qformat)}\n" if q.feedback_wrong else ""
        return f"{head}{{#{value}\n{wrong}{gf()}}}\n"
    if isinstance(q, model.MatchingQuestion):
        lines = [f"\t={_text(p.prompt, qformat)} -> {_escape(p.answer)}\n" for p in q.pairs]
        lines += [f"\t= -> {_escape(extra)}\n" for extra in q.extra_answers]
        return f"{head}{{\n{''.join(lines)}{gf()}}}\n"
    # OrderingQuestion: the ordering plugin's own GIFT form; items are raw lines.
    items = "".join(f"{item.text}\n" for item in q.items)
    return f"{head}{{>{len(q.items)} ALL VERTICAL ABSOLUTE_POSITION SHOW\n{items}}}\n"
