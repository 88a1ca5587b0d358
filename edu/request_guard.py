"""The door every request passes before any view runs: identifiers no column can hold never match a route, and a
request carrying text no column can hold, or JSON nested too deeply, is refused with a 400 that says why.

Bad input used to reach the database and fail there as a 500 (an identifier of 2^31 on PostgreSQL, a NUL in a form
field), or be stored and break every later page (an autosaved lone surrogate). The rules live in edu/storable.py;
this module applies them to the URL map and to every part of a request a view may read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from .storable import MAX_ID, UnusableJSON, load_json, unstorable


class UnusableInput(BadRequest):
    """A request refused before any view ran; ``description`` says what was wrong."""


class FormExpected(UnsupportedMediaType):
    """A JSON body sent to a page that reads a form. Flask-WTF would hand the JSON's objects and lists to the
    form's fields as if they were text (a 500 when a filter strips a dict); only views marked `takes_json` and the
    API read JSON."""


View = TypeVar("View", bound=Callable[..., Any])


def takes_json(view: View) -> View:
    """Mark a view that reads a JSON body; every other view outside the API is refused one (415)."""
    view.takes_json = True  # type: ignore[attr-defined]
    return view


def _reads_json() -> bool:
    if request.blueprint == "api" or request.endpoint is None:
        return True  # the API's own handlers say what they accept; an unknown address is a 404 anyway
    return bool(getattr(current_app.view_functions.get(request.endpoint), "takes_json", False))


class IdConverter(IntegerConverter):
    """``<int:name>`` on every route: ASCII digits only (one address per identifier) and never above MAX_ID, so
    ``/attempts/2147483648`` is the same 404 as any unknown address. An explicit ``max`` may only lower the bound;
    werkzeug's own converter already refuses negative numbers and non-numbers."""

    regex = r"[0-9]+"

    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        bounded = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits, min, bounded, signed)


def _keys_and_values(pairs: Iterable[tuple[str, str]]) -> Iterable[str]:
    for key, value in pairs:
        yield key
        yield value


def problem_in_request() -> str | None:
    """The first thing in the request that no view should see, in words, or None.

    Headers count (the User-Agent is stored with a login and a verification); uploaded files are checked by name
    only, their content belongs to the parser of their format."""
    places: list[tuple[str, Iterable[str]]] = [
        ("the address", [request.path]),
        ("the query", _keys_and_values(request.args.items(multi=True))),
        ("a header", (value for _name, value in request.headers.items())),
    ]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        places.append(("a form field", _keys_and_values(request.form.items(multi=True))))
        uploads = ((name, upload.filename or "") for name, upload in request.files.items(multi=True))
        places.append(("an uploaded file's name", _keys_and_values(uploads)))
    for place, texts in places:
        for text in texts:
            what = unstorable(text)
            if what is not None:
                return f"The request was refused: {place} contains {what}."
    if request.is_json:
        try:
            load_json(request.get_data(cache=True))
        except UnusableJSON as exc:
            return f"The request was refused: {exc}."
        except ValueError:
            return None  # malformed JSON: the view says what it expected
    return None


def refuse_unusable_input() -> None:
    if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS") and not _reads_json():
        raise FormExpected("This address takes a form, not JSON: nothing was changed.")
    problem = problem_in_request()
    if problem is not None:
        raise UnusableInput(problem)


def _refusal(error: HTTPException) -> tuple[Response | str, int]:
    """JSON for a JSON request or the API (the autosave script shows ``message``), the error page otherwise."""
    message = error.description or "The request could not be understood."
    code = error.code or 400
    if request.is_json or request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
        return jsonify(error="bad_request" if code == 400 else "unsupported_media_type", message=message), code
    title = "Bad request" if code == 400 else "Unsupported request"
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered: their ``<int:...>`` rules are built with the converter in place."""
    converters: dict[str, type[BaseConverter]] = app.url_map.converters
    converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unusable_input)
    app.register_error_handler(UnusableInput, _refusal)
    app.register_error_handler(FormExpected, _refusal)
