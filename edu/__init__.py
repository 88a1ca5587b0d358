"""Needlepoint CE: a Flask application that teaches dry needling and certifies competence.

The factory is `edu.application.create_app`; this package file stays empty so that importing a pure core
(`edu.content`, `edu.interchange`, `edu.quizzes.grading`, ...) never loads Flask or SQLAlchemy.
"""
