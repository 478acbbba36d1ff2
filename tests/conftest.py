"""Shared fixtures: where the corpus and the bundled sample live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
CORPUS = Path(os.environ.get("SEARCH_SERVICE_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus (../shared/corpus); tests that need it skip without it."""
    if not (CORPUS / "notices.jsonl").exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def raw_dir(corpus_dir: Path) -> Path:
    """The 351 page files in the scrape and HTML formats."""
    return corpus_dir / "raw"

DATA = Path(__file__).resolve().parent / "data"
#: 38 real records: the sample notice, 16 press conferences with spokespersons,
#: 20 laws (2 undated) and one government work report in traditional characters.
SMALL = DATA / "notices.jsonl"


@pytest.fixture(scope="session", autouse=True)
def dictionaries() -> None:
    """Load jieba and the repository's dictionaries once for the whole session."""
    from search_service import analysis
    from search_service.settings import REPO_INDEX

    analysis.load_dictionaries(REPO_INDEX)


@pytest.fixture(scope="session")
def small_home(tmp_path_factory: pytest.TempPathFactory):
    """An index of tests/data/notices.jsonl, built once; tests must not change it."""
    from search_service.indexer import index_sources
    from search_service.store import IndexHome

    home = IndexHome(tmp_path_factory.mktemp("small") / "index")
    summary = index_sources(home, [SMALL])
    assert summary.added == 38 and summary.rejected == 0
    return home


@pytest.fixture(scope="session")
def small_searcher(small_home):
    """A searcher over the small index."""
    from search_service.searcher import NoticeSearcher

    return NoticeSearcher(small_home, reload_interval=0)


@pytest.fixture(scope="session")
def small_records() -> dict[str, dict]:
    """The small index's records by id, as in the corpus."""
    import json

    with open(SMALL, encoding="utf-8") as handle:
        return {r["id"]: r for r in map(json.loads, handle)}
