"""Run the Falcon app under gunicorn, with jieba loaded before the workers fork."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from .app import create_app
from .settings import Settings


class Server(BaseApplication):
    """A gunicorn application that serves `create_app(settings)`."""

    def __init__(self, settings: Settings, options: dict[str, Any] | None = None):
        self.settings = settings
        self.options = {
            "bind": settings.bind,
            "workers": settings.workers,
            "timeout": settings.timeout,
            # Sync workers: CPU-bound search ran at twice the throughput of gthread
            # on 2 cores (PITFALLS.md). Preload shares jieba's dictionary (~60 MB)
            # between workers; each worker opens the index lazily after the fork.
            "worker_class": "sync",
            "preload_app": True,
            "graceful_timeout": 10,
            "keepalive": 5,
            "limit_request_line": 8190,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            **(options or {}),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):  # noqa: ANN201 - gunicorn's interface
        return create_app(self.settings)


def serve(settings: Settings, **options: Any) -> None:
    """Serve until stopped (SIGINT/SIGTERM)."""
    Server(settings, options).run()
