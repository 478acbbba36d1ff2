"""The people a notice names: officials and spokespersons, found by role and by list.

jieba's ``nr`` (person name) tag alone is wrong on much government prose (严格执行 and
从严治党 are tagged nr). A word counts as a name here only when jieba tags it nr, it
starts with a common surname, and a title or role stands right before it (组长赵凤民,
发言人华春莹, 国务院总理李克强) or a word such as 同志 right after it (张国清同志).
``index/persons.txt`` lists names to take wherever they occur, and
``index/not_persons.txt`` words never to take; both are staff-editable (rebuild after
editing, as with the user dictionary).

Only a few characters around each role word are tagged, so the cost does not grow with
jieba's part-of-speech tagging of whole 100,000-character statutes.
"""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path

from .analysis import read_word_list
from .textnorm import normalise

#: Titles and roles that stand before a name (longest first in the pattern).
ROLES_BEFORE = (
    "发言人", "新闻发言人", "组长", "副组长", "书记", "副书记", "主任", "副主任", "总理",
    "副总理", "部长", "副部长", "主席", "副主席", "委员长", "副委员长", "秘书长", "副秘书长",
    "省长", "副省长", "市长", "副市长", "区长", "副区长", "县长", "副县长", "局长", "副局长",
    "厅长", "副厅长", "司长", "副司长", "处长", "院长", "副院长", "检察长", "大使", "总书记",
    "主任委员", "常委", "委员", "会长", "理事长", "董事长", "总经理", "署长", "行长", "特使",
    "代表", "部长助理", "国务委员", "组员", "主持人", "负责人", "领导",
)
#: Words that stand right after a name.
ROLES_AFTER = ("同志", "主持例行记者会", "主持记者会", "答记者问", "在例行记者会")
#: Common Chinese surnames (single and compound): a name starts with one.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申"
    "欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴"
    "蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席"
    "卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟"
    "邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强"
    "帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍"
    "辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉"
    "冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容",
                     "令狐", "长孙", "宇文", "司徒", "夏侯", "端木", "澹台")
#: Characters tagged on each side of a role word.
WINDOW = 16
_DOTS = frozenset("·•・")
#: Name-word tags: jieba's person names, transliterated ones and their parts.
_NAME_FLAGS = ("nr", "nrt", "nrfg")
#: Words that end a transliterated part: a verb or a time that follows the name.
_FOREIGN_PART = re.compile(
    r"(?:(?!主持|表示|访问|访华|出席|会见|举行|发表|宣布|接受|指出|强调|签署|共同|率团|应邀|"
    r"日前|近日|昨天|今天|明天|先生|女士|总统|总理|首相|[在说称将对向与和及为于已也都就还又等的了会])"
    r"[\u4e00-\u9fff]){1,5}")
_ORGANISATION = re.compile(
    r"大学|学院|大使馆|大使|政府|公司|集团|银行|医院|方面|代表团|国(?!务|家)|省(?!长|委)|市(?!长|委)")
#: Single characters that follow a name without being part of it (在, 说, 表示's 表 …).
_NOT_NAME_CHARS = frozenset("在说称讲到指会要是将对向与和及同为把被于已也都就还又等的了着过表答问谈"
                            "曾率并均亦仍则即以由从、，,。；：:！？“”（）()先女男")

_BEFORE = re.compile("(?:" + "|".join(sorted(map(re.escape, ROLES_BEFORE), key=len,
                                               reverse=True)) + ")")
_AFTER = re.compile("(?:" + "|".join(map(re.escape, ROLES_AFTER)) + ")")


class PersonExtractor:
    """Finds the people a notice names; build once per run (it reads the lists)."""

    def __init__(self, known: list[str] = (), not_persons: list[str] = ()):
        self.known = tuple(dict.fromkeys(n for n in known if n))
        self.not_persons = frozenset(not_persons)

    @classmethod
    def from_dir(cls, directory: str | Path | None) -> PersonExtractor:
        """Read persons.txt and not_persons.txt from a directory (both optional)."""
        if directory is None:
            return cls()
        root = Path(directory)
        lists = [read_word_list(root / name) if (root / name).exists() else []
                 for name in ("persons.txt", "not_persons.txt")]
        return cls(*lists)

    def extract(self, title: str, body: str) -> list[str]:
        """Return the distinct names in a notice, in order of first appearance."""
        text = normalise(f"{title}\n{body}")
        found: dict[str, int] = {}
        for name in self.known:
            at = text.find(name)
            if at >= 0:
                found.setdefault(name, at)
        for match in _BEFORE.finditer(text):
            start = match.end()
            if not _has_surname(text[start:start + 2]):
                continue  # 人民代表大会, 委员会: no name follows; skip the tagging
            name = self._first_name(text[start:start + WINDOW])
            if name:
                found.setdefault(name, start)
        for match in _AFTER.finditer(text):
            end = match.start()
            if not any(_has_surname(text[end - k:end]) for k in (2, 3, 4) if end >= k):
                continue
            name = self._last_name(text[max(0, end - WINDOW):end])
            if name:
                found.setdefault(name, end - len(name))
        return sorted(found, key=found.__getitem__)

    def _first_name(self, window: str) -> str | None:
        words = _tagged(window, limit=2)
        if not words or not words[0][1].startswith("nr"):
            return None
        name = words[0][0]
        if len(words) > 1 and words[1][1] in _NAME_FLAGS and _is_han(words[1][0]) \
                and len(name) + len(words[1][0]) <= 5:
            name += words[1][0]  # a transliterated name in two pieces (普拉 尤特)
        after = window[len(name):]
        if len(name) == 2 and _given_char(after):
            # jieba often splits a rare given name (刘结 一, 阮春 福将): take one more
            # character when what follows it is not part of a name.
            name, after = name + after[0], after[1:]
        while after[:1] in _DOTS:
            # A transliterated name goes on after its dot (伊姆兰·汗, 沙阿·马哈茂德·库雷希).
            part = _FOREIGN_PART.match(after[1:])
            if not part:
                break
            name, after = name + "·" + part.group(), after[1 + part.end():]
        if _ORGANISATION.match(after):
            return None  # 阿根廷大使, 哈佛大学: a place or a body, not a person
        return self._name(name, "nr")

    def _last_name(self, window: str) -> str | None:
        words = _tagged(window)
        return self._name(*words[-1]) if words else None

    def _name(self, word: str, flag: str) -> str | None:
        if not flag.startswith("nr") or not 2 <= len(word) <= 12:
            return None
        if word in self.not_persons or not _has_surname(word):
            return None
        return word


def _tagged(window: str, limit: int | None = None) -> list[tuple[str, str]]:
    """Return the (word, flag) pairs of a window, or only its first ``limit`` words.

    posseg tags a window block by block as its generator is consumed, so stopping after
    the words that are looked at skips the later blocks' Viterbi passes (a third of the
    person extraction's time over the corpus) and gives the same first words.
    """
    import jieba.posseg  # loaded on first use: it costs ~50 MB, only indexing needs it

    return [(w.word, w.flag) for w in islice(jieba.posseg.cut(window), limit)]


def _given_char(after: str) -> bool:
    """True when after starts with a character that continues a two-character name."""
    if len(after) < 2 or not _is_han(after[0]) or after[0] in _NOT_NAME_CHARS:
        return False
    return not _is_han(after[1]) or after[1] in _NOT_NAME_CHARS


def _is_han(text: str) -> bool:
    return bool(text) and all("\u4e00" <= c <= "\u9fff" for c in text)


def _has_surname(word: str) -> bool:
    return bool(word) and (word[0] in SURNAMES or word[:2] in COMPOUND_SURNAMES)
