"""Property-based run of schemathesis against the OpenAPI schema, with every check schemathesis has.

Bounded: ``MAX_EXAMPLES`` generated cases per operation, no deadline.  The
schema is loaded eagerly (``schemathesis.pytest.from_fixture`` does not work
with pytest 9), so the small world store is built when this module is
imported, in a temporary folder removed at exit.

Some valid values are facts of the loaded run or of the server, not of the
schema: a ``cursor`` is one the server signed, ``sort``, ``fields`` and the
plan's ``cost_column`` name columns of the run (an unknown one is a documented
422), and ``followers_min <= followers_max`` or "``cost_column`` needs
``budget``" relate two fields.  For *positive* cases only, :func:`realistic`
gives those values the way a client gets them (a cursor from the previous page,
column names the run has) and drops cases that break a cross-field rule;
negative cases keep every generated value, so forged cursors and unknown
columns are still thrown at the server and must be refused.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import zlib

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from nichegraph.api.audiences import AudienceError, parse_time
from nichegraph.api.service import create_app, load_settings

from .conftest import build_store

MAX_EXAMPLES = int(os.environ.get("NICHEGRAPH_SCHEMATHESIS_EXAMPLES", "30"))


def _app():
    folder = tempfile.mkdtemp(prefix="nichegraph-schemathesis-")
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, "world.duckdb")
    build_store(path)
    app = create_app(load_settings(env={}, store=path, poll_seconds=0, rate_limit=0))
    app.state.nichegraph.holder.refresh()  # what the lifespan does; the ASGI transport does not run it
    assert app.state.nichegraph.holder.current is not None
    return app


# A schema-violating request may also be too long for the server's URL limit: 414 is a right answer.
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": [
    "400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "5XX"]}}})
APP = _app()
SNAP = APP.state.nichegraph.holder.current
CLIENT = TestClient(APP, raise_server_exceptions=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)
load_all_checks()
ALL_CHECKS = CHECKS.get_all()


def _pick(options, generated) -> str:
    """One of ``options``, chosen by the generated value (so shrinking and replay stay deterministic)."""
    return options[zlib.crc32(str(generated).encode()) % len(options)]


@schema.hook("filter_case")
def cross_field_rules(ctx, case) -> bool:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return True
    q = case.query or {}
    low, high = q.get("followers_min"), q.get("followers_max")
    if low is not None and high is not None and int(low) > int(high):
        return False
    body = case.body if isinstance(case.body, dict) else {}
    if body.get("cost_column") is not None and body.get("budget") is None:
        return False
    # a time window is not empty, and follower audiences have no time (both refused with a documented 422)
    for params in (q, body):
        for lo, hi in (("since", "until"), ("audience_since", "audience_until")):
            start, end = _time(params.get(lo)), _time(params.get(hi))
            if start is not None and end is not None and start >= end:
                return False
        windowed = params.get("audience_since") is not None or params.get("audience_until") is not None
        if windowed and params.get("audience") == "followers":
            return False
    return True


def _time(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return parse_time(value if value is None or isinstance(value, int) else str(value), "time")
    except (AudienceError, OverflowError, ValueError):
        return None


@schema.hook("map_case")
def realistic(ctx, case):
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    q = case.query
    if q and case.operation.path != "/v1/communities":  # the communities' sort is a fixed enum
        if q.get("sort") is not None:
            q["sort"] = _pick(SNAP.sortable, q["sort"])
        if q.get("fields"):
            q["fields"] = ",".join(_pick(SNAP.columns, f) for f in q["fields"].split(",") if f) or "id"
    if q and q.get("cursor") is not None:  # the cursor of the same query's first page, as a client pages
        first = {k: v for k, v in q.items() if k not in ("cursor", "limit")}
        path = case.operation.path.format(**(case.path_parameters or {}))
        response = CLIENT.get(path, params={**first, "limit": 1})
        cursor = response.json().get("next_cursor") if response.status_code == 200 else None
        if cursor is None:
            del q["cursor"]
        else:
            q["cursor"] = cursor
    if isinstance(case.body, dict) and case.body.get("cost_column") is not None:
        case.body["cost_column"] = _pick(SNAP.sortable, case.body["cost_column"])
    return case


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case):
    case.call_and_validate(checks=ALL_CHECKS)
