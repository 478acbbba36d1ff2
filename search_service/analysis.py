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

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import jieba
from whoosh.analysis import Token, Tokenizer

from .textnorm import normalise

log = logging.getLogger(__name__)

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: A run of ideographs, a run of other letters/digits, or one other visible character.
_RUNS = re.compile(rf"([{_HAN}]+)|([^\W{_HAN}_]+)|(\S)")
_WORDLIKE = re.compile(rf"[{_HAN}\w]")

_lock = threading.Lock()
_loaded_dir: Path | None = None
_stopwords: frozenset[str] = frozenset()


def load_dictionaries(dict_dir: str | os.PathLike | None) -> None:
    """Load jieba's dictionary, the user dictionary and the stopwords, once per process.

    Call this before gunicorn forks its workers, so they share the ~60 MB it costs.
    """
    global _loaded_dir, _stopwords
    path = Path(dict_dir) if dict_dir else None
    with _lock:
        if _loaded_dir is not None and _loaded_dir == path:
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


def _subwords(word: str) -> Iterator[tuple[str, int]]:
    """Yield the dictionary 2- and 3-grams inside a long word, as jieba's search mode does."""
    freq = jieba.dt.FREQ
    for n in (2, 3):
        if len(word) > n:
            for i in range(len(word) - n + 1):
                gram = word[i:i + n]
                if freq.get(gram):
                    yield gram, i


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
        text = normalise(value)
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
        index_mode = mode == "index"
        pos = start_pos
        for word, start, end in jieba.tokenize(text):
            if not _WORDLIKE.search(word) or word.isspace() or word in stops:
                continue
            pieces = [(word, start)]
            if index_mode and len(word) > 2:
                pieces = [(w, start + i) for w, i in _subwords(word)] + pieces
            for piece, pstart in pieces:
                t.text = piece
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = value[pstart:pstart + len(piece)]
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + pstart
                    t.endchar = start_char + pstart + len(piece)
                yield t
            pos += 1


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
        text = normalise(value)
        pos = start_pos
        for gram, start in ngrams(text):
            t.text = gram
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:start + len(gram)]
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + start + len(gram)
            yield t
            pos += 1


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
