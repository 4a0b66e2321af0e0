"""The clip gate on corpus sentences, text only: a timed transcript of the rule corpus's
tuning material (violating sentences interleaved with clean near-misses, about 4 s
each), scanned with the default packs and cut into clips the way the clip stage does
(``find_highlights`` then ``clip_spans`` with ``gated_spans`` as walls), under several
made-up signal curves. No clip may hold a violating sentence that the rules found;
what the rules miss is what could leak into a clip, and its rate is bounded here.

The independent files (``halves.yaml``) are never read here
(``benchmarks/rule_corpus.py`` reports them, counts only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus_tally import sentences

from clipguard.clipper.highlights import find_highlights, min_clip_seconds
from clipguard.clipper.signals import GRID, SignalContext
from clipguard.clipper.spans import clip_spans
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.models import MediaInfo, Segment, Transcript, Word, severity_rank
from clipguard.options import DEFAULT_WEIGHTS, HighlightOptions
from clipguard.pipeline.clipping import gated_spans

TUNING = ("tune", "heldout")  # tuning material; never an independent file
SPOKEN = 3.0  # seconds of speech per sentence
PAUSE = 1.0  # then a pause (wider than the gate's margin): 4 s a sentence
# measured on the tuning material: 0 of 392 violating sentences missed (the rules are
# tuned on it); the bound leaves room for a rule change to cost a few sentences
LEAK_BOUND = 0.03


def _sentences() -> list[dict]:
    return [s for half in TUNING for s in sentences(half)]


def _interleaved(sentences: list[dict]) -> list[dict]:
    """clean, clean, violating, clean, clean, violating, … (the clean near-misses each
    twice): a clean run between two violations is long enough for a short clip."""
    bad = [s for s in sentences if s["violation"]]
    good = [s for s in sentences if not s["violation"]]
    out: list[dict] = []
    for i, s in enumerate(bad):
        out.extend((good[(2 * i) % len(good)], good[(2 * i + 1) % len(good)], s))
    return out


def _transcript(sentences: list[dict]) -> Transcript:
    """One segment per sentence, one timed word per character (as in test_rules)."""
    segs, t = [], 0.0
    for s in sentences:
        text = str(s["text"])
        dt = SPOKEN / len(text)
        words = tuple(Word(t + i * dt, t + (i + 1) * dt, c) for i, c in enumerate(text))
        segs.append(Segment(words[0].start, words[-1].end, text, words))
        t = words[-1].end + PAUSE
    return Transcript(MediaInfo("corpus.mp4", "0" * 64, t), "zh", "text", tuple(segs))


@pytest.fixture(scope="module")
def scanned():
    sentences = _interleaved(_sentences())
    transcript = _transcript(sentences)
    findings = Scanner(resolve_packs(None)).scan(transcript)
    return sentences, transcript, findings


def _found(seg: Segment, findings, gate: str) -> bool:
    """A finding at or above the gate overlaps the sentence."""
    return any(
        severity_rank(f.severity) >= severity_rank(gate) and f.start < seg.end and f.end > seg.start
        for f in findings
    )


def _clips(transcript: Transcript, findings, opts: HighlightOptions, seed: int):
    """The clip stage's spans for made-up signal curves (no media): highlights gated by
    ``find_highlights``, then edges walled off by ``gated_spans`` as ``stage_clips`` does."""
    rng = np.random.default_rng(seed)
    bins = int(np.ceil(transcript.media.duration / GRID))
    signals = {k: rng.random(bins) for k in DEFAULT_WEIGHTS}
    ctx = SignalContext(Path("corpus.mp4"), transcript, transcript.media.duration)
    highlights, _ = find_highlights(ctx, findings, opts, signals=signals)
    segments = [s for s in transcript.segments if s.words]
    spans = clip_spans(
        highlights,
        opts.count,
        segments,
        lambda a, b: [],
        floor=min_clip_seconds(opts),
        max_seconds=opts.max_seconds,
        forbidden=gated_spans(transcript, findings, opts.gate),
    )
    return highlights, spans


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_clip_holds_a_found_violation(scanned, seed):
    sentences, transcript, findings = scanned
    # the default gate (review); clips of 8-30 s, so a clean run of two sentences fits
    opts = HighlightOptions(count=12, min_seconds=8.0, max_seconds=30.0, refine=False)
    highlights, spans = _clips(transcript, findings, opts, seed)
    assert spans, "the gate left no clip at all: the test would prove nothing"
    assert any(h.gate != "pass" for h in highlights), "no highlight met a violation"
    for start, end, _h in spans:
        for s, seg in zip(sentences, transcript.segments):
            if seg.end > start and seg.start < end and s["violation"]:
                assert not _found(seg, findings, opts.gate), (start, end, s["text"])
    # the control: without the findings, the same curves put violations into clips
    _, ungated = _clips(transcript, [], opts, seed)
    assert any(
        s["violation"] and seg.end > a and seg.start < b
        for a, b, _h in ungated
        for s, seg in zip(sentences, transcript.segments)
    )


def test_leak_rate_of_missed_violations(scanned):
    """Violating sentences no gated finding covers: these are what a clip could hold.
    Also the clean near-misses the gate keeps out (precision of the gate)."""
    sentences, transcript, findings = scanned
    gate = HighlightOptions().gate
    pairs = list(zip(sentences, transcript.segments))
    bad = [(s, seg) for s, seg in pairs if s["violation"]]
    missed = [s["text"] for s, seg in bad if not _found(seg, findings, gate)]
    assert len(bad) >= 300
    assert len(missed) / len(bad) <= LEAK_BOUND, (len(missed), len(bad), missed[:10])
    # a clean sentence is gated only by its own words or a neighbour's construction
    # (a follows match may reach into the next sentence), never wholesale
    clean_gated = sum(_found(seg, findings, gate) for s, seg in pairs if not s["violation"])
    assert clean_gated / (len(pairs) - len(bad)) <= 0.05, clean_gated
