"""edu.catalog.policy on SQLite and PostgreSQL: who acts on a course's outcomes, through the services themselves (the
command line and any future caller get the same rule as the pages)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from edu.auth import services as auth
from edu.catalog import instructors, policy
from edu.catalog.models import CourseInstructor
from edu.certificates import records, revocation
from edu.certificates.models import Certificate
from edu.db import session
from edu.errors import Forbidden, Invalid, NotFound
from edu.quizzes import accommodations, assembly
from edu.quizzes.accommodations import set_accommodation
from edu.quizzes.models import Accommodation
from edu.results import analysis, gradebook, regrade
from tests.certificate_helpers import mini, quiz, user
from tests.conftest import staff_two_courses
from tests.integration.test_certificates import certified


@pytest.fixture
def staff(app, mini_course, make_user):
    staff_two_courses(app, make_user)


def test_teaches_the_assigned_course_only_admins_every_course_learners_none(app, staff, make_user):
    make_user("lee@example.com")
    with app.app_context():
        course_id = mini().id
        assert policy.teaches(user("tess@example.com"), course_id)
        assert not policy.teaches(user("otto@example.com"), course_id)
        assert policy.teaches(user("ada@example.com"), course_id)
        assert not policy.teaches(user("lee@example.com"), course_id) and not policy.teaches(None, course_id)
        assert [c.slug for c in policy.taught_courses(user("otto@example.com"))] == ["other"]
        assert [c.slug for c in policy.taught_courses(user("ada@example.com"))] == ["mini", "other"]  # by title
        assert policy.taught_courses(user("lee@example.com")) == []


def test_the_assignment_needs_the_instructor_role_to_count(app, staff):
    with app.app_context():
        tess = user("tess@example.com")
        auth.set_roles(user("ada@example.com"), tess, [])
        session.flush()
        assert not policy.teaches(tess, mini().id) and policy.taught_courses(tess) == []
        assert session.scalar(select(func.count(CourseInstructor.id)).where(CourseInstructor.user_id == tess.id)) == 1
        auth.set_roles(user("ada@example.com"), tess, ["instructor"])
        assert policy.teaches(tess, mini().id)
        session.rollback()


def test_services_refuse_another_courses_instructor_with_not_found(app, staff, make_user):
    cid = certified(app, make_user, "lee@example.com")
    with app.app_context():
        otto, quiz_id = user("otto@example.com"), quiz("module").id
        certificate = session.get(Certificate, cid)
        assert certificate is not None
        refusals = [
            lambda: gradebook.course_gradebook(otto, "mini"),
            lambda: gradebook.quiz_gradebook(otto, quiz_id),
            lambda: regrade.plan_regrade(otto, quiz_id),
            lambda: regrade.apply_regrade(otto, quiz_id),
            lambda: regrade.regrade_history(otto, quiz_id),
            lambda: analysis.analyse_quiz(otto, quiz_id),
            lambda: assembly.get_for_edit(otto, quiz_id),
            lambda: revocation.manage(otto, certificate.public_id),
            lambda: revocation.revoke(otto, certificate, "other", "x"),
            lambda: revocation.reissue(otto, certificate, "x"),
            lambda: records.get_own(otto, certificate.public_id, staff_may=True),
            lambda: set_accommodation(otto, user("lee@example.com"), quiz("module"), extra_attempts=1),
            lambda: set_accommodation(otto, user("lee@example.com"), None, course=mini(), extra_attempts=1),
        ]
        for refuse in refusals:
            with pytest.raises(NotFound):
                refuse()
        session.rollback()
        assert session.get(Certificate, cid).status == "valid"  # type: ignore[union-attr]
        assert revocation.search(otto, "") == [] and len(revocation.search(user("tess@example.com"), "")) == 1
        assert gradebook.quiz_overview(otto) == []
        assert session.scalar(select(func.count(Accommodation.id))) == 0


def test_only_an_admin_sets_an_accommodation_for_every_quiz(app, staff, make_user):
    make_user("lee@example.com")
    with app.app_context():
        lee = user("lee@example.com")
        with pytest.raises(Forbidden, match="Only an administrator can set an accommodation for every quiz"):
            set_accommodation(user("tess@example.com"), lee, None, extra_minutes=5)
        with pytest.raises(Invalid, match="Choose what the accommodation applies to"):
            accommodations.save_accommodation(
                user("tess@example.com"),
                email="lee@example.com",
                scope="all",
                time_multiplier=1,
                extra_minutes=5,
                extra_attempts=0,
                note=None,
            )
        set_accommodation(user("tess@example.com"), lee, None, course=mini(), extra_minutes=5)
        set_accommodation(user("ada@example.com"), lee, None, extra_minutes=10)
        session.flush()
        assert [r.scope for r in accommodations.accommodations_page(user("tess@example.com"), None).rows] == [
            "Every quiz of A miniature course for tests"
        ]
        assert accommodations.accommodations_page(user("otto@example.com"), None).rows == []
        assert len(accommodations.accommodations_page(user("ada@example.com"), None).rows) == 2
        session.rollback()


def test_assigning_is_for_admins_and_the_command_line(app, staff):
    with app.app_context():
        course = mini()
        with pytest.raises(Forbidden):
            instructors.assign(user("tess@example.com"), course, "otto@example.com")
        with pytest.raises(Forbidden):
            instructors.unassign(user("tess@example.com"), course, user("tess@example.com"))
        with pytest.raises(Forbidden):
            instructors.course_staff(user("otto@example.com"))
        assert instructors.assign(user("ada@example.com"), course, "otto@example.com") == (user("otto@example.com"), True)
        assert instructors.assign(None, course, "otto@example.com") == (user("otto@example.com"), False)
        assert [u.email for u in instructors.instructors_of(course)] == ["otto@example.com", "tess@example.com"]
        assert instructors.unassign(None, course, user("otto@example.com")) is True
        assert instructors.unassign(None, course, user("otto@example.com")) is False
        staff_of = {entry.course.slug: [row.user.email for row in entry.instructors] for entry in instructors.course_staff(None)}
        assert staff_of == {"mini": ["tess@example.com"], "other": ["otto@example.com"]}
        session.rollback()
