"""The WSGI entry point: `flask --app app ...` and `gunicorn app:app`."""

from edu.application import create_app

app = create_app()
