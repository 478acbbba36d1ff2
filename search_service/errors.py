"""The service's domain exceptions; they become HTTP errors only in app.py."""


class SearchServiceError(Exception):
    """Base class of every error this package raises on purpose."""


class NoIndexError(SearchServiceError):
    """No index has been built in the index directory yet."""


class InvalidQueryError(SearchServiceError):
    """A search request that cannot be answered as asked (too long, bad page...)."""


class NotFoundError(SearchServiceError):
    """A notice id that is not in the index."""


class IndexBusyError(SearchServiceError):
    """Another indexing run holds the index lock past the wait."""


class SourceError(SearchServiceError):
    """A source file or record that cannot be read as a notice."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
