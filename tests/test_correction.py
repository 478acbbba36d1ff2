"""Pinyin and homophone correction and pinyin completion over the small real index."""

from __future__ import annotations

from itertools import product

import pytest
from pypinyin import Style, pinyin

from search_service.analysis import jieba_terms
from search_service.correction import Corrector, is_pinyin, readings, syllables


@pytest.fixture(scope="module")
def reader(small_searcher):
    """The small index's reader."""
    return small_searcher.snapshot().searcher.reader()


@pytest.fixture(scope="module")
def corrector(reader) -> Corrector:
    """A corrector over the small index's jieba words."""
    return Corrector.from_reader(reader)


def indexed(reader, word: str) -> bool:
    """Return True when a jieba word field of the index holds the word."""
    return any(reader.doc_frequency(f, word) for f in ("title_words", "body_words"))


def toneless(word: str) -> set[str]:
    """Return every toneless pinyin spelling of a word, all heteronyms included."""
    return {"".join(r) for r in product(*pinyin(word, style=Style.NORMAL, heteronym=True))}


@pytest.mark.parametrize("query", [
    "xunshizhenggai", "xun shi zheng gai", "xunshi zhenggai", "XunShi'ZhengGai",
    "ｘｕｎｓｈｉｚｈｅｎｇｇａｉ",  # full-width, as Chinese IMEs type Latin letters
])
def test_pinyin_becomes_the_indexed_words(corrector, query):
    assert corrector.correct(query) == "巡视整改"


def test_pinyin_groups_keep_their_space_between_words(corrector):
    assert corrector.correct("waijiaobu fayanren") == "外交部发言人"
    assert corrector.correct("xunshi covid") == "巡视 covid"


@pytest.mark.parametrize("query", ["巡视整该", "寻视整改", "巡视正改"])
def test_homophone_typo_is_corrected(corrector, query):
    assert corrector.correct(query) == "巡视整改"


def test_homophone_correction_leaves_latin_digits_and_other_words(corrector):
    assert corrector.correct("巡视整该 2023 ABC") == "巡视整改 2023 ABC"
    assert corrector.correct("外交部发言人巡视整该") == "外交部发言人巡视整改"


@pytest.mark.parametrize("query", ["巡视整改", "外交部发言人", "外交部 发言人",
                                   "关于进一步加强巡视整改工作的意见", "国务院关于印发的通知"])
def test_valid_text_is_not_corrected(corrector, query):
    assert corrector.correct(query) is None


@pytest.mark.parametrize("query", ["covid", "qwrtp", "", "   ", "2023", "covid 19"])
def test_latin_that_is_not_pinyin_is_not_corrected(corrector, query):
    assert corrector.correct(query) is None


def test_corrections_only_produce_indexed_words(corrector, reader):
    for query in ["xunshizhenggai", "xun shi zheng gai", "巡视整该", "寻视整改",
                  "waijiaobu fayanren", "zhonghua renmin gongheguo", "fayanren"]:
        corrected = corrector.correct(query)
        assert corrected, query
        words = jieba_terms(corrected)
        assert words, query
        assert all(indexed(reader, w) for w in words), (query, corrected, words)


def test_initials_complete(corrector):
    assert corrector.complete("xszg")[0] == ("巡视整改", 1)
    assert corrector.complete("fyr")[0] == ("发言人", 16)


def test_full_pinyin_prefix_completes(corrector):
    found = corrector.complete("xunshi")
    assert ("巡视", 1) in found
    assert [w for w, _ in found] == ["巡视", "巡视整改", "巡视组"]
    assert all(any(p.startswith("xunshi") for p in toneless(w)) for w, _ in found)


def test_completion_is_ranked_limited_and_indexed(corrector, reader):
    found = corrector.complete("zh", limit=5)
    assert len(found) == 5
    assert [df for _, df in found] == sorted((df for _, df in found), reverse=True)
    assert all(indexed(reader, w) for w, _ in found)
    assert corrector.complete("zh", limit=0) == []


@pytest.mark.parametrize("prefix", ["巡视", "巡", "", "  ", "2023", "xun视"])
def test_completion_is_latin_only(corrector, prefix):
    assert corrector.complete(prefix) == []


def test_vocabulary_respects_min_df_and_max_words(reader, corrector):
    frequent = Corrector.from_reader(reader, min_df=2)
    assert 0 < len(frequent) < len(corrector)
    assert frequent.correct("xunshizhenggai") is None  # 巡视整改 is in one notice only
    assert frequent.complete("fyr")[0] == ("发言人", 16)
    assert len(Corrector.from_reader(reader, max_words=50)) == 50


def test_vocabulary_without_an_index():
    corrector = Corrector({"巡视整改": 3, "巡视": 2, "整改": 5})
    assert corrector.correct("xunshizhenggai") == "巡视整改"
    assert corrector.correct("巡视整该") == "巡视整改"
    assert corrector.complete("xs") == [("巡视整改", 3), ("巡视", 2)]


def test_readings_are_toneless_and_include_heteronyms():
    assert readings("巡视整改")[0] == ("xun", "shi", "zheng", "gai")  # the usual one first
    assert ("yan", "shi", "zheng", "gai") in readings("巡视整改")  # 巡 is also read yán
    assert ("hang", "zhang") in readings("行长")
    assert len(readings("长长长长")) <= 4
    assert {"zhong", "zhuang", "lv", "er"} <= syllables()
    assert is_pinyin("xunshizhenggai") and not is_pinyin("covid")
