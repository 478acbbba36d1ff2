"""Versions of one regulation and the regulations a notice repeals, from titles and text.

Only normative documents have versions: a title ending in 法, 条例, 规定, 办法, 细则,
规则, 决定, 章程, 准则 or 解释 (the corpus's press transcripts also repeat titles,
"外交部发言人…主持例行记者会", and are not versions of each other). Which version is in
force is decided in :mod:`links`, over the whole index.
"""

from __future__ import annotations

import re

from .textnorm import normalise

_NORMATIVE = re.compile(r"(法|条例|规定|办法|细则|规则|决定|章程|准则|解释)$")
#: A trailing note of the version: （2018年修正）, (2019修订), （2004年7月1日起施行）.
_VERSION_NOTE = re.compile(r"[(\[][^()\[\]]*(修正|修订|修改|施行|公布|年)[^()\[\]]*[)\]]$")
#: 《X》… 同时废止 / 予以废止 / 自…起废止, and 废止《X》: the repealed titles.
_REPEALED_AFTER = re.compile(
    r"((?:《[^《》\n]{2,60}》(?:[(（][^()（）\n]{0,40}[)）])?[、和及与,，]?)+)"
    r"[^。；;《\n]{0,30}?(?:同时|予以|即行|自行)?废止")
#: 废止《X》 only where the verb opens a clause (一、废止…, 决定：废止…), not in a question
#: such as "中方是否已就延长或废止《…》做出决定".
_REPEALED_BEFORE = re.compile(
    r"(?:^|[：:，,。；;\n]|[一二三四五六七八九十]+、|决定)\s*废止((?:《[^《》\n]{2,60}》[、和及与,，]?)+)")
_CITED = re.compile(r"《([^《》\n]{2,60})》")


def title_key(title: str) -> str:
    """Return a title as citations are matched: normalised, no spaces, no version note."""
    key = re.sub(r"\s+", "", normalise(title)).strip("《》")
    while True:
        stripped = _VERSION_NOTE.sub("", key)
        if stripped == key:
            return key
        key = stripped


def version_key(title: str) -> str | None:
    """Return the key shared by every version of a normative title, else None."""
    key = title_key(title)
    return key if key and _NORMATIVE.search(key) else None


def repeals(body: str) -> list[str]:
    """Return the version keys of the regulations a body declares repealed, in order."""
    seen: dict[str, None] = {}
    for pattern in (_REPEALED_AFTER, _REPEALED_BEFORE):
        for match in pattern.finditer(body):
            for cited in _CITED.findall(match.group(1)):
                key = version_key(cited)
                if key:
                    seen.setdefault(key, None)
    return list(seen)
