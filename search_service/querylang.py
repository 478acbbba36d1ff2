"""The search box's query syntax parsed into a small AST (no Whoosh, no jieba).

A part (parts are separated by any space) is ``[-][field:] (word | "phrase" | (group))``;
``OR`` in capitals between parts binds tighter than the implicit AND. Nothing ever raises:
whatever does not parse is text. Choices where the contract left room:

- A part made only of hyphens (a lone ``-``) is dropped; ``--x`` is the text ``--x``.
- ``OR`` at the start or end of a group, or doubled, is ignored; ``OR`` alone gives None.
- An unbalanced quote is dropped (``"巡视`` is the word 巡视); a quote inside a word is text.
- An unmatched ``(`` or ``)`` is ignored; groups nested deeper than ``MAX_DEPTH`` are
  flattened into their enclosing group. Full-width （ ） are always text.
- An operator with nothing to act on (``-""``, ``title:()``) is dropped with it.
- ``Not(Not(x))`` is simplified to ``x``; the innermost field wins (``title:(body:a b)``).
- Only the first ``MAX_PARTS`` words and phrases are kept; the rest of the query is ignored.
- A part repeated within one AND or OR counts once (``的 的 的`` is ``的``).

Parse the query as typed, before any width folding: folded （ ） would become groups.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from search_service.textnorm import SPACES

#: Words and phrases kept per query; later parts are dropped. It bounds the work of one
#: query: a lone ideograph part (的) expands to every bigram it starts, about 0.5 s of
#: matching on the corpus, so 16 of them stay well inside gunicorn's timeout, where 64
#: took 105 s (bench/RESULTS.md).
MAX_PARTS = 16
#: Deepest group nesting honoured; deeper brackets are ignored, so parsing never recurses far.
MAX_DEPTH = 20
FIELDS = ("title", "body", "department", "author")
QUOTES = '"“”＂'

_SPACE_CLASS = r"\s" + re.escape(SPACES)
_SPACE_RUN = re.compile(f"[{_SPACE_CLASS}]+")
_WORD = re.compile(f"[^{_SPACE_CLASS}]+")
_QUOTE = re.compile(f"[{QUOTES}]")
# re.ASCII: with Unicode case folding the Kelvin sign or long s could spell a field name.
_FIELD = re.compile(f"({'|'.join(FIELDS)})[:：]", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class Text:
    """One part to match, optionally scoped to a field."""
    text: str
    field: str | None = None
    phrase: bool = False


@dataclass(frozen=True)
class Not:
    """Exclude notices matching the node."""
    node: Node


@dataclass(frozen=True)
class And:
    """All nodes must match."""
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one node must match."""
    nodes: tuple[Node, ...]


Node = Text | Not | And | Or

# Token kinds; a Text instance is its own token.
_LP, _RP, _NOT, _OR = "(", ")", "-", "OR"
_Token = str | Text | tuple[str, str]  # ("field", name) for a field prefix


def _prefix_ok(query: str, i: int, enders: str) -> bool:
    """Return True when a prefix operator ending before i has an operand right after it."""
    return i < len(query) and not _SPACE_RUN.match(query, i) and query[i] not in enders


def _prefixes(query: str, i: int, toks: list[_Token]) -> tuple[list[_Token], int]:
    """Read a part's ``(``, ``-`` and ``field:`` prefixes; return those still pending, and i."""
    # Prefixes are held back until their operand exists, so none is left dangling.
    prefix: list[_Token] = []
    while i < len(query):
        if query[i] == "(":
            toks.extend(prefix)
            toks.append(_LP)
            prefix, i = [], i + 1
        elif query[i] == "-" and not prefix and _prefix_ok(query, i + 1, "-)"):
            prefix, i = [_NOT], i + 1
        elif (
            (m := _FIELD.match(query, i))
            and all(tok == _NOT for tok in prefix)
            and _prefix_ok(query, m.end(), ")")
        ):
            prefix.append(("field", m.group(1).lower()))
            i = m.end()
        else:
            break
    return prefix, i


def _word(word: str, prefix: list[_Token], glued: bool) -> list[_Token]:
    """Return the tokens of one run of non-space characters after its prefixes."""
    core = word.rstrip(")")
    closers = len(word) - len(core)
    # Brackets the word opened itself, as in f(x), keep their ")" as text.
    own = min(closers, max(0, core.count("(") - core.count(")")))
    core += ")" * own
    toks: list[_Token] = []
    if core == "OR" and not (prefix or glued):
        toks.append(_OR)
    elif core.strip("-"):
        toks.extend(prefix)
        toks.append(Text(core))
    return toks + [_RP] * (closers - own)


def _lex(query: str) -> list[_Token]:
    """Split the query into tokens, stopping after MAX_PARTS words and phrases."""
    toks: list[_Token] = []
    i, parts = 0, 0
    while i < len(query) and parts < MAX_PARTS:
        if space := _SPACE_RUN.match(query, i):
            i = space.end()
            continue
        prefix, i = _prefixes(query, i, toks)
        glued = False
        if i < len(query) and query[i] in QUOTES:
            close = _QUOTE.search(query, i + 1)
            if close is None:
                i += 1  # No closing quote anywhere later: drop this one, the rest is words.
            else:
                if _WORD.search(text := query[i + 1:close.start()]):
                    toks.extend(prefix)
                    toks.append(Text(text, None, True))
                    parts += 1
                prefix, glued, i = [], True, close.end()
        if parts < MAX_PARTS and (word := _WORD.match(query, i)):
            i = word.end()
            new = _word(word.group(), prefix, glued)
            parts += sum(isinstance(tok, Text) for tok in new)
            toks.extend(new)
    return toks


def _balance(toks: list[_Token]) -> list[_Token]:
    """Drop unmatched brackets and those nested deeper than MAX_DEPTH."""
    drop: set[int] = set()
    stack: list[int] = []
    for k, tok in enumerate(toks):
        if tok == _LP:
            stack.append(k)
        elif tok == _RP:
            if not stack:
                drop.add(k)
            elif len(stack) > MAX_DEPTH:
                drop.update((stack.pop(), k))
            else:
                stack.pop()
    drop.update(stack)
    return [tok for k, tok in enumerate(toks) if k not in drop]


def _flat(cls: type[And] | type[Or], nodes: Sequence[Node | None]) -> Node | None:
    """Return nodes joined by cls with nested cls flattened and repeats dropped (x AND x is
    x), or the single node, or None."""
    out: dict[Node, None] = {}
    for node in nodes:
        if node is not None:
            out.update(dict.fromkeys(node.nodes if isinstance(node, cls) else (node,)))
    kept = tuple(out)
    return (kept[0] if len(kept) == 1 else cls(kept)) if kept else None


def _scope(node: Node, field: str) -> Node:
    """Return node with every unscoped Text scoped to field (depth bounded by MAX_DEPTH)."""
    if isinstance(node, Text):
        return node if node.field else replace(node, field=field)
    if isinstance(node, Not):
        return Not(_scope(node.node, field))
    return type(node)(tuple(_scope(child, field) for child in node.nodes))


class _Parser:
    """Recursive descent over balanced tokens; recursion depth is at most MAX_DEPTH + 1."""

    def __init__(self, toks: list[_Token]) -> None:
        # A None sentinel marks the end, so reading the current token needs no bounds check.
        self.toks: list[_Token | None] = [*toks, None]
        self.pos = 0

    def seq(self) -> Node | None:
        """Parse parts up to a ")" or the end: AND of OR-chains."""
        ands: list[Node | None] = []
        chain: list[Node] = []
        pending_or = False
        while (tok := self.toks[self.pos]) is not None and tok != _RP:
            if tok == _OR:
                self.pos += 1
                pending_or = bool(chain)  # OR with nothing on its left is ignored.
                continue
            node = self.unary()
            if node is None:
                continue
            if not pending_or and chain:
                ands.append(_flat(Or, chain))
                chain = []
            chain.append(node)
            pending_or = False
        if chain:
            ands.append(_flat(Or, chain))
        return _flat(And, ands)

    def unary(self) -> Node | None:
        """Parse prefixes iteratively (ignored brackets can leave long runs) and one operand."""
        negations, field = 0, None
        while (tok := self.toks[self.pos]) == _NOT or isinstance(tok, tuple):
            if tok == _NOT:
                negations += 1
            else:
                field = tok[1]  # type: ignore[index]  # The innermost field wins.
            self.pos += 1
        node: Node | None = None
        if isinstance(tok, Text):
            node = tok
            self.pos += 1
        elif tok == _LP:
            self.pos += 1
            node = self.seq()
            if self.toks[self.pos] == _RP:
                self.pos += 1
        if node is None:
            return None
        if field is not None:
            node = _scope(node, field)
        if negations % 2:
            node = node.node if isinstance(node, Not) else Not(node)
        return node


def parse(query: str) -> Node | None:
    """Parse a search-box query; None when it has nothing to match."""
    return _Parser(_balance(_lex(query))).seq()


def positive_texts(node: Node | None) -> list[Text]:
    """Return every Text not under a Not, left to right (the caller highlights these)."""
    out: list[Text] = []
    stack: list[Node] = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, Text):
            out.append(current)
        elif isinstance(current, (And, Or)):
            stack.extend(reversed(current.nodes))
    return out
