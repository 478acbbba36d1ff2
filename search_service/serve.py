"""Run the Falcon app under gunicorn, with jieba loaded before the workers fork."""

from __future__ import annotations

import threading
import time
from typing import Any

from gunicorn.app.base import BaseApplication

from .app import create_app, serving_searcher
from .errors import NoIndexError
from .settings import Settings

#: Seconds between a worker's heartbeats to the arbiter while it opens the index.
HEARTBEAT = 1.0


class Server(BaseApplication):
    """A gunicorn application that serves `create_app(settings)`."""

    def __init__(self, settings: Settings, options: dict[str, Any] | None = None):
        self.settings = settings
        self.searcher = serving_searcher(settings)
        self.options = {
            "bind": settings.bind,
            "workers": settings.workers,
            "timeout": settings.timeout,
            # Sync workers: CPU-bound search ran at twice the throughput of gthread
            # on 2 cores (PITFALLS.md). Preload shares jieba's dictionary (~60 MB)
            # between workers; each worker opens the index after the fork, before it
            # takes a request (open_index).
            "worker_class": "sync",
            "preload_app": True,
            "graceful_timeout": 10,
            "keepalive": 5,
            "limit_request_line": 8190,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "post_worker_init": self.open_index,
            **(options or {}),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):  # noqa: ANN201 - gunicorn's interface
        return create_app(self.settings, self.searcher)

    def open_index(self, worker) -> None:  # noqa: ANN001 - gunicorn's Worker
        """Open the served generation in a new worker before it takes a request.

        Opening takes 12-20 s at 66,730 notices. Inside the first request it counted
        against gunicorn's timeout, which kills a sync worker that does not report back
        in time, and the next worker would start over. Here the worker reports to the
        arbiter every second while a thread opens the index; requests wait meanwhile in
        the listening socket's queue.
        """
        started = time.monotonic()
        opened: list[str] = []

        def open_snapshot() -> None:
            try:
                snap = self.searcher.snapshot()
                opened.append(f"{snap.generation} ({len(snap.table)} notices)")
            except NoIndexError:
                pass  # nothing built yet: requests say so until an index is
            except Exception:  # the first request tries again and answers with the error
                worker.log.exception("could not open the index")

        opening = threading.Thread(target=open_snapshot, daemon=True)
        opening.start()
        while opening.is_alive() and worker.alive:
            worker.notify()
            opening.join(HEARTBEAT)
        if opened:
            worker.log.info("worker %s opened generation %s in %.1f s",
                            worker.pid, opened[0], time.monotonic() - started)


def serve(settings: Settings, **options: Any) -> None:
    """Serve until stopped (SIGINT/SIGTERM)."""
    Server(settings, options).run()
