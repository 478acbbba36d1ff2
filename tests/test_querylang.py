"""Tests for the search box's query syntax (search_service.querylang)."""

from __future__ import annotations

import random

import pytest

from search_service.querylang import (
    MAX_PARTS,
    And,
    Node,
    Not,
    Or,
    Text,
    parse,
    positive_texts,
)


def t(text: str, field: str | None = None) -> Text:
    """Return a plain word part."""
    return Text(text, field, False)


def ph(text: str, field: str | None = None) -> Text:
    """Return a quoted phrase part."""
    return Text(text, field, True)


CASES: list[tuple[str, Node | None]] = [
    # A plain run of Chinese characters is one part.
    ("巡视整改", t("巡视整改")),
    # Parts separated by an ASCII space must all match.
    ("巡视 整改", And((t("巡视"), t("整改")))),
    # U+3000 ideographic space, tab and NBSP separate parts too.
    ("巡视\u3000整改\t通知\u00a0公告",
     And((t("巡视"), t("整改"), t("通知"), t("公告")))),
    # Phrase in ASCII quotes.
    ('"巡视整改"', ph("巡视整改")),
    # Phrase in curly quotes.
    ("“巡视整改”", ph("巡视整改")),
    # Phrase in full-width quotes.
    ("＂巡视整改＂", ph("巡视整改")),
    # Opening and closing quotes may differ.
    ('"巡视整改”', ph("巡视整改")),
    # Spaces inside a phrase are part of its text.
    ('"党群 工作部" 通知', And((ph("党群 工作部"), t("通知")))),
    # A leading hyphen excludes the part.
    ("巡视 -整改", And((t("巡视"), Not(t("整改"))))),
    # A hyphen inside a part is text.
    ("2024-08-20", t("2024-08-20")),
    ("COVID-19", t("COVID-19")),
    # Document numbers with 〔〕 stay one text part.
    ("国办发〔2017〕47号", t("国办发〔2017〕47号")),
    # Full-width parentheses never group.
    ("国办发（2017）47号", t("国办发（2017）47号")),
    ("（2017）", t("（2017）")),
    # OR in capitals between two parts.
    ("a OR b", Or((t("a"), t("b")))),
    # OR binds tighter than the implicit AND.
    ("a OR b c", And((Or((t("a"), t("b"))), t("c")))),
    ("a b OR c", And((t("a"), Or((t("b"), t("c")))))),
    # Chained ORs make one Or.
    ("a OR b OR c", Or((t("a"), t("b"), t("c")))),
    # Lower-case or is text.
    ("a or b", And((t("a"), t("or"), t("b")))),
    # A group with an exclusion after it.
    ("(a OR b) -c", And((Or((t("a"), t("b"))), Not(t("c"))))),
    # Nested groups; the inner And is kept under the Or.
    ("(a OR (b c)) d", And((Or((t("a"), And((t("b"), t("c"))))), t("d")))),
    # Redundant nesting flattens away.
    ("((a b)) c", And((t("a"), t("b"), t("c")))),
    # Excluding a group and a phrase.
    ('-(a b) -"c d"', And((Not(And((t("a"), t("b")))), Not(ph("c d"))))),
    # Field scope on a word.
    ("title:巡视", t("巡视", "title")),
    # Field names are case-insensitive; the full-width colon works.
    ("TITLE：巡视", t("巡视", "title")),
    ("Author:韩雨", t("韩雨", "author")),
    # Field scope on a phrase with a space.
    ('department:"党群 工作部"', ph("党群 工作部", "department")),
    # Field scope on a group scopes every part in it.
    ("title:(a b)", And((t("a", "title"), t("b", "title")))),
    # An explicit field inside the group wins.
    ("title:(a body:b)", And((t("a", "title"), t("b", "body")))),
    # Excluding a scoped part.
    ("-title:x", Not(t("x", "title"))),
    # Other names before a colon are text.
    ("时间:2024", t("时间:2024")),
    ("http://x.cn", t("http://x.cn")),
    # A field name with nothing after it is text.
    ("title:", t("title:")),
    ("巡视 title: 整改", And((t("巡视"), t("title:"), t("整改")))),
    # An unbalanced quote is dropped; the rest is words.
    ('"巡视', t("巡视")),
    ('"巡视 整改', And((t("巡视"), t("整改")))),
    # A quote inside a word is text.
    ('a"b', t('a"b')),
    # An unmatched opening bracket is ignored.
    ("(巡视", t("巡视")),
    ("x OR (a b", And((Or((t("x"), t("a"))), t("b")))),
    # An unmatched closing bracket is ignored.
    ("巡视)", t("巡视")),
    (") 巡视 )", t("巡视")),
    # Brackets inside a word are text, including its own closing one.
    ("f(x)", t("f(x)")),
    ("(f(x) y)", And((t("f(x)"), t("y")))),
    # OR alone, at the start, at the end or doubled is ignored.
    ("OR", None),
    ("OR a", t("a")),
    ("a OR", t("a")),
    ("a OR OR b", Or((t("a"), t("b")))),
    # A lone hyphen is dropped.
    ("-", None),
    ("巡视 -", t("巡视")),
    # A double hyphen does not exclude: the part is text.
    ("--x", t("--x")),
    # Double exclusion through a group cancels out.
    ("-(-a)", t("a")),
    # Empty and whitespace-only queries have nothing to match.
    ("", None),
    ("   \u3000\t ", None),
    ('"" ()', None),
    # An operator left with nothing to act on is dropped with it.
    ('-"" b', t("b")),
    # Exclusions only: an And of Not nodes (or a single Not).
    ("-a -b", And((Not(t("a")), Not(t("b"))))),
    ("-a", Not(t("a"))),
    # Punctuation inside a pasted part keeps it one Text.
    ("构成犯罪的，依法追究刑事责任", t("构成犯罪的，依法追究刑事责任")),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[repr(q) for q, _ in CASES])
def test_parse(query: str, expected: Node | None) -> None:
    """Each query parses to the expected AST."""
    assert parse(query) == expected


def _texts(node: Node | None) -> int:
    """Count every Text node, under a Not or not, without recursion."""
    count, stack = 0, [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, Text):
            count += 1
        elif isinstance(current, Not):
            stack.append(current.node)
        else:
            stack.extend(current.nodes)
    return count


def _depth(node: Node | None) -> int:
    """Return the nesting depth of the AST without recursion."""
    best, stack = 0, [(node, 1)] if node is not None else []
    while stack:
        current, depth = stack.pop()
        best = max(best, depth)
        if isinstance(current, Not):
            stack.append((current.node, depth + 1))
        elif isinstance(current, (And, Or)):
            stack.extend((child, depth + 1) for child in current.nodes)
    return best


def test_deep_nesting_is_flattened() -> None:
    """2,000 nested parentheses parse without RecursionError."""
    assert parse("(" * 2000 + "a b" + ")" * 2000) == And((t("a"), t("b")))
    unclosed = parse("(" * 2000 + "a")
    assert unclosed == t("a")
    assert _depth(parse("(a OR " * 2000 + "b" + ")" * 2000)) < 50
    assert _depth(parse("-(" * 2000 + "a" + ")" * 2000)) < 50
    assert parse("-(" * 50_000 + "a") in (t("a"), Not(t("a")))


def test_many_or_terms_capped() -> None:
    """10,000 OR-ed terms keep only MAX_PARTS of them."""
    node = parse(" OR ".join(f"w{k}" for k in range(10_000)))
    assert node == Or(tuple(t(f"w{k}") for k in range(MAX_PARTS)))


def test_repeated_parts_count_once() -> None:
    assert parse("的 的 的") == t("的")
    assert parse("南海 OR 南海 东海 南海") == And((t("南海"), t("东海")))
    assert parse("title:条例 条例 title:条例") == And((t("条例", "title"), t("条例")))
    assert parse("-南海 -南海") == Not(t("南海"))
    # Repeats past the cap are dropped before they are merged: the cap bounds the lexer.
    assert parse(" ".join(["的"] * 1000)) == t("的")


def test_many_parts_capped_with_groups() -> None:
    """The cap counts words and phrases anywhere, and cut-off groups do not fail."""
    node = parse("(" + " ".join(f'"p{k}" x{k}' for k in range(1000)) + ")")
    assert _texts(node) == MAX_PARTS


ALPHABET = (
    "abcOR-:()\"“”＂（）〔〕 \u3000\t\u00a0，。、title:body：author department"
    "巡视整改通知国办发号党群工作部"
)


def test_random_inputs_never_fail() -> None:
    """1,000 fixed-seed random queries (about 100 KB in all) never raise."""
    rng = random.Random(20240820)
    for _ in range(1000):
        length = rng.randint(0, 200)
        query = "".join(
            rng.choice(ALPHABET) if rng.random() < 0.8 else chr(rng.randint(0x20, 0x9FFF))
            for _ in range(length)
        )
        node = parse(query)
        assert node is None or isinstance(node, (Text, Not, And, Or))
        assert _texts(node) <= MAX_PARTS
        for text in positive_texts(node):
            assert text.text.strip() and text.field in (None, "title", "body", "department",
                                                        "author")


@pytest.mark.parametrize("unit", ["(", ")", '"', "-", "a(", "-(", "title:(", "巡视 ", "x" * 99])
def test_large_hostile_input_parses(unit: str) -> None:
    """100 KB of one hostile pattern parses without error (its speed is in bench/)."""
    query = (unit * (100_000 // len(unit) + 1))[:100_000]
    node = parse(query)
    assert node is None or isinstance(node, (Text, Not, And, Or))


def test_random_100kb_input() -> None:
    """One 100 KB random query of printable, CJK, quote and bracket characters."""
    rng = random.Random(7)
    query = "".join(rng.choice(ALPHABET) for _ in range(100_000))
    node = parse(query)
    assert node is None or _texts(node) <= MAX_PARTS


def test_positive_texts_skips_exclusions() -> None:
    """positive_texts returns the Texts not under a Not, left to right."""
    node = parse('巡视 -整改 (a OR title:"b c") -(d e) author:韩雨')
    assert positive_texts(node) == [t("巡视"), t("a"), ph("b c", "title"), t("韩雨", "author")]
    assert positive_texts(None) == []
    assert positive_texts(parse("-a -b")) == []
