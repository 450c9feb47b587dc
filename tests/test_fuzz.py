"""Hostile input gets a 4xx, never a 5xx or a traceback: every verb of every REST route
(taken from the route table, so a new route is fuzzed the day it is added) and a serving
process's `/invocations`, with bodies generated from the request JSON Schemas and with
garbage no schema allows (random JSON, deep nesting, huge strings, NUL, big numbers).

Reproducible: hypothesis runs derandomized with no example database, and a failure
names the request that got the 5xx. (hypothesis-jsonschema would draw the schema bodies,
but its 0.23.1 breaks on this hypothesis: `from_schema` below covers what our schemas use.)
"""

import asyncio
import http.client
import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serving_helpers import Server, model_store
from sklearn.datasets import load_breast_cancer

from jupyter_mlops import schemas
from jupyter_mlops.server.operations import path_parameters
from jupyter_mlops.server.routes import ROUTES

DEPTH = 100_000  # far past Python's recursion limit: json.loads raises RecursionError
# Per route and verb (40-odd), after the fixed cases: about 1,500 requests, some 10 s.
EXAMPLES = 15
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=EXAMPLES,
    # Shrinking a failure would resend requests for minutes; the failure names its request.
    phases=["explicit", "generate"],
    suppress_health_check=list(HealthCheck),
)
WRITES = ("POST", "PUT", "PATCH")


def nested(depth: int = DEPTH) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# Values no schema allows but every door meets sooner or later.
HOSTILE_TEXT = [
    "a\x00b",
    "x" * 5000,
    "../../etc/passwd",
    "%00",
    "名前 ☃",
    "1e400",
    str(2**64),
    str(-(2**63) - 1),
    " ",
]
HOSTILE_NUMBERS = [2**62, 2**64, -(2**64), 10**400, 0, -1]
HOSTILE_BODIES = [nested(), b"[" * DEPTH + b"]" * DEPTH, b"\x00", b"{", b"\xff\xfe", b""]
# Drawn by index: a strategy's repr (in hypothesis' errors) would quote each whole body.
hostile_bodies = st.integers(0, len(HOSTILE_BODIES) - 1).map(lambda i: HOSTILE_BODIES[i])
text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(min_size=1, max_size=40))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(HOSTILE_NUMBERS)
    | st.floats(allow_nan=False)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
garbage = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    hostile_bodies,
    st.binary(max_size=64),
)


def from_schema(schema: dict) -> st.SearchStrategy:
    """Values the schema's keywords describe (type, properties, required, enum, const,
    pattern, lengths, bounds, items, oneOf; `if`/`then` and uniqueness are left out, so
    some draws are near misses, which the fuzz wants too)."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema or "anyOf" in schema:
        return st.one_of([from_schema(s) for s in schema.get("oneOf", schema.get("anyOf"))])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    low, high = schema.get("minimum"), schema.get("maximum")
    if kind == "integer":
        return st.integers(low, high)
    if kind == "number":
        low = low if low is not None else schema.get("exclusiveMinimum")
        high = high if high is not None else schema.get("exclusiveMaximum")
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        size = {"min_size": schema.get("minLength", 0), "max_size": schema.get("maxLength", 40)}
        return st.text(**size)
    if kind == "array":
        items = from_schema(schema.get("items", {}))
        most = schema.get("maxItems", 4)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=most)
    if kind == "object" or "properties" in schema:
        properties = {k: from_schema(v) for k, v in schema.get("properties", {}).items()}
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: v for k, v in properties.items() if k in required},
            optional={k: v for k, v in properties.items() if k not in required},
        )
    return json_values


_GROUP = re.compile(r"\(\?P<\w+>(?:[^()]|\([^()]*\))*\)")


def operations():
    """(verb, path pattern, Operation) of every route, in the route table's order."""
    for pattern, _handler, info in ROUTES:
        for verb, operation in info["operations"].items():
            yield verb.upper(), pattern, operation


OPERATIONS = list(operations())


def body_strategy(operation):
    if operation.request is None:
        return garbage
    schema = schemas.load(operation.request)
    return st.one_of(from_schema(schema).map(lambda v: json.dumps(v).encode()), garbage)


def query_strategy(operation):
    def value(query):
        if query.schema.get("type") == "integer":
            numbers = st.one_of(st.integers(), st.sampled_from(HOSTILE_NUMBERS))
            return st.one_of(numbers.map(str), text)
        return text

    return st.fixed_dictionaries({}, optional={q.name: value(q) for q in operation.query})


def url_of(base: str, pattern: str, values: list[str], query: dict | None = None) -> str:
    names = iter(values)
    path = _GROUP.sub(lambda _: quote(next(names), safe=""), pattern)
    return base.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")


class Client:
    def __init__(self, port: int, headers: dict | None = None):
        self.port, self.headers = port, headers or {}

    def check(self, method, url, body=None, content_type="application/json"):
        """Send one request; fail naming it if the answer is a 5xx or quotes a traceback."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = content_type
        shown = body if body is None or len(body) < 200 else body[:200] + b"..."
        request = f"{method} {url[:300]} body={shown!r}"
        # Bounded: a request the server never answers fails here, named.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, url, body=body, headers=headers)
            response = connection.getresponse()
            status, answer = response.status, response.read()
        except OSError as err:
            raise AssertionError(f"{request} -> no answer: {err!r}") from None
        finally:
            connection.close()
        assert status < 500, f"{request} -> {status} {answer[:500]!r}"
        assert b"Traceback" not in answer, f"{request} -> {status} {answer[:500]!r}"
        return status


def fuzz_operation(client: Client, base: str, method: str, pattern: str, operation) -> None:
    names = path_parameters(pattern)
    sample = ["sample"] * len(names)
    # The named cases, on every route: each hostile body, each hostile value in each
    # path parameter and in each query argument.
    if method in WRITES:
        for body in HOSTILE_BODIES:
            client.check(method, url_of(base, pattern, sample), body)
    for i in range(len(names)):
        for value in HOSTILE_TEXT:
            values = [*sample[:i], value, *sample[i + 1 :]]
            body = b"{}" if method in WRITES else None
            client.check(method, url_of(base, pattern, values), body)
    for query in operation.query:
        for value in [*HOSTILE_TEXT, *map(str, HOSTILE_NUMBERS)]:
            client.check(method, url_of(base, pattern, sample, {query.name: value}))

    @FUZZ
    @given(
        values=st.lists(text, min_size=len(names), max_size=len(names)),
        query=query_strategy(operation),
        body=body_strategy(operation),
    )
    def generated(values, query, body):
        url = url_of(base, pattern, values, query)
        client.check(method, url, body if method in WRITES else None)

    generated()


async def test_no_rest_route_answers_5xx_to_any_input(
    jp_fetch, jp_http_port, jp_base_url, jp_auth_header, caplog
):
    """One server for every route (jp_fetch's: it listens on jp_http_port); the requests
    come from a thread, so that the server's event loop (this test's) answers them."""
    client = Client(jp_http_port, jp_auth_header)

    def sweep():
        for method, pattern, operation in OPERATIONS:
            fuzz_operation(client, jp_base_url, method, pattern, operation)

    assert len(OPERATIONS) > 40  # the route table was read
    await asyncio.to_thread(sweep)
    # Bad input is the caller's mistake: logged in a line, never with a traceback.
    logged = [r.getMessage()[:200] for r in caplog.records if r.exc_info or r.exc_text]
    assert not logged, logged


# Serving -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bc(tmp_path_factory):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    store = model_store(tmp_path_factory.mktemp("fuzz-serving"), X, y)
    server = Server(store, "models:/bc@champion", "--max-body-mb", "1")
    server.columns = list(X.columns)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        store.close()


def scoring_payloads(columns):
    """Bodies in MLflow's formats with fuzzed values, and bodies in no format."""
    row = st.lists(json_values, min_size=len(columns), max_size=len(columns))
    split = st.builds(
        lambda data: {"dataframe_split": {"columns": columns, "data": data}},
        st.lists(row, min_size=1, max_size=3),
    )
    records = st.builds(
        lambda rows: {"dataframe_records": [dict(zip(columns, r, strict=True)) for r in rows]},
        st.lists(row, min_size=1, max_size=3),
    )
    other = st.builds(
        lambda key, value: {key: value},
        st.sampled_from(["instances", "inputs", "dataframe_split", "params", "x"]),
        json_values,
    )
    formats = st.one_of(split, records, other).map(lambda v: json.dumps(v).encode())
    return st.one_of(formats, garbage)


def test_serving_answers_no_5xx_to_any_body(bc):
    client = Client(bc.port)
    for body in HOSTILE_BODIES:
        for content_type in ("application/json", "text/csv", "application/vnd.apache.parquet"):
            client.check("POST", "/invocations", body, content_type)
    # Nulls in numeric columns, as JSON and as CSV: the caller's fault, a 400.
    null = {"dataframe_split": {"columns": bc.columns, "data": [[None] * len(bc.columns)]}}
    assert client.check("POST", "/invocations", json.dumps(null).encode()) == 400
    csv = ",".join(bc.columns) + "\n" + "," * (len(bc.columns) - 1)
    assert client.check("POST", "/invocations", csv.encode(), "text/csv") == 400
    # Past the server's --max-body-mb: a 413.
    assert client.check("POST", "/invocations", b"[" + b"0," * 2**20 + b"0]") == 413

    @settings(FUZZ, max_examples=100)
    @given(
        body=scoring_payloads(bc.columns),
        content_type=st.sampled_from(
            ["application/json", "text/csv", "application/json; charset=latin-1", "x/y"]
        ),
    )
    def generated(body, content_type):
        client.check("POST", "/invocations", body, content_type)

    generated()
