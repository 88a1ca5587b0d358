"""Item-writing checks: the cues that let a test-wise learner pass without knowing the content.

Pure: plain functions over the typed questions of `model`. A certificate is worth what its exam measures, so
`flask courses check` runs these over every bank and reports each finding like any other problem; an author may
waive one finding of one item with a written reason (`waive: {check-id: reason}`), which the check prints.

The rules and the figures a bank is held to come from the standard item-writing literature (NBME's guide;
Haladyna & Downing's taxonomy of item-writing flaws); the thresholds are ours and are named below.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import model

KEY_LENGTH_RATIO = 1.2
"""A single-answer key this much longer than the mean distractor, and the longest option, is a length cue."""
LENGTH_CUE_SHARE = 0.25
"""At most this share of a bank's single-answer keys may be the unique longest option (chance with 4 options)."""
KEY_POSITION_SHARE = 0.4
"""At most this share of a bank's single-answer keys may sit at one authored position."""
NEAR_DUPLICATE = 0.4
"""Items whose stem-and-key content words overlap this much (Jaccard) test the same point unless declared
enemies. Calibrated on the 1.0.0 banks: it flags the audit's lexical near-duplicates (sop-006/cli-022,
sop-003/cli-023, fnd-014/cli-003, ltr-012/cli-015) and a handful of other pairs; a pair that says the same thing
in other words needs an editor, and is declared with `excludes`."""
ABSOLUTE_DISTRACTORS = 2
"""Absolute words in this many distractors, and in no key, let a learner answer by elimination."""

CHECKS = {
    "key-longest": "the key is the unique longest option",
    "absolute-words": "absolute words only in wrong options (or a false statement that overclaims)",
    "all-none-above": "'all of the above' or 'none of the above'",
    "near-duplicate": "two stems test the same point and are not declared enemies",
    "length-cue-share": "too many keys are the longest option in a bank",
    "tf-balance": "true/false keys are not balanced in a bank",
    "multiple-pattern": "multiple-response items share one number of correct options",
    "key-position": "authored key positions do not vary",
}
"""Every check id an author may name in `waive:`."""

ITEM_CHECKS = frozenset({"key-longest", "absolute-words", "all-none-above", "near-duplicate"})
BANK_CHECKS = frozenset({"length-cue-share", "tf-balance", "multiple-pattern", "key-position"})

_ABSOLUTE = re.compile(
    r"\b(always|never|only|all|every|none|proven|proves|completely|entirely|guarantee[sd]?|must|cannot|"
    r"absolutely|invariably|impossible|solely|certainly|definitely)\b",
    re.I,
)
_ALL_NONE = re.compile(r"\b(all|none|both|neither) of the (above|options|answers)\b", re.I)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    (  # noqa: SIM905 (a word list reads better as prose)
        "a an and are as at be been by can could did do does for from had has have he her his how if in into is it its "
        "may might more most not of on or she should than that the their them then there these they this those to was "
        "were what when where which while who why will with would you your following best likely next true false "
        "statement statements select apply patient patients"
    ).split()
)


@dataclass(frozen=True)
class Finding:
    check: str
    message: str
    question: str | None = None
    """The question's id, or None for a finding about the whole bank."""


# --- one item -------------------------------------------------------------------------------------------------------


def _lengths(options: Sequence[model.Option]) -> list[int]:
    return [len(o.text) for o in options]


def key_length_ratio(question: model.SingleQuestion) -> float:
    """The key's length over the mean distractor length (1.0 = the same)."""
    key = next(o for o in question.options if o.correct)
    distractors = [len(o.text) for o in question.options if not o.correct]
    return len(key.text) / (sum(distractors) / len(distractors)) if distractors else 1.0


def key_is_unique_longest(question: model.SingleQuestion) -> bool:
    key = next(o for o in question.options if o.correct)
    return all(len(key.text) > len(o.text) for o in question.options if not o.correct)


def _option_texts(question: model.Question) -> list[str]:
    texts = [question.prompt]
    if isinstance(question, model.SingleQuestion | model.MultipleQuestion):
        texts += [o.text for o in question.options]
    elif isinstance(question, model.MatchingQuestion):
        texts += [p.answer for p in question.pairs] + list(question.extra_answers)
    elif isinstance(question, model.OrderingQuestion):
        texts += [i.text for i in question.items]
    return texts


def item_findings(question: model.Question) -> list[Finding]:
    """The cues one item carries on its own."""
    found: list[Finding] = []
    qid = question.id
    if isinstance(question, model.SingleQuestion) and len(question.options) > 1:
        ratio = key_length_ratio(question)
        if key_is_unique_longest(question) and ratio >= KEY_LENGTH_RATIO:
            found.append(
                Finding(
                    "key-longest", f"the key is the longest option, {ratio:.1f}x the mean distractor: even out the lengths", qid
                )
            )
    if isinstance(question, model.SingleQuestion | model.MultipleQuestion):
        keys = [o for o in question.options if o.correct]
        wrong = [o for o in question.options if not o.correct]
        absolute_wrong = [o.id for o in wrong if _ABSOLUTE.search(o.text)]
        if len(absolute_wrong) >= ABSOLUTE_DISTRACTORS and not any(_ABSOLUTE.search(o.text) for o in keys):
            found.append(
                Finding(
                    "absolute-words",
                    f"absolute words in wrong options {', '.join(absolute_wrong)} and in no key: hedge them alike",
                    qid,
                )
            )
    if isinstance(question, model.TrueFalseQuestion) and not question.answer:
        match = _ABSOLUTE.search(question.prompt)
        if match:
            found.append(
                Finding("absolute-words", f"a statement keyed False says {match.group(0)!r}: the overclaim gives it away", qid)
            )
    for text in _option_texts(question):
        if _ALL_NONE.search(text):
            found.append(Finding("all-none-above", "never use 'all/none of the above'", qid))
            break
    return found


# --- a bank ---------------------------------------------------------------------------------------------------------


def tf_tolerance(n: int) -> int:
    """How far true and false keys may be apart in a bank of n true/false items (about 40-60% True)."""
    return max(1, round(0.2 * n))


def bank_findings(questions: Sequence[model.Question]) -> list[Finding]:
    """The cues a bank carries as a whole: a guesser learns a bank's habits, not one item's."""
    found: list[Finding] = []
    singles = [q for q in questions if isinstance(q, model.SingleQuestion) and len(q.options) > 1]
    if len(singles) >= 4:
        longest = sum(key_is_unique_longest(q) for q in singles)
        if longest > LENGTH_CUE_SHARE * len(singles):
            found.append(
                Finding(
                    "length-cue-share",
                    f"the key is the unique longest option in {longest} of {len(singles)} single-answer items "
                    f"(at most {math.floor(LENGTH_CUE_SHARE * len(singles))})",
                )
            )
        mean_ratio = sum(key_length_ratio(q) for q in singles) / len(singles)
        if mean_ratio > 1.0:
            found.append(
                Finding("length-cue-share", f"keys are {mean_ratio:.2f}x as long as distractors on average (at most 1.00)")
            )
        positions = Counter(next(i for i, o in enumerate(q.options) if o.correct) for q in singles)
        position, count = positions.most_common(1)[0]
        if count > KEY_POSITION_SHARE * len(singles):
            found.append(
                Finding(
                    "key-position",
                    f"{count} of {len(singles)} single-answer keys are option {position + 1}: vary the authored position",
                )
            )
    truths = [q.answer for q in questions if isinstance(q, model.TrueFalseQuestion)]
    if len(truths) >= 2:
        true = sum(truths)
        false = len(truths) - true
        if abs(true - false) > tf_tolerance(len(truths)):
            found.append(Finding("tf-balance", f"{true} true/false items are keyed True and {false} False: balance them"))
    multiples = [q for q in questions if isinstance(q, model.MultipleQuestion)]
    if len(multiples) >= 2:
        counts = Counter(sum(o.correct for o in q.options) for q in multiples)
        if len(counts) == 1:
            k = next(iter(counts))
            found.append(
                Finding("multiple-pattern", f"all {len(multiples)} multiple-response items have {k} correct options: vary it")
            )
        prefix = [[o.correct for o in q.options] == sorted((o.correct for o in q.options), reverse=True) for q in multiples]
        if all(prefix):
            found.append(Finding("key-position", "every multiple-response item lists its correct options first: vary the order"))
    return found


def multiple_pattern_findings(questions: Sequence[model.Question]) -> list[Finding]:
    """Across a course: no one number of correct options may dominate multiple-response items."""
    multiples = [q for q in questions if isinstance(q, model.MultipleQuestion)]
    if len(multiples) < 4:
        return []
    counts = Counter(sum(o.correct for o in q.options) for q in multiples)
    k, n = counts.most_common(1)[0]
    if n > 0.5 * len(multiples):
        return [Finding("multiple-pattern", f"{n} of {len(multiples)} multiple-response items have {k} correct options: vary it")]
    return []


# --- near-duplicates and enemies ------------------------------------------------------------------------------------


def stem_words(question: model.Question) -> frozenset[str]:
    """The content words of what an item asks and what it keys: two items that share most of them test one point."""
    text = question.prompt
    if isinstance(question, model.SingleQuestion | model.MultipleQuestion):
        text += " " + " ".join(o.text for o in question.options if o.correct)
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def enemy_groups(links: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Each question's group (the smallest id in it): `excludes` links joined transitively.

    Enemies are pairs; a draw joins the links among its own candidates into groups and takes at most one question
    of each, so two questions that exclude each other never meet in one attempt.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, others in links.items():
        find(a)
        for b in others:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def enemy_groups_among(links: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """The enemy groups a draw from exactly these questions (the keys of `links`) forms: a link to a question
    outside the set is ignored, so it never joins two questions of the set through an absent third."""
    return enemy_groups({q: [x for x in others if x in links] for q, others in links.items()})


def near_duplicates(questions: Sequence[model.Question], threshold: float = NEAR_DUPLICATE) -> list[tuple[str, str, float]]:
    """Pairs of questions whose stems are this similar and which are not declared enemies (on either side)."""
    linked = {frozenset((q.id, other)) for q in questions for other in q.excludes}
    words = [(q.id, stem_words(q)) for q in questions]
    pairs: list[tuple[str, str, float]] = []
    for i, (a, wa) in enumerate(words):
        for b, wb in words[i + 1 :]:
            if frozenset((a, b)) in linked:
                continue
            score = similarity(wa, wb)
            if score >= threshold:
                pairs.append((a, b, score))
    return pairs


# --- a guesser who knows nothing ------------------------------------------------------------------------------------


def guess_score(question: model.Question) -> float:
    """The expected mark (0-1) of a learner who knows nothing and follows every cue.

    Single: the longest option (ties split). True/false: False. Multiple: every option longer than the item's
    mean option, scored as the grader scores it. Matching and ordering: chance. Short answer and numeric: 0.
    """
    if isinstance(question, model.SingleQuestion):
        top = max(_lengths(question.options))
        longest = [o for o in question.options if len(o.text) == top]
        return sum(o.correct for o in longest) / len(longest)
    if isinstance(question, model.TrueFalseQuestion):
        return 0.0 if question.answer else 1.0
    if isinstance(question, model.MultipleQuestion):
        lengths = _lengths(question.options)
        mean = sum(lengths) / len(lengths)
        ticked = {o.id for o in question.options if len(o.text) > mean}
        keys = {o.id for o in question.options if o.correct}
        if question.scoring == "all_or_nothing":
            return 1.0 if ticked == keys else 0.0
        return max(0.0, (len(ticked & keys) - len(ticked - keys)) / len(keys))
    if isinstance(question, model.MatchingQuestion):
        return 1 / (len(question.pairs) + len(question.extra_answers))
    if isinstance(question, model.OrderingQuestion):
        return 1 / len(question.items)
    return 0.0


@dataclass
class BankFigures:
    """What an editor reads off a bank: its mix, its cues and a guesser's score."""

    items: int = 0
    types: Counter[str] = field(default_factory=Counter)
    singles: int = 0
    key_unique_longest: int = 0
    key_length_ratio: float = 0.0
    tf_true: int = 0
    tf_false: int = 0
    multiple_patterns: Counter[str] = field(default_factory=Counter)
    guesser: float = 0.0

    def line(self) -> str:
        types = ", ".join(f"{n} {t}" for t, n in sorted(self.types.items()))
        patterns = ", ".join(f"{p}: {n}" for p, n in sorted(self.multiple_patterns.items())) or "none"
        longest = f"{self.key_unique_longest}/{self.singles}" if self.singles else "n/a"
        return (
            f"{self.items} items ({types}); key unique longest {longest}, key/distractor length "
            f"{self.key_length_ratio:.2f}; true/false keys {self.tf_true} True / {self.tf_false} False; "
            f"multiple-response correct/options {patterns}; cue-only guesser {self.guesser:.0%}"
        )


def bank_figures(questions: Sequence[model.Question]) -> BankFigures:
    figures = BankFigures(items=len(questions))
    figures.types.update(q.type for q in questions)
    singles = [q for q in questions if isinstance(q, model.SingleQuestion) and len(q.options) > 1]
    figures.singles = len(singles)
    figures.key_unique_longest = sum(key_is_unique_longest(q) for q in singles)
    figures.key_length_ratio = sum(key_length_ratio(q) for q in singles) / len(singles) if singles else 0.0
    truths = [q.answer for q in questions if isinstance(q, model.TrueFalseQuestion)]
    figures.tf_true = sum(truths)
    figures.tf_false = len(truths) - figures.tf_true
    figures.multiple_patterns.update(
        f"{sum(o.correct for o in q.options)}/{len(q.options)}" for q in questions if isinstance(q, model.MultipleQuestion)
    )
    figures.guesser = sum(guess_score(q) for q in questions) / len(questions) if questions else 0.0
    return figures
