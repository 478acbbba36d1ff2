"""Chinese analysis for Whoosh: jieba words for ranking, character bigrams for recall.

Both tokenizers honour Whoosh's tokenizer contract: sequential ``positions``,
true character offsets with ``chars`` (into the original text, because
:func:`textnorm.normalise` keeps every offset), and ``mode`` ("index" adds
jieba's search-mode sub-words; queries are segmented plainly).

The classes live at a stable import path on purpose: Whoosh pickles the
analyzer into the index's table of contents, so moving them would make
older indexes unopenable.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import jieba
from whoosh.analysis import Token, Tokenizer

from . import segment
from .textnorm import normalise

log = logging.getLogger(__name__)

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: A run of ideographs, a run of other letters/digits, or one other visible character.
_RUNS = re.compile(rf"([{_HAN}]+)|([^\W{_HAN}_]+)|(\S)")
_WORDLIKE = re.compile(rf"[{_HAN}\w]")

_lock = threading.Lock()
_loaded_dir: Path | None = None
_stopwords: frozenset[str] = frozenset()


def load_dictionaries(dict_dir: str | os.PathLike | None, rjieba: bool = True) -> None:
    """Load jieba's dictionary, the user dictionary and the stopwords, once per process.

    Call this before gunicorn forks its workers, so they share the ~60 MB it costs.
    With `rjieba` (and rjieba installed), runs of ideographs are cut by rjieba given
    the same dictionary: the same tokens as jieba's, about 6x faster (segment.py).
    """
    global _loaded_dir, _stopwords
    path = Path(dict_dir) if dict_dir else None
    with _lock:
        if _loaded_dir is not None and _loaded_dir == path:
            if rjieba != segment.rjieba_in_use():
                segment.use_rjieba(rjieba)
            return
        if not os.access(tempfile.gettempdir(), os.W_OK):
            jieba.dt.tmp_dir = str(Path.home())
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        if path is not None:
            userdict = path / "userdict.txt"
            if userdict.exists():
                jieba.load_userdict(str(userdict))
            stop_file = path / "stopwords.txt"
            if stop_file.exists():
                _stopwords = frozenset(read_word_list(stop_file))
        segment.use_rjieba(rjieba)
        _index_pieces.cache_clear()
        _indexed_pieces.clear()
        _loaded_dir = path if path is not None else Path()


def dictionary_dir() -> Path | None:
    """Return the directory the dictionaries were loaded from (None: jieba's own only)."""
    return _loaded_dir if _loaded_dir not in (None, Path()) else None


def read_word_list(path: Path) -> list[str]:
    """Return the words of a one-per-line list, skipping blanks and # comments."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(normalise(line.split()[0]))
    return words


def stopwords() -> frozenset[str]:
    """Return the loaded stopwords (normalised)."""
    return _stopwords


@functools.lru_cache(maxsize=200_000)
def _index_pieces(word: str) -> tuple[tuple[str, int], ...]:
    """Return the (word, offset) pieces a word indexes as: its sub-words, then itself.

    The dictionary 2- and 3-grams inside a long word are what jieba's search mode
    adds. Words repeat, so the answer is cached (cleared when the dictionaries load).
    """
    pieces = []
    if len(word) > 2:
        freq = jieba.dt.FREQ
        for n in (2, 3):
            if len(word) > n:
                for i in range(len(word) - n + 1):
                    gram = word[i:i + n]
                    if freq.get(gram):
                        pieces.append((gram, i))
    pieces.append((word, 0))
    return tuple(pieces)


def normalised(value: str) -> str:
    """Return normalise(value), reusing the last answer for the very same string.

    A title and a body are each analysed twice (bigrams and words) in a row, and the
    body's normalised column (``schema.NormalisedColumn``) is written between the two.
    """
    global _last_normalised
    last = _last_normalised
    if last[0] is value:
        return last[1]
    text = normalise(value)
    _last_normalised = (value, text)
    return text


_last_normalised: tuple[str | None, str] = (None, "")


def _skipped(word: str, stops: frozenset[str]) -> bool:
    """Return True for a jieba token that takes no position: spaces, punctuation, stopwords."""
    return not _WORDLIKE.search(word) or word.isspace() or word in stops


def _word_pieces(text: str, index_mode: bool,
                 stops: frozenset[str]) -> Iterator[tuple[str, int, int]]:
    """Yield (piece, start, position) of the jieba analysis of normalised text."""
    pos = 0
    for word, start, _end in segment.tokenize(text):
        if _skipped(word, stops):
            continue
        if index_mode and len(word) > 2:
            for piece, offset in _index_pieces(word):
                yield piece, start + offset, pos
        else:
            yield word, start, pos
        pos += 1


class JiebaTokenizer(Tokenizer):
    """jieba words with true offsets; index mode adds search-mode sub-words."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: object) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = normalised(value)
        if not tokenize:
            t.original = t.text = text
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        stops = _stopwords if removestops else frozenset()
        pieces = _word_pieces(text, mode == "index", stops)
        yield from _tokens(t, value, pieces, start_pos, start_char, keeporiginal)

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Return {term: positions} as indexing sees value, without a Token per term.

        The same terms and positions as ``__call__(value, positions=True,
        mode="index")``; ``schema.AnalysedText`` indexes with it.
        """
        out: dict[str, list[int]] = {}
        get = out.get
        indexed = _indexed_pieces
        pos = 0
        for word in segment.cut(normalised(value)):
            pieces = indexed.get(word)
            if pieces is None:
                pieces = indexed[word] = _indexed_as(word)
            if not pieces:
                continue
            for piece in pieces:
                found = get(piece)
                if found is None:
                    out[piece] = [pos]
                else:
                    found.append(pos)
            pos += 1
        return out


#: Per word, the terms index mode makes of it at its position (empty: skipped).
#: Cleared when the dictionaries load; bounded by the vocabulary of what is indexed.
_indexed_pieces: dict[str, tuple[str, ...]] = {}


def _indexed_as(word: str) -> tuple[str, ...]:
    """Return the terms `_word_pieces` in index mode makes of a word, in its order."""
    if _skipped(word, _stopwords):
        return ()
    if len(word) > 2:
        return tuple(piece for piece, _offset in _index_pieces(word))
    return (word,)


class NgramTokenizer(Tokenizer):
    """Overlapping character bigrams of ideograph runs, Latin/digit words, punctuation.

    Every run of ideographs becomes its bigrams at consecutive positions (a
    lone ideograph is itself), so any run of two or more characters in the
    text is a phrase of bigrams whatever jieba does with it. Punctuation is
    kept as a token of its own so that pasted text with punctuation matches
    as written; spaces only separate.
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: object) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = normalised(value)
        grams = ((gram, start, pos) for pos, (gram, start) in enumerate(ngrams(text)))
        yield from _tokens(t, value, grams, start_pos, start_char, keeporiginal)

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Return {term: positions} as indexing sees value, without a Token per term.

        The same terms and positions as ``__call__(value, positions=True)``.
        """
        grams: list[str] = []
        for han, word, other in _RUNS.findall(normalised(value)):
            if len(han) > 1:
                grams.extend(map(str.__add__, han[:-1], han[1:]))
            else:
                grams.append(han or word or other)
        out: dict[str, list[int]] = {}
        get = out.get
        for pos, gram in enumerate(grams):
            found = get(gram)
            if found is None:
                out[gram] = [pos]
            else:
                found.append(pos)
        return out


def _tokens(t: Token, value: str, pieces: Iterable[tuple[str, int, int]], start_pos: int,
            start_char: int, keeporiginal: bool) -> Iterator[Token]:
    """Fill and yield the one Token t for each (text, start offset, position) piece."""
    for piece, start, pos in pieces:
        t.text = piece
        t.boost = 1.0
        t.stopped = False
        if keeporiginal:
            t.original = value[start:start + len(piece)]
        if t.positions:
            t.pos = start_pos + pos
        if t.chars:
            t.startchar = start_char + start
            t.endchar = start_char + start + len(piece)
        yield t


def ngrams(text: str) -> Iterator[tuple[str, int]]:
    """Yield (token, start offset) of the bigram analysis of already normalised text."""
    for match in _RUNS.finditer(text):
        run = match.group()
        start = match.start()
        if match.group(1) is not None and len(run) > 1:
            for i in range(len(run) - 1):
                yield run[i:i + 2], start + i
        else:
            yield run, start


def ngram_terms(text: str) -> list[str]:
    """Return the bigram tokens of a text, normalising it first."""
    return [gram for gram, _ in ngrams(normalise(text))]


def jieba_terms(text: str, mode: str = "query") -> list[str]:
    """Return the jieba tokens of a text as the index (mode "index") or a query sees it."""
    return [t.text for t in JiebaTokenizer()(text, mode=mode)]
