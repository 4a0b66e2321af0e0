"""The chat's side of the room: how it answered each call to action, what viewers
asked and whether the host answered, and what the rules find in what they posted.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Sequence

from clipguard.chat import ChatMessage
from clipguard.compliance_rules.scanner import Scanner
from clipguard.models import Finding, Segment
from clipguard.recap.cues import Cue, CuePack, by_index, chat_document
from clipguard.recap.model import CallToAction, Question
from clipguard.text import fuzzy, normalize, syllable

WINDOW = 60.0  # seconds before and after a call to action
MERGE = 10.0  # calls of one kind closer than this are one call (扣1 扣1 扣1)
ANSWER_WITHIN = 120.0  # an answer comes within this many seconds of an ask
GROUP_SPAN = 600.0  # a group covers ten minutes: later, the same question is asked anew
MAX_WORDINGS = 10  # distinct wordings kept per question
QUESTION_MARKS = ("?", "？")
# words that carry no topic: particles, pronouns, the question words themselves
_STOP = (
    "吗 呢 吧 啊 呀 嘛 么 了 的 得 地 着 过 是 在 有 没有 有没有 "
    "能 能不能 可以 可不可以 会 会不会 是不是 不是 怎么 怎么样 怎样 什么 "
    "啥 咋 哪 哪里 哪个 多少 几 为什么 行不行 好不好 多久 我 你 他 她 "
    "它 我们 你们 大家 主播 这个 那个 这 那 个 一下 还 也 都 就 又 "
    "再 请问 问 想 要 想要 知道 呀 哦 噢 哈 哈哈 嗯 真的 现在 今天 "
    "一个 和 跟 给 吧 么 不 没 对"
)
STOPWORDS = frozenset(_STOP.split())


def _rate(times: Sequence[float], a: float, b: float) -> float:
    """Messages per minute between ``a`` and ``b`` (clipped windows count their length)."""
    if b - a < 1.0:
        return 0.0
    n = bisect.bisect_left(times, b) - bisect.bisect_left(times, a)
    return n / (b - a) * 60.0


def calls_to_action(
    cues: Sequence[Cue],
    sentences: Sequence[Segment],
    chat: Sequence[ChatMessage],
    duration: float,
) -> list[CallToAction]:
    """Each call to action with the chat rate in the minute before and after it."""
    times = [m.t for m in chat]
    calls: list[list] = []
    for c in (c for c in cues if c.role == "cta"):
        prev = next((x for x in reversed(calls) if x[0] == c.kind), None)
        if prev is not None and c.start - prev[2] <= MERGE:
            prev[2] = max(prev[2], c.end)
            continue
        calls.append([c.kind, c.start, c.end, c.index])
    out = []
    for kind, start, end, index in sorted(calls, key=lambda x: x[1]):
        text = sentences[index].text if 0 <= index < len(sentences) else ""
        out.append(
            CallToAction(
                start,
                end,
                kind,
                text,
                _rate(times, max(0.0, start - WINDOW), start),
                _rate(times, end, min(duration, end + WINDOW)),
            )
        )
    return out


def _keywords(text: str, pack: CuePack) -> tuple[str, ...]:
    words = []
    for w in pack.tokenize(normalize(text).compact.text):
        if w in STOPWORDS or not any(c.isalnum() for c in w):
            continue
        if len(w) == 1 and not w.isdigit():
            continue  # one character carries no topic of its own (except 码, 3号...)
        words.append(w)
    return tuple(dict.fromkeys(words))


def _directness(cue: Cue) -> int:
    return 0 if cue.how in ("literal", "latin", "regex") else 1


def _same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    shared = len(set(a) & set(b))
    return shared > 0 and shared >= math.ceil(min(len(a), len(b)) / 2)


def questions(
    chat: Sequence[ChatMessage],
    chat_cues: Sequence[Cue],
    speech_cues: Sequence[Cue],
    sentences: Sequence[Segment],
    pack: CuePack,
) -> list[Question]:
    """Viewer questions grouped by what they ask, each with the host's answer time.

    A message is a question when the cue pack's ``ask.`` rules match it or it carries a
    question mark. Questions on a known topic (price, how to buy, size, shipping...)
    group by topic; others group when they share at least half of their jieba
    keywords; a group spans ``GROUP_SPAN`` s from its first ask, so an hour of
    "怎么买" is several questions, each answered or not. A group is answered by the first sentence within ``ANSWER_WITHIN`` s of
    one of its asks that carries its key terms: an ``answer.`` cue of the same topic,
    or, for other questions, at least half of the keywords."""
    asks = by_index(chat_cues)
    groups: list[dict] = []
    for i, m in enumerate(chat):
        # what was written beats what merely sounds alike (怎么卖 is not 怎么买)
        mine = sorted((c for c in asks.get(i, ()) if c.role == "ask"), key=_directness)
        found = [c.kind for c in mine]
        if not found and not any(q in m.text for q in QUESTION_MARKS):
            continue
        topic = next((k for k in found if k != "generic"), "generic")
        # keywords only where no topic says what is asked (jieba loads on first use)
        keys = _keywords(m.text, pack) if topic == "generic" else ()
        if topic == "generic" and not keys:
            continue  # "真的吗？" asks nothing a host could answer
        for g in reversed(groups):
            if m.t - g["first"] > GROUP_SPAN or g["topic"] != topic:
                continue
            if topic != "generic" or _same(g["keys"], keys):
                g["asks"].append(m)
                if topic == "generic":
                    g["keys"] = tuple(dict.fromkeys(g["keys"] + keys))
                break
        else:
            groups.append({"topic": topic, "keys": keys, "asks": [m], "first": m.t})
    answers = by_index([c for c in speech_cues if c.role == "answer"])
    compact = [normalize(s.text).compact.text for s in sentences]
    out = []
    for g in groups:
        at, said = _answer(g, sentences, compact, answers)
        first = g["asks"][0]
        out.append(
            Question(
                t=first.t,
                text=first.text,
                count=len(g["asks"]),
                topic=g["topic"],
                keywords=g["keys"],
                asks=tuple(dict.fromkeys(m.text for m in g["asks"]))[:MAX_WORDINGS],
                answered_at=at,
                answer=said,
            )
        )
    # unanswered first: that is what a team wants to see the morning after
    return sorted(out, key=lambda q: (q.answered_at is not None, -q.count, q.t))


def _sounds(text: str) -> str:
    """Toneless syllables with fuzzy initials, space-delimited so that a keyword's
    sound matches whole syllables only."""
    return " " + " ".join(fuzzy(syllable(c)) for c in text) + " "


def _answer(
    group: dict, sentences: Sequence[Segment], compact: list[str], answers: dict[int, list[Cue]]
) -> tuple[float | None, str]:
    keys = [normalize(k).compact.text for k in group["keys"]]
    # by sound as well as by writing: the ASR writes 图装 for 涂装 as often as not
    key_sounds = [_sounds(k) for k in keys]
    need = max(1, math.ceil(len(keys) / 2))
    starts = [s.start for s in sentences]
    for ask in group["asks"]:
        lo = max(0, bisect.bisect_left(starts, ask.t) - 1)
        for i in range(lo, len(sentences)):
            s = sentences[i]
            if s.start > ask.t + ANSWER_WITHIN:
                break
            if s.end <= ask.t:
                continue
            if group["topic"] != "generic":
                ok = any(c.kind == group["topic"] for c in answers.get(i, ()))
            else:
                heard = _sounds(compact[i])
                ok = (
                    sum(
                        1
                        for k, ks in zip(keys, key_sounds)
                        if k and (k in compact[i] or ks in heard)
                    )
                    >= need
                )
            if ok:
                return max(s.start, ask.t), s.text
    return None, ""


def chat_findings(chat: Sequence[ChatMessage], scanner: Scanner) -> list[Finding]:
    """The chat scanned with the compliance rules, as findings on channel ``chat``
    (a viewer posting a phone number or a WeChat handle), each naming its poster."""
    if not chat:
        return []
    doc = chat_document(chat)
    at: dict[float, list[ChatMessage]] = {}
    for m in chat:
        at.setdefault(round(m.t, 3), []).append(m)
    out = []
    for f in scanner.scan(doc):
        same = at.get(round(f.start, 3), [])
        poster = next((m for m in same if f.text in m.text), same[0] if same else None)
        extra = {**f.extra, "user": poster.user} if poster and poster.user else dict(f.extra)
        out.append(dataclasses.replace(f, channel="chat", extra=extra))
    return out
