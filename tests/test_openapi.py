"""/openapi.json describes every route and the shapes they answer; / serves the search page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from falcon import testing

from search_service.app import create_app
from search_service.openapi import openapi_document
from search_service.settings import Settings

ROUTES = {"/", "/search", "/notices/{notice_id}", "/notices/{notice_id}/related", "/suggest",
          "/health", "/openapi.json"}
REPEATABLE = {"department", "author", "year", "month"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app over an empty index directory (it builds fine without an index)."""
    return create_app(Settings.from_env(index_dir=tmp_path_factory.mktemp("empty") / "index"))


@pytest.fixture(scope="module")
def client(app) -> testing.TestClient:
    return testing.TestClient(app)


@pytest.fixture(scope="module")
def data_client(tmp_path_factory, small_searcher) -> testing.TestClient:
    """The app over the small index, to check real answers against the schemas."""
    settings = Settings.from_env(index_dir=tmp_path_factory.mktemp("unused") / "index")
    return testing.TestClient(create_app(settings, searcher=small_searcher))


def _registered(app) -> set[str]:
    """Every URI template added to the app's router."""
    found: set[str] = set()
    stack = list(app._router._roots)
    while stack:
        node = stack.pop()
        if node.resource is not None:
            found.add(node.uri_template)
        stack.extend(node.children)
    return found


def _refs(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _check(value: Any, schema: dict, schemas: dict, where: str = "$") -> None:
    """A small validator for the subset of OpenAPI schema the document uses."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    if value is None:
        assert schema.get("nullable"), f"{where} is null"
        return
    kind = schema.get("type")
    types = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
             "object": dict, "array": list}
    if kind:
        assert isinstance(value, types[kind]), f"{where}: {value!r} is not {kind}"
    if "enum" in schema:
        assert value in schema["enum"], where
    if kind == "object":
        for name in schema.get("required", []):
            assert name in value, f"{where} lacks {name}"
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(props), f"{where} has {set(value) - set(props)}"
        for name, sub in props.items():
            if name in value:
                _check(value[name], sub, schemas, f"{where}.{name}")
    if kind == "array":
        for n, item in enumerate(value):
            _check(item, schema["items"], schemas, f"{where}[{n}]")


def _response_schema(path: str, status: str = "200") -> dict:
    response = openapi_document()["paths"][path]["get"]["responses"][status]
    return response["content"]["application/json"]["schema"]


def test_the_document_is_openapi_3_and_json() -> None:
    doc = openapi_document()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    assert openapi_document() is doc  # built once


def test_every_registered_route_is_described(app) -> None:
    registered = _registered(app)
    assert registered == ROUTES
    assert set(openapi_document()["paths"]) == registered


def test_operations_parameters_and_refs() -> None:
    doc = openapi_document()
    schemas = doc["components"]["schemas"]
    for name in ("Hit", "Facets", "FacetValue", "SearchResponse", "Notice", "RelatedResponse",
                 "SuggestResponse", "Health", "Error"):
        assert name in schemas
    for path, item in doc["paths"].items():
        operation = item["get"]
        assert operation["summary"] and operation["responses"]["200"]["description"]
        params = operation.get("parameters", [])
        names = [(p["name"], p["in"]) for p in params]
        assert len(names) == len(set(names)), path
        assert {n for n, where in names if where == "path"} == set(re.findall(r"{(\w+)}", path))
        for param in params:
            assert param["description"].strip(), (path, param["name"])
            assert param["in"] in ("query", "path") and "type" in param["schema"]
            if param["in"] == "path":
                assert param["required"] is True
            if param["schema"]["type"] == "integer":
                assert {"minimum", "maximum", "default"} <= set(param["schema"])
            if param["name"] in REPEATABLE:
                assert param["schema"]["type"] == "array"
                assert param["style"] == "form" and param["explode"] is True
        for status, response in operation["responses"].items():
            assert response["description"]
            if status in ("400", "404", "503"):
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref


def test_the_search_parameters_carry_their_bounds() -> None:
    params = {p["name"]: p for p in openapi_document()["paths"]["/search"]["get"]["parameters"]}
    assert set(params) == {"q", "department", "author", "year", "month", "date_from", "date_to",
                           "sort", "page", "size", "facet_size", "doc_number", "person",
                           "validity", "collapse", "format"}
    assert params["validity"]["schema"]["items"]["enum"] == ["current", "superseded", "repealed"]
    assert params["format"]["schema"]["enum"] == ["json", "csv"]
    assert params["q"]["schema"]["maxLength"] == 200
    for word in ("OR", "“", "＂", "-", "(", "title:", "body:", "department:", "author:"):
        assert word in params["q"]["description"], word
    bounds = {name: (params[name]["schema"]["minimum"], params[name]["schema"]["maximum"])
              for name in ("page", "size", "facet_size")}
    assert bounds == {"page": (1, 10_000), "size": (1, 100), "facet_size": (1, 500)}
    assert params["sort"]["schema"]["enum"] == ["relevance", "newest", "oldest"]


def test_the_document_is_served(client) -> None:
    resp = client.simulate_get("/openapi.json")
    assert resp.status_code == 200 and resp.json == openapi_document()


def test_errors_match_the_error_schema(client) -> None:
    schemas = openapi_document()["components"]["schemas"]
    for path in ("/search?size=0", "/health", "/nowhere"):
        resp = client.simulate_get(path.split("?")[0], query_string=path.partition("?")[2])
        assert resp.status_code in (400, 404, 503), path
        _check(resp.json, schemas["Error"], schemas)


def test_real_answers_match_the_schemas(data_client, small_records) -> None:
    schemas = openapi_document()["components"]["schemas"]
    notice_id = sorted(small_records)[0]
    answers = {}
    for path, query, doc_path in [
        ("/search", "q=法律", "/search"),
        ("/search", "sort=oldest&department=x,y&year=2020", "/search"),
        ("/suggest", "q=法", "/suggest"),
        (f"/notices/{notice_id}", "", "/notices/{notice_id}"),
        (f"/notices/{notice_id}/related", "size=5", "/notices/{notice_id}/related"),
        ("/health", "", "/health"),
    ]:
        resp = data_client.simulate_get(path, query_string=query)
        assert resp.status_code == 200, (path, resp.text)
        _check(resp.json, _response_schema(doc_path), schemas, path)
        answers[path, query] = resp.json
    assert answers["/search", "q=法律"]["hits"]
    assert answers[f"/notices/{notice_id}/related", "size=5"]["related"]


def test_the_search_page_is_served(client) -> None:
    resp = client.simulate_get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    assert "<form" in page and "/search?" in page and "/suggest?" in page
    assert "<datalist" in page and "按相关度" in page
    # Self-contained: no external scripts, styles or fonts.
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)
