"""/openapi.json describes every route; / serves the search page."""

from __future__ import annotations

import json

import pytest
from falcon import testing

from search_service.app import create_app
from search_service.openapi import openapi_document
from search_service.settings import Settings

ROUTES = ["/", "/search", "/notices/{notice_id}", "/notices/{notice_id}/related", "/suggest",
          "/health", "/openapi.json"]


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> testing.TestClient:
    index_dir = tmp_path_factory.mktemp("empty") / "index"
    return testing.TestClient(create_app(Settings.from_env(index_dir=index_dir)))


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_route_is_described(client) -> None:
    doc = openapi_document()
    assert doc["openapi"].startswith("3.")
    assert sorted(doc["paths"]) == sorted(ROUTES)
    # Every route the app answers is one the document lists (no 404 for any of them).
    for route in ROUTES:
        path = route.replace("{notice_id}", "x")
        assert client.simulate_get(path).status_code != 404 or "notices" in path


def test_every_parameter_has_a_description_and_every_ref_resolves() -> None:
    doc = openapi_document()
    for path, item in doc["paths"].items():
        for param in item["get"].get("parameters", []):
            assert param["description"].strip(), (path, param["name"])
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas
    json.dumps(doc)


def test_the_document_is_served(client) -> None:
    resp = client.simulate_get("/openapi.json")
    assert resp.status_code == 200 and resp.json == openapi_document()


def test_the_search_page_is_served(client) -> None:
    resp = client.simulate_get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert '<form id="form"' in resp.text and "/search?" in resp.text
