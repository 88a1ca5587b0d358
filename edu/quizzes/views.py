"""Learner-facing quiz pages: start, answer (autosave), submit, review."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("quizzes", __name__)
