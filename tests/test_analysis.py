"""The analyzers on real sentences: Whoosh's tokenizer contract, offsets, modes."""

from __future__ import annotations

import pytest
from whoosh import fields, highlight
from whoosh.filedb.filestore import RamStorage
from whoosh.query import Phrase

from search_service.analysis import JiebaTokenizer, NgramTokenizer, jieba_terms, ngram_terms

# The sample notice's first sentence, as scraped (ASCII commas).
SAMPLE = "根据省委部署,8月14日,省委巡视工作领导小组召开十三届省委第五轮巡视集中反馈会议"
# A sentence from the sample body with a name jieba has never seen.
NAME = "8月16日,省委第九巡视组组长赵凤民分别向开发区党工委书记赵东及领导班子成员反馈巡视情况"


@pytest.mark.parametrize("tokenizer", [JiebaTokenizer(), NgramTokenizer()])
@pytest.mark.parametrize("mode", ["index", "query"])
def test_offsets_point_at_the_token_in_the_original_text(tokenizer, mode) -> None:
    # Full-width and NBSP variants are folded for matching, yet every offset
    # still points at the original characters.
    text = "ＣＯＶＩＤ－１９\u00a0" + SAMPLE.replace(",", "，")
    for token in tokenizer(text, positions=True, chars=True, mode=mode):
        original = text[token.startchar:token.endchar]
        assert len(original) == len(token.text)
        assert original.lower().replace("，", ",") == token.text or (
            token.text.isascii() and token.text != original)


def test_positions_are_sequential_for_bigrams() -> None:
    tokens = [(t.text, t.pos) for t in NgramTokenizer()("省委第九巡视组", positions=True)]
    assert tokens == [("省委", 0), ("委第", 1), ("第九", 2), ("九巡", 3), ("巡视", 4), ("视组", 5)]


def test_bigrams_keep_punctuation_and_split_words() -> None:
    assert ngram_terms("构成犯罪的，依法追究") == [
        "构成", "成犯", "犯罪", "罪的", ",", "依法", "法追", "追究"]
    assert ngram_terms("2024年8月20日 COVID-19") == [
        "2024", "年", "8", "月", "20", "日", "covid", "-", "19"]


def test_index_mode_adds_search_mode_subwords_at_the_same_position() -> None:
    tokens = [(t.text, t.pos) for t in JiebaTokenizer()(
        "长兴岛经济技术开发区", positions=True, mode="index")]
    assert tokens == [("长兴", 0), ("长兴岛", 0), ("经济", 1), ("技术", 1), ("开发", 1),
                      ("开发区", 1), ("经济技术开发区", 1)]
    assert jieba_terms("长兴岛经济技术开发区", mode="query") == ["长兴岛", "经济技术开发区"]


def test_user_dictionary_and_stopwords_are_loaded() -> None:
    # index/userdict.txt has 巡视整改 and 党群工作部; index/stopwords.txt has 的.
    assert jieba_terms("推动巡视整改的工作") == ["推动", "巡视整改", "工作"]
    assert "党群工作部" in jieba_terms("党群工作部")


def test_unseen_name_is_found_by_bigrams_not_by_words() -> None:
    # jieba cuts 赵凤民 apart; the bigram 凤民 is in the index all the same.
    assert "凤民" not in jieba_terms(NAME, mode="index")
    assert "凤民" in ngram_terms(NAME)


def test_whoosh_phrases_and_highlights_work_with_the_jieba_analyzer() -> None:
    # The tokenizer contract end to end in Whoosh: a phrase query over jieba
    # positions matches, and the highlighter's offsets land on the words.
    schema = fields.Schema(body=fields.TEXT(analyzer=JiebaTokenizer(), stored=True,
                                            chars=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        writer.add_document(body=SAMPLE)
    with ix.searcher() as searcher:
        hits = searcher.search(Phrase("body", ["巡视", "工作", "领导"]), terms=True)
        assert len(hits) == 1
        hits.fragmenter = highlight.WholeFragmenter()
        hits.formatter = highlight.HtmlFormatter(tagname="em", classname="", termclass="")
        # Whoosh marks the offsets it was given: the three words as one span.
        assert hits[0].highlights("body") == (
            '根据省委部署,8月14日,省委<em class=" 0">巡视工作领导</em>小组召开十三届省委'
            '第五轮<em class=" 1">巡视</em>集中反馈会议')
        assert searcher.search(Phrase("body", ["工作", "巡视"])).scored_length() == 0


@pytest.mark.parametrize("field", ["title", "body", "department", "title_words", "body_words"])
@pytest.mark.parametrize("text", [
    SAMPLE,  # bigrams with punctuation; jieba words with search-mode sub-words
    NAME + NAME,  # every term twice: positions and frequencies add up
    "ＣＯＶＩＤ－１９\u00a0的 和 了",  # folded variants, spaces and stopwords
    "增长36.5%，同比20-21年",  # runs jieba keeps whole
    "",  # no terms at all
])
def test_the_fast_indexing_path_gives_whooshs_postings(field: str, text: str) -> None:
    # AnalysedText builds {term: positions} directly; Whoosh's own TEXT.index goes
    # through a Token per occurrence. Both must yield the very same postings.
    from search_service.schema import build_schema

    fieldobj = build_schema()[field]
    assert sorted(fieldobj.index(text)) == sorted(fields.TEXT.index(fieldobj, text))


@pytest.mark.parametrize("field", ["body", "body_words"])
def test_the_fast_indexing_path_gives_whooshs_postings_on_real_notices(field: str) -> None:
    # The 38 real records of tests/data: long bodies, traditional characters, NBSPs.
    import json

    from search_service.schema import build_schema

    from .conftest import SMALL

    fieldobj = build_schema()[field]
    with open(SMALL, encoding="utf-8") as handle:
        for record in map(json.loads, handle):
            for text in (record["title"], record["body"]):
                assert sorted(fieldobj.index(text)) == sorted(
                    fields.TEXT.index(fieldobj, text)), record["id"]
