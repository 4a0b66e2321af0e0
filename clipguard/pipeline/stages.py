"""Stages as plain functions over files in ``OUT/<stem>/``.

Each stage reads what the previous one wrote, records itself in the manifest, and is
skipped on a re-run when its key (inputs + options) is unchanged.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from clipguard.compliance_rules.scanner import Scanner
from clipguard.errors import MediaError, SilentMediaError
from clipguard.models import Finding, Transcript
from clipguard.pipeline.manifest import Manifest, stage_key
from clipguard.pipeline.media import ENVELOPE_HOP, SILENCE_DBFS, AudioStats, probe
from clipguard.pipeline.transcribe import (
    ProgressFn,
    TranscribeOptions,
    cache_key,
    load_cached,
    transcribe,
)
from clipguard.pipeline.writers import (
    atomic_path,
    ensure_dir,
    read_json,
    write_json,
    write_transcript,
)

log = logging.getLogger(__name__)

ENVELOPE_FILE = "audio_envelope.npy"


def recording_dir(out: Path, media: Path) -> Path:
    return Path(out) / Path(media).stem


def stage_transcribe(
    media_path: Path,
    out_dir: Path,
    options: TranscribeOptions,
    progress: ProgressFn | None = None,
) -> tuple[Transcript, bool]:
    """Transcribe unless an identical transcript is cached; returns (transcript, cached)."""
    out_dir = ensure_dir(Path(out_dir))
    manifest = Manifest.load(out_dir)
    media = probe(Path(media_path), allow_partial=options.allow_partial)
    key = cache_key(media, options)
    manifest.set(
        input={"path": str(media_path), "sha256": media.sha256, "duration": media.duration},
        model=options.model,
    )
    cached = load_cached(out_dir / "transcript.json", key)
    if cached is not None:
        log.info("%s: reusing cached transcript", media_path)
        manifest.record("transcribe", "ok", key=key, seconds=0.0, cached=True)
        _raise_if_silent(cached, media_path)
        return cached, True
    stats = AudioStats()
    t0 = time.perf_counter()
    try:
        transcript = transcribe(media_path, options, media=media, progress=progress, stats=stats)
    except Exception as exc:
        manifest.record("transcribe", "failed", key=key, error=str(exc))
        raise
    write_transcript(out_dir, transcript)
    if stats.envelope:
        with atomic_path(out_dir / ENVELOPE_FILE) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.asarray(stats.envelope, dtype=np.float32))
    manifest.record(
        "transcribe",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        cached=False,
        rtf=round(transcript.seconds / max(media.duration, 1e-6), 4),
        language=transcript.language,
        options=options.output_key(),
    )
    _raise_if_silent(transcript, media_path)
    return transcript, False


def _raise_if_silent(transcript: Transcript, media_path: Path) -> None:
    peak = transcript.options.get("peak_dbfs")
    if not transcript.segments and (peak is None or peak < SILENCE_DBFS):
        level = "no signal at all" if peak is None else f"peak {peak:.0f} dBFS"
        raise SilentMediaError(
            f"{media_path}: audio is silent ({level}); wrote an empty transcript, nothing to review"
        )


def load_envelope(out_dir: Path) -> tuple[np.ndarray, float] | None:
    path = Path(out_dir) / ENVELOPE_FILE
    if not path.exists():
        return None
    return np.load(path), ENVELOPE_HOP


def findings_document(scanner: Scanner, transcript: Transcript, findings: list[Finding]) -> dict:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("block", "review", "info")}
    return {
        "schema_version": 1,
        "media": transcript.media.to_dict(),
        "rules": scanner.headers,
        "summary": counts,
        "findings": [f.to_dict() for f in findings],
    }


def stage_scan(transcript: Transcript, out_dir: Path, scanner: Scanner) -> list[Finding]:
    """Scan a transcript; skipped when neither the transcript nor the rules changed."""
    out_dir = ensure_dir(Path(out_dir))
    manifest = Manifest.load(out_dir)
    key = stage_key(transcript.cache_key, scanner.fingerprint)
    path = out_dir / "findings.json"
    if manifest.is_done("scan", key, [path]):
        try:
            return [Finding.from_dict(f) for f in read_json(path)["findings"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable: scan again
    t0 = time.perf_counter()
    findings = scanner.scan(transcript)
    write_json(path, findings_document(scanner, transcript, findings))
    manifest.record(
        "scan",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        rules=scanner.headers,
        findings=len(findings),
    )
    return findings


def load_transcript_input(path: Path) -> Transcript:
    """A ``transcript.json`` given to ``scan`` instead of media."""
    try:
        return Transcript.from_dict(read_json(Path(path)))
    except (OSError, ValueError) as exc:
        raise MediaError(f"{path}: cannot read transcript: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise MediaError(f"{path}: not a clipguard transcript.json (missing {exc})") from None


def write_recording_report(out_dir: Path, transcript: Transcript) -> Path:
    """(Re)write report.html from whatever stage outputs exist in ``out_dir``."""
    from clipguard.report import write_report

    out_dir = Path(out_dir)

    def maybe(name: str) -> dict | None:
        path = out_dir / name
        try:
            return read_json(path) if path.exists() else None
        except (OSError, ValueError):
            return None

    return write_report(
        out_dir,
        transcript=transcript.to_dict(),
        findings=maybe("findings.json") or {"rules": [], "findings": []},
        highlights=maybe("highlights.json"),
        clips=maybe("clips/clips.json"),
    )
