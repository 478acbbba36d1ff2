"""jieba's segmentation (default mode, HMM on), with runs of ideographs cut by rjieba.

jieba stays the reference: every token and offset here is the one ``jieba.tokenize``
gives. rjieba (bindings to jieba-rs) is about 6× faster but differs from jieba on runs
of digits and punctuation (jieba: ``36.5%``; rjieba: ``36`` ``.`` ``5`` ``%``). So the
text is split into blocks exactly as jieba's ``cut`` does, and only blocks made of
nothing but ideographs go to rjieba; every other block goes through jieba's own code.

rjieba gets jieba's dictionary as loaded, user dictionary included (the same words and
frequencies), and the same total frequency, which every word's probability divides by.
``tests/test_segment.py`` checks that the output is identical over the whole corpus.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import jieba
import jieba.finalseg

log = logging.getLogger(__name__)

#: A block jieba cuts with its DAG, and one it passes through whole: jieba's own.
_RE_HAN = jieba.re_han_default
_RE_SKIP = jieba.re_skip_default
#: A block of only the ideographs jieba knows (its re_han_default without Latin/digits).
_PURE_HAN = re.compile("[\u4e00-\u9fd5]+")
#: A word that no block given to rjieba can contain: it only carries frequency.
_PADDING_WORD = "\ue000"

_fast = None  # the rjieba.Jieba mirroring jieba.dt, or None: jieba alone


def use_rjieba(enabled: bool = True) -> bool:
    """Mirror jieba's loaded dictionary into rjieba (or stop using it); return if in use.

    Call after jieba's dictionaries (user dictionary included) are loaded, and again
    after any change to them. Without rjieba installed, jieba alone is used.
    """
    global _fast
    _fast = None
    if not enabled:
        return False
    try:
        import rjieba
    except ImportError:
        log.info("rjieba is not installed: segmenting with jieba alone")
        return False
    if jieba.finalseg.Force_Split_Words:
        # A word added with frequency 0 changes jieba's HMM step; rjieba has no such list.
        log.info("the dictionary forces splits: segmenting with jieba alone")
        return False
    dt = jieba.dt
    dt.check_initialized()
    fast = rjieba.Jieba.empty()
    counted = 0
    for word, freq in dt.FREQ.items():
        if freq > 0:  # jieba keeps every word's prefixes at 0: not words
            fast.add_word(word, freq, None)
            counted += freq
    # jieba's total also counts words added twice or replaced (and user-dictionary
    # lines it could not read as words); give rjieba the same total.
    if dt.total > counted:
        fast.add_word(_PADDING_WORD, dt.total - counted, None)
    _fast = fast
    return True


def rjieba_in_use() -> bool:
    """Return True when blocks of ideographs are cut by rjieba."""
    return _fast is not None


def cut(text: str) -> list[str]:
    """Return the words of text exactly as ``jieba.cut(text)`` yields them."""
    fast = _fast
    if fast is None:
        return list(jieba.dt.cut(text))
    cut_dag = jieba.dt._Tokenizer__cut_DAG  # what jieba.cut runs on each block
    pure = _PURE_HAN.fullmatch
    han = _RE_HAN.match
    words: list[str] = []
    extend = words.extend
    for block in _RE_HAN.split(text):
        if not block:
            continue
        if han(block):
            extend(fast.cut(block) if pure(block) else cut_dag(block))
        else:
            for piece in _RE_SKIP.split(block):
                if _RE_SKIP.match(piece):
                    words.append(piece)
                else:
                    extend(piece)
    return words


def tokenize(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (word, start, end) exactly as ``jieba.tokenize(text)`` does."""
    start = 0
    for word in cut(text):
        end = start + len(word)
        yield word, start, end
        start = end
