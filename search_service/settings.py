"""One settings object, read from the environment once; every setting documented."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

#: The repository's index/ folder: the dictionaries that shape the index live there.
REPO_INDEX = Path(__file__).resolve().parent.parent / "index"


@dataclass(frozen=True)
class Setting:
    """A setting's environment variable, default and one-line help."""

    env: str
    default: str
    help: str


SETTINGS = (
    Setting("SEARCH_SERVICE_INDEX_DIR", "index/data",
            "Directory holding the index generations (relative to the working directory)."),
    Setting("SEARCH_SERVICE_DICT_DIR", str(REPO_INDEX),
            "Directory with userdict.txt and stopwords.txt, loaded at start."),
    Setting("SEARCH_SERVICE_BIND", "127.0.0.1:8000", "HOST:PORT that `serve` listens on."),
    Setting("SEARCH_SERVICE_WORKERS", "2", "gunicorn worker processes for `serve`."),
    Setting("SEARCH_SERVICE_TIMEOUT", "30", "Seconds before gunicorn restarts a stuck worker."),
    Setting("SEARCH_SERVICE_RELOAD_INTERVAL", "1.0",
            "Seconds between checks for a newly indexed or rebuilt generation."),
    Setting("SEARCH_SERVICE_CACHE_SIZE", "512",
            "Search responses each worker keeps for repeated queries (0: no cache)."),
    Setting("SEARCH_SERVICE_LOCK_TIMEOUT", "30",
            "Seconds an indexing run waits for another run's lock before giving up (exit 3)."),
    Setting("SEARCH_SERVICE_RJIEBA", "1",
            "1: cut runs of ideographs with rjieba (jieba's tokens, ~6x faster); 0: jieba only."),
    Setting("SEARCH_SERVICE_WARM", "0.5",
            "Share of available memory a worker reads the served index into when it opens "
            "it, so first searches do not wait for the disk; 0: none."),
)


@dataclass(frozen=True)
class Settings:
    """The service's configuration."""

    index_dir: Path
    dict_dir: Path
    bind: str
    workers: int
    timeout: int
    reload_interval: float
    cache_size: int
    lock_timeout: float
    rjieba: bool
    warm: float

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from the environment, then apply explicit overrides."""
        env = os.environ if environ is None else environ
        raw = {s.env: env.get(s.env) or s.default for s in SETTINGS}
        values: dict[str, object] = {
            "index_dir": Path(raw["SEARCH_SERVICE_INDEX_DIR"]),
            "dict_dir": Path(raw["SEARCH_SERVICE_DICT_DIR"]),
            "bind": raw["SEARCH_SERVICE_BIND"],
            "workers": int(raw["SEARCH_SERVICE_WORKERS"]),
            "timeout": int(raw["SEARCH_SERVICE_TIMEOUT"]),
            "reload_interval": float(raw["SEARCH_SERVICE_RELOAD_INTERVAL"]),
            "cache_size": int(raw["SEARCH_SERVICE_CACHE_SIZE"]),
            "lock_timeout": float(raw["SEARCH_SERVICE_LOCK_TIMEOUT"]),
            "rjieba": raw["SEARCH_SERVICE_RJIEBA"].strip() != "0",
            "warm": float(raw["SEARCH_SERVICE_WARM"]),
        }
        names = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if k in names and v is not None})
        return cls(**values)  # type: ignore[arg-type]
