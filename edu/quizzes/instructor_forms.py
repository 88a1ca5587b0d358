"""Forms of the instructor's quiz pages: regrade, quiz assembly, accommodations.

WTForms parses and bounds the input; the services (assembly.validate_spec, quizzes.set_accommodation) hold the
rules and put their messages on the page. Rows of draws, minimums and feedback bands are fixed-size lists with
blank rows to fill in, so the pages work without JavaScript; blank rows are ignored.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from edu.auth.emails import UsableEmail
from edu.storable import coerce_id

from .attempts import GRADING_METHODS
from .models import REVIEW_PARTS

DRAW_ROWS = 4
MINIMUM_ROWS = 3
BAND_ROWS = 4

REVIEW_LABELS = {
    "score": "Score",
    "correctness": "Right or wrong per question",
    "response": "Their own responses",
    "key": "The correct answers",
    "feedback": "Rationale and option feedback",
}
REVIEW_MOMENTS = {
    "after_submit": "After each attempt",
    "after_pass": "Once they have passed",
    "after_last": "After their last allowed attempt",
}
OVERDUE = {
    "autosubmit": "Submit automatically at the deadline",
    "graceperiod": "Allow a grace period to submit (answers cannot change)",
}


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RegradeForm(FlaskForm):
    fingerprint = HiddenField()


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DrawForm(Form):
    bank = SelectField("Bank", coerce=str, validate_choice=False)
    tag = StringField("Only questions tagged", validators=[Optional(), Length(max=60)], filters=[_strip])
    count = IntegerField("How many", validators=[Optional(), NumberRange(min=1, max=200, message="Draw 1 to 200.")])


class MinimumForm(Form):
    tag = StringField("Tag", validators=[Optional(), Length(max=60)], filters=[_strip])
    count = IntegerField("At least", validators=[Optional(), NumberRange(min=1, max=200, message="Between 1 and 200.")])


class BandForm(Form):
    min = IntegerField("From score (%)", validators=[Optional(), NumberRange(min=0, max=100, message="0 to 100.")])
    text = TextAreaField("Feedback", validators=[Length(max=2000)], filters=[_strip])


class QuizForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Enter a title for the quiz."), Length(max=300)], filters=[_strip]
    )
    course = SelectField(
        "Course",
        coerce=str,
        validate_choice=False,
        description="Learners enrolled in this course can take the quiz.",
    )
    fixed = SelectMultipleField("Always include these questions", coerce=coerce_id, validate_choice=False)
    draws = FieldList(FormField(DrawForm), min_entries=DRAW_ROWS, max_entries=12)
    minimums = FieldList(FormField(MinimumForm), min_entries=MINIMUM_ROWS, max_entries=12)
    pass_mark = IntegerField(
        "Pass mark (%)",
        validators=[InputRequired(message="Enter a pass mark."), NumberRange(min=1, max=100, message="Between 1 and 100.")],
        default=70,
    )
    attempts_allowed = IntegerField(
        "Attempts allowed",
        validators=[Optional(), NumberRange(min=1, max=100, message="Between 1 and 100.")],
        default=3,
        description="Leave blank for unlimited attempts.",
    )
    delay_minutes = IntegerField(
        "Wait between attempts (minutes)",
        validators=[InputRequired(message="Enter 0 for no wait."), NumberRange(min=0, max=10080, message="0 to 10080.")],
        default=0,
    )
    time_limit_minutes = IntegerField(
        "Time limit (minutes)",
        validators=[Optional(), NumberRange(min=1, max=600, message="Between 1 and 600.")],
        description="Leave blank for no time limit.",
    )
    grading_method = SelectField("Grade by", choices=_choices(GRADING_METHODS), default="highest")
    overdue_handling = SelectField("When time runs out", choices=_choices(OVERDUE), default="autosubmit")
    grace_minutes = IntegerField(
        "Grace period (minutes)",
        validators=[InputRequired(message="Enter 0 for none."), NumberRange(min=0, max=120, message="0 to 120.")],
        default=0,
    )
    after_submit = CheckboxesField(REVIEW_MOMENTS["after_submit"], choices=_choices(REVIEW_LABELS))
    after_pass = CheckboxesField(REVIEW_MOMENTS["after_pass"], choices=_choices(REVIEW_LABELS))
    after_last = CheckboxesField(REVIEW_MOMENTS["after_last"], choices=_choices(REVIEW_LABELS))
    bands = FieldList(FormField(BandForm), min_entries=BAND_ROWS, max_entries=12)


assert set(REVIEW_LABELS) == set(REVIEW_PARTS)


class LearnerSearchForm(FlaskForm):
    class Meta:
        csrf = False

    email = StringField("Learner's email", validators=[Optional(), Length(max=254)], filters=[_strip])


class AccommodationForm(FlaskForm):
    email = StringField(
        "Learner's email",
        validators=[DataRequired(message="Enter the learner's email."), UsableEmail(), Length(max=254)],
        filters=[_strip],
    )
    scope = SelectField("Applies to", coerce=str, validate_choice=False)
    time_multiplier = DecimalField(
        "Time multiplier",
        places=2,
        default=1,
        validators=[InputRequired(message="Enter 1 for no extra time."), NumberRange(min=1, max=4, message="Between 1 and 4.")],
        description="1.5 gives half as much time again.",
    )
    extra_minutes = IntegerField(
        "Extra minutes",
        default=0,
        validators=[InputRequired(message="Enter 0 for none."), NumberRange(min=0, max=600, message="0 to 600.")],
    )
    extra_attempts = IntegerField(
        "Extra attempts",
        default=0,
        validators=[InputRequired(message="Enter 0 for none."), NumberRange(min=0, max=20, message="0 to 20.")],
    )
    note = StringField("Note (optional)", validators=[Optional(), Length(max=300)], filters=[_strip])
