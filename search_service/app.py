"""The Falcon application: HTTP resources over the searcher, and nothing else.

`create_app(settings)` is the factory; `get_app()` is the zero-argument entry
point for gunicorn (``gunicorn 'search_service.app:get_app()'``).
"""

from __future__ import annotations

import logging
import re
from importlib import resources

import falcon
import orjson

from . import analysis, export
from .errors import InvalidQueryError, NoIndexError, NotFoundError
from .openapi import openapi_document
from .searcher import NoticeSearcher, SearchRequest
from .settings import Settings
from .store import IndexHome
from .synonyms import SynonymWatcher

log = logging.getLogger(__name__)

_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
#: Descriptions for the errors Falcon raises without one.
_DEFAULT_DESCRIPTIONS = {
    404: "There is no resource at this path; see /openapi.json for the routes.",
    405: "This route does not support that method; see /openapi.json.",
}


def _matching(req: falcon.Request, name: str, pattern: re.Pattern[str], shape: str) -> tuple:
    values = tuple(v.strip() for v in req.get_param_as_list(name) or ())
    for value in values:
        if not pattern.fullmatch(value):
            raise falcon.HTTPInvalidParam(f"expected {shape}, got {value!r}", name)
    return values


def _date(req: falcon.Request, name: str) -> str | None:
    value = req.get_param_as_date(name, format_string="%Y-%m-%d")
    return value.isoformat() if value else None


class SearchResource:
    """GET /search: ranked, filtered, faceted and highlighted hits."""

    def __init__(self, searcher: NoticeSearcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = SearchRequest(
            q=req.get_param("q") or "",
            departments=tuple(req.get_param_as_list("department") or ()),
            authors=tuple(req.get_param_as_list("author") or ()),
            years=_matching(req, "year", _YEAR, "a year as YYYY"),
            months=_matching(req, "month", _MONTH, "a month as YYYY-MM"),
            date_from=_date(req, "date_from"),
            date_to=_date(req, "date_to"),
            doc_numbers=tuple(req.get_param_as_list("doc_number") or ()),
            persons=tuple(req.get_param_as_list("person") or ()),
            validity=tuple(req.get_param_as_list("validity") or ()),
            collapse=req.get_param_as_bool("collapse") or False,
            sort=req.get_param("sort"),
            page=req.get_param_as_int("page", min_value=1, max_value=10_000) or 1,
            size=req.get_param_as_int("size", min_value=1, max_value=100) or 10,
            facet_size=req.get_param_as_int("facet_size", min_value=1, max_value=500) or 50,
        )
        output = req.get_param("format") or "json"
        if output == "csv":
            rows = self.searcher.export(request)  # matched here: errors are still 4xx
            resp.content_type = "text/csv; charset=utf-8"
            resp.downloadable_as = "search.csv"
            resp.stream = export.csv_chunks(rows)
        elif output == "json":
            resp.media = self.searcher.search(request)
        else:
            raise falcon.HTTPInvalidParam("expected json or csv", "format")


class NoticeResource:
    """GET /notices/{id}: one notice, every field."""

    def __init__(self, searcher: NoticeSearcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response, notice_id: str) -> None:
        resp.media = self.searcher.notice(notice_id)


class RelatedResource:
    """GET /notices/{id}/related: notices on the same matter."""

    def __init__(self, searcher: NoticeSearcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response, notice_id: str) -> None:
        size = req.get_param_as_int("size", min_value=1, max_value=50) or 10
        resp.media = self.searcher.related(notice_id, size)


class SuggestResource:
    """GET /suggest: completions for a partly typed query."""

    def __init__(self, searcher: NoticeSearcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        q = req.get_param("q") or ""
        if len(q) > 50:
            raise falcon.HTTPInvalidParam("at most 50 characters", "q")
        size = req.get_param_as_int("size", min_value=1, max_value=50) or 10
        resp.media = self.searcher.suggest(q, size)


class HealthResource:
    """GET /health: liveness and the served generation."""

    def __init__(self, searcher: NoticeSearcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        # Not stats(): that walks every document, and load balancers probe often.
        snap = self.searcher.snapshot()
        resp.media = {"status": "ok", "documents": len(snap.table),
                      "generation": snap.generation, "cache": self.searcher.cache.stats()}


class OpenAPIResource:
    """GET /openapi.json: the OpenAPI 3 description of every route."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = openapi_document()


class PageResource:
    """GET /: the search page for people."""

    def __init__(self) -> None:
        self.page = resources.files("search_service").joinpath("static/index.html").read_bytes()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.data = self.page


def _error_serializer(req: falcon.Request, resp: falcon.Response,
                      exc: falcon.HTTPError) -> None:
    body = exc.to_dict()
    if not body.get("description"):
        body["description"] = _DEFAULT_DESCRIPTIONS.get(
            exc.status_code, f"The request failed with {exc.status}.")
    resp.content_type = falcon.MEDIA_JSON
    resp.data = orjson.dumps(body)


def _domain_error(req: falcon.Request, resp: falcon.Response, exc: Exception,
                  params: dict) -> None:
    if isinstance(exc, InvalidQueryError):
        raise falcon.HTTPBadRequest(title="Invalid query", description=str(exc))
    if isinstance(exc, NotFoundError):
        raise falcon.HTTPNotFound(title="Not found", description=str(exc))
    raise falcon.HTTPServiceUnavailable(
        title="No index", description=f"{exc}. Build one with `search-service index SOURCE`.")


def _unexpected(req: falcon.Request, resp: falcon.Response, exc: Exception,
                params: dict) -> None:
    if isinstance(exc, falcon.HTTPError):
        raise exc
    log.exception("unexpected error on %s %s", req.method, req.relative_uri)
    raise falcon.HTTPInternalServerError(
        title="Internal error", description="The service failed; the error has been logged.")


def serving_searcher(settings: Settings) -> NoticeSearcher:
    """The searcher a served app answers from: generations opened in the background."""
    return NoticeSearcher(
        IndexHome(settings.index_dir), settings.reload_interval, background=True,
        synonyms=SynonymWatcher(settings.dict_dir / "synonyms.txt", settings.reload_interval),
        cache_size=settings.cache_size, warm=settings.warm)


def create_app(settings: Settings | None = None,
               searcher: NoticeSearcher | None = None) -> falcon.App:
    """Build the WSGI app; loads jieba's dictionaries now (before any fork)."""
    settings = settings or Settings.from_env()
    analysis.load_dictionaries(settings.dict_dir, rjieba=settings.rjieba)
    if searcher is None:
        searcher = serving_searcher(settings)
    app = falcon.App()
    json_handler = falcon.media.JSONHandler(dumps=orjson.dumps, loads=orjson.loads)
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.req_options.strip_url_path_trailing_slash = True
    # A search form submits empty fields (department=&sort=): treat them as absent.
    app.req_options.keep_blank_qs_values = False
    app.add_route("/", PageResource())
    app.add_route("/search", SearchResource(searcher))
    app.add_route("/notices/{notice_id}", NoticeResource(searcher))
    app.add_route("/notices/{notice_id}/related", RelatedResource(searcher))
    app.add_route("/suggest", SuggestResource(searcher))
    app.add_route("/health", HealthResource(searcher))
    app.add_route("/openapi.json", OpenAPIResource())
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(InvalidQueryError, _domain_error)
    app.add_error_handler(NotFoundError, _domain_error)
    app.add_error_handler(NoIndexError, _domain_error)
    app.set_error_serializer(_error_serializer)
    return app


def get_app() -> falcon.App:
    """Zero-argument entry point for gunicorn."""
    return create_app()
