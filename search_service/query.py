"""Turn the parsed search-box syntax into Whoosh queries.

Matching uses the bigram fields only, so a part matches exactly the notices
that contain it as a run of characters (after normalisation). Ranking adds
the jieba words of each part as optional terms, and boosts title matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq

from . import querylang
from .analysis import jieba_terms, ngram_terms
from .runquery import Run
from .schema import TEXT_FIELDS
from .synonyms import SynonymTable
from .textnorm import is_han, normalise

#: How much a match in each field counts. Character runs decide what matches; jieba
#: words of the body carry most of the ranking; the title's runs count twice the body's.
#: Title words are left out of ranking: on top of the title's runs they ranked notices
#: that merely name a query word in the title above the notice about it. Chosen with
#: bench/relevance.py's keyword pairs on the whole corpus and checked on a second,
#: held-out set of pairs (bench/RESULTS.md).
FIELD_BOOSTS = {"title": 0.5, "department": 0.25, "author": 0.25, "body": 0.25}
WORD_BOOSTS = {"body_words": 1.0}
#: Extra weight when the parts of a query occur side by side, in the order typed.
PROXIMITY_BOOST = 8.0


@dataclass
class Compiled:
    """A query ready for Whoosh, and the strings to highlight in results."""

    query: wq.Query | None  # None: every notice
    needles: list[str]


def compile_query(text: str, synonyms: SynonymTable | None = None) -> Compiled:
    """Parse and compile a search-box query; each part also matches its synonyms."""
    tree = querylang.parse(text)
    if tree is None:
        return Compiled(None, [])
    table = synonyms or SynonymTable()
    needles = []
    for part in querylang.positive_texts(tree):
        norm = normalise(part.text).strip()
        if norm:
            needles.append(norm)
            needles.extend(table.alternatives(norm))
    return Compiled(_with_proximity(tree, _compile(tree, table)), needles)


def _with_proximity(tree: querylang.Node, match: wq.Query) -> wq.Query:
    """Rank notices where the parts stand together (住房公积金 提取 → 住房公积金提取) higher."""
    if not isinstance(tree, querylang.And):
        return match
    parts = [n for n in tree.nodes if isinstance(n, querylang.Text) and n.field is None]
    if len(parts) < 2 or len(parts) != len(tree.nodes):
        return match
    terms = ngram_terms("".join(p.text for p in parts))
    if len(terms) < 2:
        return match
    together = [Run(field, terms, boost=FIELD_BOOSTS[field] * PROXIMITY_BOOST)
                for field in ("title", "body")]
    return wq.AndMaybe(match, wq.Or(together))


def _compile(node: querylang.Node, table: SynonymTable) -> wq.Query:
    if isinstance(node, querylang.Text):
        alternatives = [node] + [querylang.Text(alt, node.field, node.phrase)
                                 for alt in table.alternatives(node.text)]
        matches = [_match_part(part) for part in alternatives]
        return wq.Or(matches) if len(matches) > 1 else matches[0]
    if isinstance(node, querylang.Not):
        return wq.AndNot(wq.Every(), _compile(node.node, table))
    if isinstance(node, querylang.Or):
        return wq.Or([_compile(n, table) for n in node.nodes])
    positives = [_compile(n, table) for n in node.nodes if not isinstance(n, querylang.Not)]
    negatives = [_compile(n.node, table) for n in node.nodes if isinstance(n, querylang.Not)]
    positive: wq.Query = wq.And(positives) if positives else wq.Every()
    if negatives:
        return wq.AndNot(positive, wq.Or(negatives))
    return positive


def _match_part(part: querylang.Text) -> wq.Query:
    terms = ngram_terms(part.text)
    if not terms:
        return wq.NullQuery
    fields = (part.field,) if part.field else TEXT_FIELDS
    alternatives = [_in_field(field, terms) for field in fields]
    match = wq.Or(alternatives) if len(alternatives) > 1 else alternatives[0]
    words = [w for w in jieba_terms(part.text) if len(w) > 1 or not is_han(w)]
    scoped = {"title": "title_words", "body": "body_words"}
    word_fields = [scoped[part.field]] if part.field in scoped else (
        [] if part.field else list(WORD_BOOSTS))
    # A part scoped to the title (title:条例) ranks by the title's words.
    bonus = [wq.Term(f, w, boost=WORD_BOOSTS.get(f, 1.0)) for f in word_fields for w in words]
    return wq.AndMaybe(match, wq.Or(bonus)) if bonus else match


def _in_field(field: str, terms: list[str]) -> wq.Query:
    boost = FIELD_BOOSTS[field]
    if len(terms) > 1:
        return Run(field, terms, boost=boost)
    term = terms[0]
    if len(term) == 1 and is_han(term):
        # A lone ideograph is indexed only where it stands alone; elsewhere it
        # starts a bigram. (A bigram it ends is not found: documented limit.)
        return wq.Or([wq.Term(field, term, boost=boost), wq.Prefix(field, term, boost=boost)])
    return wq.Term(field, term, boost=boost)
