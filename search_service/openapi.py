"""The OpenAPI 3 description of every route, served at /openapi.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from . import __version__

Q_SYNTAX = (
    "The query, at most 200 characters; empty for all notices, newest first. Matches title, "
    "body, department and author. Parts separated by spaces (ASCII or U+3000) must all match; "
    "any run of Chinese characters finds every notice that contains it. \"…\", “…” or ＂…＂: an "
    "exact phrase. -part: exclude (a hyphen inside a part is text). OR (capitals) between "
    "parts; ( ) group; title:, body:, department:, author: scope a part (any other name: is "
    "text). A query of exclusions only excludes from all notices. Anything that does not parse "
    "(unbalanced quotes or brackets) is text and never fails. The first 16 parts count (the "
    "rest is ignored); a part repeated within an AND or an OR counts once."
)


def _param(name: str, description: str, schema: dict[str, Any], *, where: str = "query",
           repeat: bool = False, required: bool = False) -> dict[str, Any]:
    if repeat:
        schema = {"type": "array", "items": schema}
    out: dict[str, Any] = {"name": name, "in": where, "description": description,
                           "required": required or where == "path", "schema": schema}
    if repeat:
        out.update(style="form", explode=True)
    return out


def _int(minimum: int, maximum: int, default: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "An invalid parameter; `description` says which and why."),
    "404": _json(_ref("Error"), "No such notice or route."),
    "503": _json(_ref("Error"), "No index has been built yet."),
}
NOTICE_ID = _param("notice_id", "The notice's id.", {"type": "string"}, where="path")
STRING = {"type": "string"}
NULLABLE = {"type": "string", "nullable": True}


def _object(properties: dict[str, Any], required: list[str] | None = None,
            extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": extra}


SCHEMAS: dict[str, Any] = {
    "Error": _object({"title": STRING, "description": STRING}),
    "Notice": _object({"id": STRING, "title": STRING, "date": {**NULLABLE, "format": "date"},
                       "department": NULLABLE, "author": NULLABLE, "url": NULLABLE,
                       "body": {"type": "string", "description": "Paragraphs separated by \\n."},
                       "doc_number": {**NULLABLE, "description":
                                      "Its own document number (发文字号) in the GB/T 9704 "
                                      "form, e.g. 国办发〔2017〕47号; null when it has none."},
                       "person": {"type": "array", "items": STRING,
                                  "description": "People it names (officials, spokespersons)."},
                       "cites": {"type": "array", "items": _ref("Citation")},
                       "cited_by": {"type": "array", "items": _ref("NoticeRef"),
                                    "description": "Indexed notices that cite it by number "
                                    "or by 《title》."},
                       "near_duplicates": {"type": "array", "items": _ref("NoticeRef"),
                                           "description": "Reposts of nearly the same text "
                                           "(SimHash), earliest first."},
                       "validity": {"type": "string", "enum": ["current", "superseded",
                                                               "repealed"]},
                       "validity_by": {"allOf": [_ref("NoticeRef")], "nullable": True,
                                       "description": "The newer version or the repealing "
                                       "notice; null when current."},
                       "versions": {"type": "array", "items": _ref("Version"),
                                    "description": "Every version of its title, newest "
                                    "first (itself included); empty when it has one."}},
                      required=["id", "title", "date", "department", "author", "url", "body"],
                      extra=True),
    "Citation": _object({
        "written": {"type": "string", "description": "As written in the body."},
        "number": {"type": "string", "description": "A cited document number, normalised."},
        "title": {"type": "string", "description": "A cited 《title》, normalised."},
        "id": {**NULLABLE, "description": "The cited notice when it is indexed (for a title: "
               "the version in force at the citing notice's date)."}},
        required=["written", "id"]),
    "NoticeRef": _object({"id": STRING, "title": STRING, "date": {**NULLABLE, "format": "date"}}),
    "Version": _object({"id": STRING, "date": {**NULLABLE, "format": "date"},
                        "validity": STRING}),
    "Hit": _object({
        "id": STRING, "title": STRING,
        "title_html": {"type": "string", "description": "Escaped title; matches in <em>."},
        "snippet_html": {"type": "string",
                         "description": "Escaped fragments of the body; matches in <em>."},
        "date": {**NULLABLE, "format": "date"}, "department": NULLABLE, "author": NULLABLE,
        "url": NULLABLE, "score": {"type": "number", "nullable": True,
                  "description": "Relevance; null when sorted by date."},
        "duplicates": {"type": "integer", "description": "With collapse=true: how many "
                       "near-duplicates of this notice among the hits it stands for."}},
        required=["id", "title", "title_html", "snippet_html", "date", "department",
                  "author", "url", "score"]),
    "FacetValue": _object({"value": STRING, "count": {"type": "integer"}}),
    "Facets": _object({name: {"type": "array", "items": _ref("FacetValue")}
                       for name in ("department", "author", "person", "validity", "year",
                                    "month")},
                      required=["department", "author", "year", "month"]),
    "SearchResponse": _object({
        "q": STRING, "page": {"type": "integer"}, "size": {"type": "integer"},
        "sort": {"type": "string", "enum": ["relevance", "newest", "oldest"]},
        "total": {"type": "integer"}, "took_ms": {"type": "number"},
        "hits": {"type": "array", "items": _ref("Hit")}, "facets": _ref("Facets"),
        "did_you_mean": {**NULLABLE, "description":
                         "A correction of q (pinyin, homophone typo) made only of indexed "
                         "words; null when none."},
        "corrected_from": {**NULLABLE, "description":
                           "Set to q when q found nothing and the hits are those of "
                           "did_you_mean instead; else null."}}),
    "Reasons": _object({
        "shared_terms": {"type": "array", "items": STRING,
                         "description": "Key terms of the notice that this one shares."},
        "same_department": {"type": "string",
                            "description": "Present when both come from this department."},
        "cites": {"type": "array", "items": STRING,
                  "description": "The notice cites this one, written so."},
        "cited_by": {"type": "boolean", "description": "This one cites the notice."},
        "days_apart": {"type": "integer", "description": "Days between the two dates."}},
        required=[], extra=True),
    "Related": _object({
        "id": STRING, "title": NULLABLE, "date": {**NULLABLE, "format": "date"},
        "department": NULLABLE, "score": {"type": "number"}, "reasons": _ref("Reasons"),
        "duplicates": {"type": "integer", "description": "Near-duplicates of this one that "
                       "it stands for."}},
        required=["id", "title", "date", "department", "score", "reasons"]),
    "RelatedResponse": _object({"id": STRING,
                                "related": {"type": "array", "items": _ref("Related")}}),
    "Suggestion": _object({"text": STRING, "count": {
        "type": "integer", "description": "How many notices searching for text finds."}}),
    "SuggestResponse": _object({"q": STRING,
                                "suggestions": {"type": "array", "items": _ref("Suggestion")}}),
    "Health": _object({"status": {"type": "string", "enum": ["ok"]},
                       "documents": {"type": "integer"}, "generation": STRING,
                       "cache": {"type": "object", "additionalProperties": True,
                                 "description": "This worker's result cache: size, capacity, "
                                 "hits, misses, hit_rate."}}),
}

SEARCH_PARAMS = [
    _param("q", Q_SYNTAX, {"type": "string", "maxLength": 200, "default": ""}),
    _param("department", "Only notices from these departments (OR-ed; a comma is part of "
           "a value).", STRING, repeat=True),
    _param("author", "Only notices by these authors (OR-ed; a comma is part of a value).",
           STRING, repeat=True),
    _param("year", "Only notices dated in these years, YYYY (OR-ed).",
           {"type": "string", "pattern": r"^\d{4}$"}, repeat=True),
    _param("month", "Only notices dated in these months, YYYY-MM (OR-ed).",
           {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}, repeat=True),
    _param("date_from", "First date, inclusive, YYYY-MM-DD; undated notices are outside "
           "every range.",
           {"type": "string", "format": "date"}),
    _param("date_to", "Last date, inclusive, YYYY-MM-DD.", {"type": "string", "format": "date"}),
    _param("doc_number", "Only the notices whose own document number is one of these, in "
           "any spelling (国办发[2017]47号, 国办发（2017）第047号 …; OR-ed).", STRING,
           repeat=True),
    _param("person", "Only notices naming one of these people (OR-ed).", STRING, repeat=True),
    _param("validity", "Only notices that are current, superseded (a newer version of the "
           "same title exists) or repealed (OR-ed).",
           {"type": "string", "enum": ["current", "superseded", "repealed"]}, repeat=True),
    _param("collapse", "true: one notice per group of near-duplicates (the earliest among "
           "the hits), with duplicates counting the others.",
           {"type": "boolean", "default": False}),
    _param("format", "json (default) or csv: every hit (up to 10,000) with its metadata, "
           "UTF-8 with a BOM, streamed; page and size are ignored.",
           {"type": "string", "enum": ["json", "csv"], "default": "json"}),
    _param("sort", "relevance (default with a query), newest (default without), oldest. "
           "Ties break by id; undated notices come last.",
           {"type": "string", "enum": ["relevance", "newest", "oldest"]}),
    _param("page", "Page from 1; page × size at most 10,000 (else 400).", _int(1, 10_000, 1)),
    _param("size", "Hits per page, 1–100.", _int(1, 100, 10)),
    _param("facet_size", "Values per facet, 1–500.", _int(1, 500, 50)),
]


@cache
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document (built once)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "search_service", "version": __version__,
                 "description": "Full-text search of Chinese government notices."},
        "paths": {
            "/search": {"get": {
                "operationId": "search",
                "summary": "Ranked, filtered, faceted and highlighted search.",
                "parameters": SEARCH_PARAMS,
                "responses": {"200": {
                    "description": "The hits and facets (format=csv: every hit as CSV).",
                    "content": {"application/json": {"schema": _ref("SearchResponse")},
                                "text/csv": {"schema": STRING}}},
                              "400": ERRORS["400"], "503": ERRORS["503"]}}},
            "/notices/{notice_id}": {"get": {
                "operationId": "getNotice", "summary": "One notice, every field.",
                "parameters": [NOTICE_ID],
                "responses": {"200": _json(_ref("Notice"), "The notice."),
                              "404": ERRORS["404"], "503": ERRORS["503"]}}},
            "/notices/{notice_id}/related": {"get": {
                "operationId": "relatedNotices",
                "summary": "Notices on the same matter, best first, never the notice itself.",
                "parameters": [NOTICE_ID, _param("size", "How many related notices at most.",
                                                 _int(1, 50, 10))],
                "responses": {"200": _json(_ref("RelatedResponse"), "Related notices."),
                              **ERRORS}}},
            "/suggest": {"get": {
                "operationId": "suggest",
                "summary": "Completions for a search box, ranked by notices found.",
                "parameters": [
                    _param("q", "What was typed so far, at most 50 characters; empty gives none.",
                           {"type": "string", "maxLength": 50, "default": ""}),
                    _param("size", "How many suggestions at most.", _int(1, 50, 10))],
                "responses": {"200": _json(_ref("SuggestResponse"), "Suggestions."),
                              "400": ERRORS["400"], "503": ERRORS["503"]}}},
            "/health": {"get": {
                "operationId": "health", "summary": "Liveness and the served generation.",
                "responses": {"200": _json(_ref("Health"), "Serving."),
                              "503": ERRORS["503"]}}},
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3 JSON.")}}},
            "/": {"get": {
                "operationId": "searchPage", "summary": "The search page for people.",
                "responses": {"200": {"description": "A self-contained HTML page.",
                                      "content": {"text/html": {"schema": STRING}}}}}},
        },
        "components": {"schemas": SCHEMAS},
    }
