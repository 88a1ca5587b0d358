"""Typed model of the files under courses/.

The loader validates raw YAML against these models, so the same definitions are the format's
specification (courses/README.md describes them in prose, and `python -m edu.content schema`
prints them as JSON Schema). Everything is frozen: content read from disk is a value, not state.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from edu.storable import unstorable


def _storable(text: str) -> str:
    """Text a database column can hold: no NUL (a YAML "\\0" escape, a GIFT or Aiken upload could carry one)."""
    what = unstorable(text)
    if what is not None:
        raise ValueError(f"contains {what}")
    return text


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", max_length=80)]
ObjectiveId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000), AfterValidator(_storable)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(_storable)]
OptionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
CheckId = Literal[
    "key-longest",
    "absolute-words",
    "all-none-above",
    "near-duplicate",
    "length-cue-share",
    "tf-balance",
    "multiple-pattern",
    "key-position",
]
"""The item-writing checks an author may waive (see edu/content/itemwriting.py)."""

QUESTION_TYPES = (
    "single",
    "multiple",
    "true_false",
    "matching",
    "ordering",
    "short_answer",
    "numeric",
)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- course.yaml -------------------------------------------------------------------------------


class Reference(Frozen):
    id: Slug
    citation: Text
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)] | None = None
    facts: tuple[Annotated[str, StringConstraints(pattern=r"^F\d{2,3}$")], ...] = ()
    """Ids of the checked facts in the syllabus fact base this citation supports."""


class Completion(Frozen):
    lessons: Literal["all"] = "all"
    module_quizzes: Literal["passed", "none"] = "passed"
    final_exam: Literal["passed", "none"] = "passed"
    minimum_lesson_minutes: Annotated[int, Field(ge=0, le=120)] = 0
    """A lesson can be marked complete only this long after the learner first opened it (0 = no minimum)."""


class Certificate(Frozen):
    validity_months: Annotated[int, Field(ge=1, le=120)] | None = 24
    approval_number: ShortText | None = None
    signatory: ShortText | None = None
    statement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)] | None = None
    """What the certificate does not attest (e.g. that a didactic course meets no board's training requirement):
    printed on every certificate and shown on the course page."""


class QuizSettings(Frozen):
    """Settings shared by module quizzes and the final exam (issue 4 adds the rest in the DB)."""

    title: ShortText | None = None
    questions: Annotated[int, Field(ge=1, le=200)]
    pass_mark: Annotated[int, Field(ge=1, le=100)] = 70
    time_limit_minutes: Annotated[int, Field(ge=1, le=600)] | None = None
    attempts: Annotated[int, Field(ge=1, le=50)] | None = 3
    delay_minutes: Annotated[int, Field(ge=0, le=10_080)] = 0
    option_feedback: bool = False
    """After every attempt, a wrong option the learner chose shows the feedback written for it, before the key is
    shown (the review part 'option_feedback'; courses/README.md, "Feedback that does not give the key away")."""


class Draw(Frozen):
    module: Slug
    count: Annotated[int, Field(ge=1, le=200)]


class TagMinimum(Frozen):
    tag: Tag
    count: Annotated[int, Field(ge=1, le=200)]


class FinalExam(QuizSettings):
    draw: tuple[Draw, ...] = Field(min_length=1)
    minimums: tuple[TagMinimum, ...] = ()

    @model_validator(mode="after")
    def _draws_add_up(self) -> FinalExam:
        total = sum(d.count for d in self.draw)
        if total != self.questions:
            raise ValueError(f"draw counts add up to {total}, but questions is {self.questions}")
        return self


class CourseFile(Frozen):
    id: Slug
    title: ShortText
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+(\.\d+)?$")]
    summary: Text
    ce_hours: Annotated[float, Field(gt=0, le=100)]
    published: bool = True
    provider: ShortText
    audience: ShortText | None = None
    objectives: tuple[Text, ...] = ()
    completion: Completion = Completion()
    certificate: Certificate = Certificate()
    modules: tuple[Slug, ...] = Field(min_length=1)
    final_exam: FinalExam | None = None
    glossary: Annotated[str, StringConstraints(pattern=r"^[\w./-]+\.ya?ml$")] | None = None
    references: Annotated[str, StringConstraints(pattern=r"^[\w./-]+\.ya?ml$")] | None = None
    """Path of the course's reference list (a ReferencesFile)."""


class ReferencesFile(Frozen):
    references: tuple[Reference, ...] = Field(min_length=1)


# --- module.yaml -------------------------------------------------------------------------------


class Objective(Frozen):
    id: ObjectiveId
    text: Text


class ModuleFile(Frozen):
    id: Slug
    title: ShortText
    summary: Text
    objectives: tuple[Objective, ...] = Field(min_length=1)
    lessons: tuple[Annotated[str, StringConstraints(pattern=r"^[\w./-]+\.md$")], ...] = Field(min_length=1)
    bank: Annotated[str, StringConstraints(pattern=r"^[\w./-]+\.ya?ml$")] | None = None
    quiz: QuizSettings | None = None
    references: tuple[Slug, ...] = ()


class LessonFrontMatter(Frozen):
    id: Slug
    title: ShortText


# --- glossary.yaml -----------------------------------------------------------------------------


class GlossaryTerm(Frozen):
    term: ShortText
    definition: Text
    references: tuple[Slug, ...] = ()
    see_also: tuple[ShortText, ...] = ()


class GlossaryFile(Frozen):
    terms: tuple[GlossaryTerm, ...] = Field(min_length=1)


# --- question banks ----------------------------------------------------------------------------


class Option(Frozen):
    id: OptionId
    text: Text
    correct: bool = False
    feedback: Text | None = None


class Pair(Frozen):
    id: OptionId
    prompt: Text
    answer: Text


class OrderItem(Frozen):
    id: OptionId
    text: Text


class QuestionBase(Frozen):
    """One question, whatever its source (a course bank, the browser, a GIFT or Moodle XML import).

    objective, rationale, references and wrong-answer feedback are optional here because imported
    questions may lack them; the course loader requires them of every question in courses/.
    """

    id: Slug
    name: ShortText | None = None
    objective: ObjectiveId | None = None
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    tags: tuple[Tag, ...] = ()
    prompt: Text
    rationale: Text | None = None
    references: tuple[Slug, ...] = ()
    feedback_wrong: Text | None = None
    """Feedback for an incorrect response where the type has no per-option feedback."""
    excludes: tuple[Slug, ...] = ()
    """Questions (in any bank of the course) that test the same point: no draw takes two of one group."""
    waive: dict[CheckId, Text] = {}
    """Item-writing findings this item is allowed to carry, each with the author's written reason."""


def _unique_ids(items: tuple[Option, ...] | tuple[Pair, ...] | tuple[OrderItem, ...], what: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"duplicate {what} id {item.id!r}")
        seen.add(item.id)


def _choice_checks(options: tuple[Option, ...]) -> None:
    _unique_ids(options, "option")


class SingleQuestion(QuestionBase):
    type: Literal["single"]
    options: tuple[Option, ...] = Field(min_length=2, max_length=12)

    @model_validator(mode="after")
    def _one_key(self) -> SingleQuestion:
        _choice_checks(self.options)
        keys = sum(o.correct for o in self.options)
        if keys != 1:
            raise ValueError(f"a single-best-answer question needs exactly one correct option, found {keys}")
        return self


class MultipleQuestion(QuestionBase):
    type: Literal["multiple"]
    scoring: Literal["partial", "all_or_nothing"] = "partial"
    options: tuple[Option, ...] = Field(min_length=2, max_length=12)

    @model_validator(mode="after")
    def _some_keys(self) -> MultipleQuestion:
        _choice_checks(self.options)
        if not any(o.correct for o in self.options):
            raise ValueError("a multiple-response question needs at least one correct option")
        return self


class TrueFalseQuestion(QuestionBase):
    type: Literal["true_false"]
    answer: bool


class MatchingQuestion(QuestionBase):
    type: Literal["matching"]
    pairs: tuple[Pair, ...] = Field(min_length=2, max_length=12)
    extra_answers: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> MatchingQuestion:
        _unique_ids(self.pairs, "pair")
        answers = [p.answer for p in self.pairs] + list(self.extra_answers)
        if len(set(answers)) != len(answers):
            raise ValueError("matching answers must be distinct")
        return self


class OrderingQuestion(QuestionBase):
    type: Literal["ordering"]
    items: tuple[OrderItem, ...] = Field(min_length=2, max_length=12)
    """Listed in the correct order."""

    @model_validator(mode="after")
    def _distinct(self) -> OrderingQuestion:
        _unique_ids(self.items, "item")
        return self


class ShortAnswerQuestion(QuestionBase):
    type: Literal["short_answer"]
    accepted: tuple[ShortText, ...] = Field(min_length=1)


class NumericQuestion(QuestionBase):
    type: Literal["numeric"]
    answer: float
    tolerance: Annotated[float, Field(ge=0)] = 0
    unit: ShortText | None = None


Question = Annotated[
    SingleQuestion
    | MultipleQuestion
    | TrueFalseQuestion
    | MatchingQuestion
    | OrderingQuestion
    | ShortAnswerQuestion
    | NumericQuestion,
    Field(discriminator="type"),
]


class BankHeader(Frozen):
    id: Slug
    title: ShortText
    waive: dict[CheckId, Text] = {}
    """Bank-level item-writing findings waived, each with the author's written reason."""


class BankFile(Frozen):
    bank: BankHeader
    questions: tuple[Question, ...] = Field(min_length=1)


# --- the loaded course (what the loader returns) -----------------------------------------------


class Figure(Frozen):
    path: str
    """Path relative to the course folder, as written in the lesson (resolved)."""
    alt: str
    media_type: str
    data: bytes


class Lesson(Frozen):
    id: str
    title: str
    source_path: str
    markdown: str
    words: int
    reading_minutes: int
    figures: tuple[Figure, ...] = ()


class Bank(Frozen):
    id: str
    title: str
    source_path: str
    questions: tuple[Question, ...]


class Module(Frozen):
    id: str
    title: str
    summary: str
    objectives: tuple[Objective, ...]
    lessons: tuple[Lesson, ...]
    bank: Bank | None
    quiz: QuizSettings | None
    references: tuple[str, ...]


class Course(Frozen):
    id: str
    title: str
    version: str
    summary: str
    ce_hours: float
    published: bool
    provider: str
    audience: str | None
    objectives: tuple[str, ...]
    completion: Completion
    certificate: Certificate
    modules: tuple[Module, ...]
    final_exam: FinalExam | None
    glossary: tuple[GlossaryTerm, ...]
    references: tuple[Reference, ...]
    content_hash: str

    def objective_ids(self) -> set[str]:
        return {o.id for m in self.modules for o in m.objectives}

    def questions(self) -> list[tuple[Module, Question]]:
        return [(m, q) for m in self.modules if m.bank for q in m.bank.questions]


WORDS_PER_MINUTE = 180
"""Reading speed for dense clinical prose; lower than the 238 wpm often quoted for fiction."""

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def count_words(markdown: str) -> int:
    return len(_WORD.findall(markdown))


def reading_minutes(words: int) -> int:
    return max(1, round(words / WORDS_PER_MINUTE))
