"""The result cache: LRU, per generation, never stale after a change."""

from __future__ import annotations

import json

from search_service.cache import ResultCache
from search_service.indexer import index_sources
from search_service.searcher import NoticeSearcher, SearchRequest
from search_service.store import IndexHome


def test_lru_and_generation_drop() -> None:
    cache = ResultCache(capacity=2)
    assert cache.get("g1", "a") is None
    cache.put("g1", "a", 1)
    cache.put("g1", "b", 2)
    assert cache.get("g1", "a") == 1
    cache.put("g1", "c", 3)  # evicts b, the least recently used
    assert (cache.get("g1", "b"), cache.get("g1", "c")) == (None, 3)
    assert cache.get("g2", "a") is None  # a new generation starts empty
    cache.put("g1", "x", 9)  # a late answer for an old generation is not kept
    assert cache.get("g2", "x") is None
    assert cache.stats() == {"size": 0, "capacity": 2, "hits": 2, "misses": 4,
                             "hit_rate": round(2 / 6, 4)}


def test_a_new_commit_is_never_answered_from_the_cache(tmp_path, small_records) -> None:
    records = [small_records[i] for i in sorted(small_records)[:3]]
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[:2]),
                      encoding="utf-8")
    home = IndexHome(tmp_path / "index")
    index_sources(home, [source])
    searcher = NoticeSearcher(home, reload_interval=0, cache_size=16)
    request = SearchRequest(size=10)
    assert searcher.search(request)["total"] == 2
    assert searcher.search(request)["total"] == 2
    assert (searcher.cache.hits, searcher.cache.misses) == (1, 1)
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                      encoding="utf-8")
    index_sources(home, [source])
    assert searcher.search(request)["total"] == 3
