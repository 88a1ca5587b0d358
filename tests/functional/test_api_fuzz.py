"""The public API against its own OpenAPI document: schemathesis generates requests from the document (valid and
invalid paths, bodies and content types) and no response is a server error or breaks the documented shape.

Driven through Hypothesis directly (schemathesis's pytest plugin does not run under this pytest), one strategy per
documented operation, each request sent to the app through WSGI."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from edu.extensions import limiter
from tests.property_budget import max_examples


def test_no_api_request_gets_a_server_error_or_an_undocumented_answer(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(limiter, "enabled", False)  # the rate limit would answer most of them with a 429
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    seen: list[int] = []
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)

    @settings(max_examples=max_examples(150), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(*(operation.as_strategy(generation_mode=mode) for operation in operations for mode in modes)))
    def one_request(case):  # type: ignore[no-untyped-def]
        response = case.call()
        seen.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])
        case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])

    one_request()
    assert seen and max(seen) < 500
