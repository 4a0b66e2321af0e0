"""Properties of the speech layout and the virtual audio the batched decoder is given.

faster-whisper sums the chunks' sample counts and asserts that they do not exceed the
audio it was handed; a virtual audio cut piece by piece with its own rounding came
out shorter than its chunks for most random layouts, and the re-decode path died on
real recordings. These properties hold for thousands of random layouts, with no model.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clipguard.asr import coverage
from clipguard.asr.decode import decoder_clips, virtual_audio
from clipguard.media import SAMPLE_RATE

RATE = SAMPLE_RATE


@st.composite
def speech_layouts(draw: st.DrawFn) -> tuple[list[tuple[float, float]], float]:
    """Speech spans as a VAD gives them: sorted, separated by pauses of any length,
    sometimes starting at 0.0 or ending at the file's last sample."""
    n = draw(st.integers(1, 40))
    t = draw(st.sampled_from([0.0, draw(st.floats(0.0, 30.0))]))
    spans = []
    for _ in range(n):
        length = draw(st.floats(0.05, 28.0))
        spans.append((t, t + length))
        t += length + draw(st.floats(0.01, 20.0))
    end = spans[-1][1]
    duration = draw(st.sampled_from([end, end + draw(st.floats(0.0, 10.0))]))
    return spans, duration


def _random_layouts(count: int, seed: int = 7) -> list[tuple[list[tuple[float, float]], float]]:
    """Plain seeded random layouts: thousands cost milliseconds (hypothesis's own
    drawing is ~4 ms a case on this machine, so it explores the edges below instead)."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        n = int(rng.integers(1, 40))
        lengths = rng.uniform(0.05, 28.0, n)
        pauses = rng.exponential(2.0, n) + 0.01
        t0 = 0.0 if rng.random() < 0.3 else float(rng.uniform(0, 30))
        starts = t0 + np.concatenate([[0.0], np.cumsum(lengths + pauses)[:-1]])
        spans = [(float(a), float(a + b)) for a, b in zip(starts, lengths)]
        duration = spans[-1][1] + (0.0 if rng.random() < 0.3 else float(rng.uniform(0, 10)))
        cases.append((spans, duration))
    return cases


def test_thousands_of_random_layouts() -> None:
    for case in _random_layouts(3000):
        check_layout(case)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(speech_layouts())
def test_layout_tiles_speech_and_virtual_audio_matches_its_chunks(case) -> None:
    check_layout(case)


def check_layout(case: tuple[list[tuple[float, float]], float]) -> None:
    speech, duration = case
    lay = coverage.layout(speech, duration)
    pieces = lay.sample_pieces(RATE)
    # pieces tile the virtual time line with no gap or overlap, in order
    for (v0, _, n0), (v1, _, _) in zip(pieces, pieces[1:]):
        assert v0 + n0 == v1
    assert pieces[0][0] == 0
    # every speech span lies inside some piece (the layout keeps all speech)
    for a, b in speech:
        assert any(s - 1e-6 <= a and b <= s + n + 1e-6 for _, s, n in lay.pieces), (a, b)
    # chunks: at most the decoder's 30 s, in order, tiling the virtual audio
    assert all(b - a <= 30.0 + 1e-6 for a, b in lay.chunks)
    clips = decoder_clips(lay)
    virtual_size = pieces[-1][0] + pieces[-1][2]  # what virtual_audio builds (test below)
    # what faster-whisper computes: sum of int(t * rate) chunk lengths vs the audio
    told = sum(int(c["end"] * RATE) - int(c["start"] * RATE) for c in clips)
    assert told == virtual_size
    starts = [int(c["start"] * RATE) for c in clips]
    ends = [int(c["end"] * RATE) for c in clips]
    assert starts[0] == 0 and ends[-1] == virtual_size
    assert all(e == s for e, s in zip(ends, starts[1:]))
    # to_source is monotonic and maps each chunk edge inside its piece
    ts = sorted({a for a, _ in lay.chunks} | {b for _, b in lay.chunks})
    mapped = [lay.to_source(t) for t in ts]
    assert all(x <= y + 1e-9 for x, y in zip(mapped, mapped[1:]))
    for t, m in zip(ts, mapped):
        assert any(s - 1e-6 <= m <= s + n + 1e-6 for _, s, n in lay.pieces)
        assert 0.0 <= m <= duration + 1e-6
        del t


@settings(max_examples=100, deadline=None, derandomize=True)
@given(speech_layouts())
def test_virtual_audio_is_as_long_as_its_chunks(case) -> None:
    """Built for real at 16 kHz (fewer cases: each allocates the audio)."""
    speech, duration = case
    lay = coverage.layout(speech, duration)
    audio = np.ones(int(duration * RATE), dtype=np.float32)
    virtual, clips = virtual_audio(audio, lay)
    told = sum(int(c["end"] * RATE) - int(c["start"] * RATE) for c in clips)
    assert told == virtual.size == round(lay.length * RATE)


def test_virtual_audio_carries_the_source_samples() -> None:
    """The virtual audio is the source's speech, sample for sample, in order."""
    audio = np.arange(RATE * 20, dtype=np.float32)
    lay = coverage.layout([(1.0, 3.0), (9.0, 12.5)], 20.0)
    virtual, _ = virtual_audio(audio, lay)
    for v, s, n in lay.sample_pieces(RATE):
        assert np.array_equal(virtual[v : v + n], audio[s : s + n])
    assert virtual.size == round(lay.length * RATE)


def test_speech_to_the_last_sample_is_padded_not_short() -> None:
    """A piece that ends on the file's last sample (rounding up past it) is padded."""
    duration = 7.00003
    audio = np.ones(int(duration * RATE), dtype=np.float32)
    lay = coverage.layout([(0.0, duration)], duration)
    virtual, clips = virtual_audio(audio, lay)
    assert sum(int(c["end"] * RATE) - int(c["start"] * RATE) for c in clips) == virtual.size
    assert virtual.size >= audio.size
