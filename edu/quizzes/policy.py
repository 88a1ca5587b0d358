"""Who may do what to a quiz.

A quiz's settings, like its results, belong to its course: an instructor opens those of the courses they teach
(edu.catalog.policy, which the services ask first). Changing a quiz is narrower: one synced from courses/ never
(the files own its settings), an authored one by its author or an admin.
"""

from __future__ import annotations

from edu.auth.models import Role, User
from edu.errors import Forbidden

from .models import AUTHORED, Quiz


def can_edit(actor: User, quiz: Quiz, author_id: int | None) -> bool:
    """Authored, and the actor's own or they are an admin (the caller has checked that they teach its course)."""
    if quiz.source != AUTHORED:
        return False
    return actor.has_role(Role.ADMIN) or (actor.has_role(Role.INSTRUCTOR) and author_id == actor.id)


def require_editable(actor: User, quiz: Quiz, author_id: int | None) -> None:
    if quiz.source != AUTHORED:
        raise Forbidden("This quiz comes from the course files and is read-only here: change it in courses/ and sync.")
    if not can_edit(actor, quiz, author_id):
        raise Forbidden("Only the instructor who created this quiz, or an admin, can change it.")
