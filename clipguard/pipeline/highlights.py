"""The highlights stage: signals on one time grid (cached on their own), then
ranking and the gate (``clipguard.clipper.highlights``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clipguard.clipper.highlights import HighlightOptions, HighlightsResult
from clipguard.keys import code_version, sha256_file, stage_key
from clipguard.models import SCHEMA_VERSION, Finding, Highlight, Transcript
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.writers import atomic_path, read_json, write_json

if TYPE_CHECKING:
    from clipguard.clipper.signals import KeyframeScan

# the code behind each result, hashed into its key (clipguard.keys)
SIGNALS_CODE = (
    "clipguard.clipper.signals",
    "clipguard.clipper.shots",
    "clipguard.chat",
    "clipguard.media",
)
HIGHLIGHTS_CODE = ("clipguard.clipper.highlights", "clipguard.clipper.spans")


def _load_signals(path: Path) -> tuple[dict[str, np.ndarray], list[float]]:
    with np.load(path, allow_pickle=False) as data:
        signals = {k[4:]: data[k] for k in data.files if k.startswith("sig_")}
        return signals, data["cuts"].tolist()


def stage_highlights(
    media_path: Path,
    transcript: Transcript,
    findings: list[Finding],
    layout: RecordingLayout,
    options: HighlightOptions,
    chat_path: Path | None = None,
    keyframes: Callable[[Path], KeyframeScan] | None = None,
) -> HighlightsResult:
    """Score, rank and gate highlights; the signals are cached on their own (chat
    included). ``keyframes`` gives the keyframe scan when the signals are computed
    (default ``scan_keyframes``; the pipeline's is the one it ran beside the
    transcription: ``clipguard.pipeline.ahead``)."""
    from clipguard.clipper.highlights import find_highlights, gap_findings
    from clipguard.clipper.signals import (
        SIGNAL_VERSIONS,
        KeyframeScan,
        SignalContext,
        compute_signals,
        load_chat,
    )

    layout.create()
    manifest = Manifest.load(layout.manifest)
    chat = load_chat(chat_path) if chat_path else []
    chat_sig = sha256_file(Path(chat_path)) if chat_path else ""
    sig_key = stage_key(code_version(*SIGNALS_CODE), transcript.cache_key, chat_sig)
    gaps = [f.to_dict() for f in gap_findings(transcript)]
    key = stage_key(
        code_version(*HIGHLIGHTS_CODE),
        sig_key,
        [f.to_dict() for f in findings],
        gaps,
        asdict(options),
    )
    t0 = time.perf_counter()
    cached_signals = manifest.reuse(
        "signals", sig_key, [layout.signals], lambda: _load_signals(layout.signals)
    )
    if cached_signals is not None:
        done = manifest.reuse(
            "highlights",
            key,
            [layout.highlights],
            lambda: [Highlight.from_dict(h) for h in read_json(layout.highlights)["highlights"]],
        )
        if done is not None:
            return HighlightsResult(tuple(done), tuple(cached_signals[1]), cached_signals[0])
    envelope = np.load(layout.envelope) if layout.envelope.exists() else None
    ctx = SignalContext(
        Path(media_path),
        transcript,
        transcript.media.decoded_duration or transcript.media.duration,
        envelope,
        chat,
        scan=keyframes,
    )
    if cached_signals is not None:
        signals, cuts = cached_signals
        ctx.keyframes = KeyframeScan(np.zeros(0), np.zeros(0), cuts)
        refine = False  # cached signals are already refined
    else:
        signals = compute_signals(ctx)
        refine = True
    highlights, signals = find_highlights(
        ctx, findings, replace(options, refine=options.refine and refine), signals
    )
    cuts = ctx.keyframes.cuts if ctx.keyframes else []
    if cached_signals is None:
        with atomic_path(layout.signals) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                cuts=np.asarray(cuts, dtype=np.float64),
                **{f"sig_{k}": v for k, v in signals.items()},  # pyright: ignore[reportArgumentType]
            )
        manifest.record(
            "signals", "ok", key=sig_key, seconds=time.perf_counter() - t0, versions=SIGNAL_VERSIONS
        )
    dropped = [h.to_dict() for h in highlights if h.gate == "dropped"]
    write_json(
        layout.highlights,
        {
            "schema_version": SCHEMA_VERSION,
            "grid": 0.5,
            "gate": options.gate,
            "options": asdict(options),
            "scene_cuts": [round(c, 3) for c in cuts],
            "highlights": [h.to_dict() for h in highlights],
            "dropped": dropped,
        },
    )
    manifest.record(
        "highlights",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        highlights=len(highlights),
        dropped=len(dropped),
    )
    return HighlightsResult(tuple(highlights), tuple(cuts), signals, tuple(ctx.dense))
