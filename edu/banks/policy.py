"""Who may do what to a question bank.

Banks are not a course's outcomes, so edu.catalog.policy's "teaches this course" does not apply: every instructor
(and admin) may read every bank, preview and export it. Changing a bank is narrower: a course bank never (the files
in courses/ are its source of truth), an authored bank by the instructor who created it or an admin.

`None` as the actor means the command line, whose operator already holds the database and is trusted like an admin.
Services call these checks; views only ask `can_edit` to decide whether to offer the editing buttons.
"""

from __future__ import annotations

from edu.auth.models import Role, User
from edu.errors import Forbidden

from .models import AUTHORED, QuestionBank


def require_instructor(actor: User | None) -> None:
    if actor is not None and not actor.has_role(Role.INSTRUCTOR):
        raise Forbidden("Only instructors and admins can work with question banks.")


def can_edit(actor: User | None, bank: QuestionBank) -> bool:
    if bank.source != AUTHORED:
        return False
    if actor is None or actor.has_role(Role.ADMIN):
        return True
    return actor.has_role(Role.INSTRUCTOR) and bank.created_by_id == actor.id


def require_editable(actor: User | None, bank: QuestionBank) -> None:
    require_instructor(actor)
    if bank.source != AUTHORED:
        raise Forbidden("This bank comes from the course files and is read-only here: change it in courses/ and sync.")
    if not can_edit(actor, bank):
        raise Forbidden("Only the instructor who created this bank, or an admin, can change it.")
