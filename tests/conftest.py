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
