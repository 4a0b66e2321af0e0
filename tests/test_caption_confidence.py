"""Caption words the model was unsure of: where they sit in a card after punctuation,
line breaks and the glossary, how the .srt marks them, and how an edited .srt reads
back. No model: the words are built by hand (the real clips are checked in
test_clip_edits, the report page in test_report)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from clipguard.clipper.captext import (
    UNCERTAIN_BELOW,
    Card,
    Glossary,
    cards,
    marked_text,
    parse_srt,
)
from clipguard.models import Clip, Segment, Word
from clipguard.writers import srt_text


def _segment(words: list[tuple[str, float]], start: float = 0.0) -> Segment:
    ws, t = [], start
    for text, p in words:
        ws.append(Word(t, t + 0.3, text, p))
        t += 0.3
    return Segment(start, t, "".join(w for w, _ in words), tuple(ws))


SENTENCE = [
    ("大家好,", 0.98),
    ("欢", 0.10),
    ("迎", 0.99),
    ("来到", 0.95),
    ("今天的", 0.90),
    ("直播间,", 0.30),
    ("我是", 0.90),
    ("主播", 0.95),
    ("小林。", 0.50),
]


def test_offsets_point_at_the_unsure_words_after_punctuation_and_line_breaks():
    (card,) = cards([_segment(SENTENCE)], aspect="9:16", offset=0.0, duration=60.0)
    assert card.text == "大家好，欢迎来到今天\n的直播间，我是主播小林"
    # the comma after 直播间 became ， and stays outside the mark; 。 left the card;
    # the offsets count the line break
    assert [card.text[a:b] for a, b in card.uncertain] == ["欢", "直播间", "小林"]
    assert card.uncertain == ((4, 5), (12, 15), (20, 22))
    assert card.probability == (0.10, 0.30, 0.50)


def test_glossary_spelling_keeps_the_mark_on_the_rewritten_word():
    seg = _segment([("家人们,", 0.9), ("三二一,", 0.95), ("上练结", 0.4), ("!", 0.9)])
    (card,) = cards([seg], aspect="9:16", offset=0.0, duration=60.0, glossary=Glossary(("上链接",)))
    assert card.text == "家人们，三二一，上链接"
    assert [card.text[a:b] for a, b in card.uncertain] == ["上链接"]


def test_threshold_is_strict_and_adjustable():
    seg = _segment([("今天", UNCERTAIN_BELOW), ("天气", UNCERTAIN_BELOW - 0.01), ("很好", 0.99)])
    (card,) = cards([seg], aspect="9:16", offset=0.0, duration=60.0)
    assert [card.text[a:b] for a, b in card.uncertain] == ["天气"]
    (card,) = cards([seg], aspect="9:16", offset=0.0, duration=60.0, uncertain_below=0.0)
    assert card.uncertain == ()


def test_srt_marks_are_ssa_blocks_and_read_back_clean():
    card = Card(1.0, 3.5, "大家好，欢迎来到今天\n的直播间", ((4, 5), (12, 15)), (0.1, 0.699))
    srt = srt_text([Segment(card.start, card.end, marked_text(card))])
    assert "大家好，{\\?0.10}欢{\\?}迎来到今天\n的{\\?0.69}直播间{\\?}" in srt
    (back,) = parse_srt(srt)
    assert back.text == card.text
    assert back.uncertain == card.uncertain and back.probability == (0.10, 0.69)


def test_an_editors_srt_reads_back_as_the_text_players_show():
    srt = (
        "1\n00:00:00,000 --> 00:00:02,000\n"
        "{\\an8}大家好，{\\?0.10}欢{\\?}迎来到\n"  # another override tag: hidden too
        "今天的{\\?0.30}直播{\\?}间\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\n"
        "我是主播{\\?0.50}小林\n"  # a mark left open ends with its line
        "{\\?}\n\n"  # a line of marks only is no line
        "3\n00:00:04,000 --> 00:00:05,000\n"
        "价格{\\?}{好的}\n"  # a stray close mark; plain braces are text
    )
    one, two, three = parse_srt(srt)
    assert one.text == "大家好，欢迎来到\n今天的直播间"
    assert [one.text[a:b] for a, b in one.uncertain] == ["欢", "直播"]
    assert two.text == "我是主播小林" and [two.text[a:b] for a, b in two.uncertain] == ["小林"]
    assert three.text == "价格{好的}" and three.uncertain == ()


def test_clip_round_trips_its_uncertain_words():
    entry = {
        "start": 12.3,
        "end": 14.0,
        "caption": "今天<b>x</b>",
        "words": ["今天"],
        "spans": [[0, 2]],
        "probability": [0.31],
    }
    clip = Clip("clips/clip_01.mp4", 10.0, 20.0, 0.5, 1080, 1920, uncertain=[entry])
    assert Clip.from_dict(clip.to_dict()) == clip
    assert (
        Clip.from_dict({k: v for k, v in clip.to_dict().items() if k != "uncertain"}).uncertain
        == []
    )


# words from two alphabets: a character tells which kind of word it came from
SURE, UNSURE = "天地人和风雨山水", "甲乙丙丁戊己庚辛"
_word = st.tuples(
    st.booleans(),
    st.integers(1, 4),
    st.sampled_from(["", "", ",", "。", "!", " "]),
    st.sampled_from(["", "", " "]),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.lists(_word, min_size=1, max_size=14), min_size=1, max_size=4))
def test_every_unsure_character_and_only_those_is_marked(sentences):
    segments, t = [], 0.0
    for words in sentences:
        built = []
        for k, (unsure, n, tail, head) in enumerate(words):
            alphabet = UNSURE if unsure else SURE
            text = head + "".join(alphabet[(k + i) % 8] for i in range(n)) + tail
            built.append((text, 0.2 if unsure else 0.95))
        seg = _segment(built, t)
        segments.append(seg)
        t = seg.end + 0.5
    for aspect in ("9:16", "16:9"):
        for card in cards(segments, aspect=aspect, offset=0.0, duration=1e6):
            inside = set()
            for (a, b), p in zip(card.uncertain, card.probability, strict=True):
                assert 0 <= a < b <= len(card.text) and "\n" not in card.text[a:b]
                assert card.text[a] in UNSURE and card.text[b - 1] in UNSURE
                assert p == 0.2
                inside |= set(range(a, b))
            for i, ch in enumerate(card.text):
                if ch in UNSURE or ch in SURE:
                    assert (i in inside) == (ch in UNSURE), (card.text, card.uncertain)
            assert sorted(card.uncertain) == list(card.uncertain)
            # the .srt form reads back to the same card
            srt = srt_text([Segment(card.start, card.end, marked_text(card))])
            (back,) = parse_srt(srt)
            assert (back.text, back.uncertain) == (card.text, card.uncertain)
            assert re.sub(r"\{\\[^}]*\}", "", marked_text(card)) == card.text
