"""How many CE contact hours a course can defend: instructional time plus a realistic assessment time.

Approving bodies count instructional time and a realistic time to take the assessments, not the quizzes' time
limits (which are maxima). A 60-minute contact hour is the usual unit (some boards use 50). We estimate both
halves from the content itself, so the figure moves when the content does:

- reading: every lesson's words at the format's reading speed (`model.WORDS_PER_MINUTE`);
- assessment: one attempt at every module quiz and at the final exam, each drawn question costing the time to
  read it (the mean words of its bank's items at the same speed) plus `DECISION_MINUTES` to decide.

The claimed hours must not exceed this estimate, rounded down to a quarter hour (`claimable_hours`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import model

DECISION_MINUTES = 0.5
"""Time to weigh the options of one question once it is read: a vignette item, not a recall flash card."""
CONTACT_HOUR_MINUTES = 60


def item_words(question: model.Question) -> int:
    """The words a learner reads to answer one question: the stem and every option, pair or item."""
    parts = [question.prompt]
    if isinstance(question, model.SingleQuestion | model.MultipleQuestion):
        parts += [o.text for o in question.options]
    elif isinstance(question, model.MatchingQuestion):
        parts += [p.prompt for p in question.pairs] + [p.answer for p in question.pairs] + list(question.extra_answers)
    elif isinstance(question, model.OrderingQuestion):
        parts += [i.text for i in question.items]
    return sum(model.count_words(p) for p in parts)


def minutes_per_question(bank: model.Bank) -> float:
    words = [item_words(q) for q in bank.questions]
    return (sum(words) / len(words)) / model.WORDS_PER_MINUTE + DECISION_MINUTES if words else DECISION_MINUTES


@dataclass(frozen=True)
class ContactTime:
    reading_minutes: int
    assessment_minutes: float

    @property
    def total_minutes(self) -> float:
        return self.reading_minutes + self.assessment_minutes

    @property
    def claimable_hours(self) -> float:
        """The most CE hours this content supports: the total, rounded down to a quarter hour."""
        return math.floor(4 * self.total_minutes / CONTACT_HOUR_MINUTES) / 4


def contact_time(course: model.Course) -> ContactTime:
    reading = sum(lesson.reading_minutes for m in course.modules for lesson in m.lessons)
    per_question = {m.id: minutes_per_question(m.bank) for m in course.modules if m.bank}
    assessment = sum(m.quiz.questions * per_question[m.id] for m in course.modules if m.quiz and m.id in per_question)
    if course.final_exam is not None:
        assessment += sum(d.count * per_question.get(d.module, DECISION_MINUTES) for d in course.final_exam.draw)
    return ContactTime(reading, assessment)
