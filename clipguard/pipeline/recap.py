"""The ``recap`` stage: read a recording folder's outputs, write recap.json and
recap.html; and ``recap_compare.html`` across several recordings.

Everything is read and computed before anything is written, so a bad chat log or
product file leaves the folder as it was; both files are written atomically. The
stage is cheap (no media is decoded), so like the report it is never skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.chat import read_chat
from clipguard.compliance_rules.scanner import Scanner, scanner_for
from clipguard.errors import MediaError, UsageError
from clipguard.models import Finding, Transcript
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.recap import Recap, RecapInputs, RecapOptions, build_recap, load_products
from clipguard.writers import read_json, write_json, write_text

log = logging.getLogger(__name__)

COMPARE_HTML = "recap_compare.html"
PRODUCT_SUFFIXES = (".products.yaml", ".products.yml", ".products.csv")


def recap_options(
    dead_air: float = 8.0, products: Path | None = None, cues: Path | None = None
) -> RecapOptions:
    """Options from the command line's values (the product file is read here, so a bad
    line fails before any recording is touched)."""
    return RecapOptions(
        dead_air=dead_air,
        products=load_products(products) if products else (),
        products_file=str(products or ""),
        cues_file=str(cues or ""),
    )


def _json(path: Path, what: str) -> Any:
    try:
        return read_json(path)
    except (OSError, ValueError) as exc:
        raise MediaError(f"{path}: cannot read {what}: {exc}") from None


def _chat_path(layout: RecordingLayout, media: Path, chat: Path | None) -> Path | None:
    """The chat log: given, else the one ``run`` used, else one beside the media."""
    if chat is not None:
        return Path(chat)
    used = Manifest.load(layout.manifest).data.get("options", {}).get("chat")
    if used and Path(used).exists():
        return Path(used)
    from clipguard.pipeline.run import find_chat  # the one convention for chat beside media

    return find_chat(media)


def _products_beside(media: Path) -> Path | None:
    for suffix in PRODUCT_SUFFIXES:
        candidate = media.with_name(media.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def load_inputs(layout: RecordingLayout, chat: Path | None = None) -> RecapInputs:
    """A recording folder's outputs as the recap reads them (transcript required)."""
    if not layout.transcript.exists():
        raise UsageError(
            f"{layout.root}: no transcript.json here: not a clipguard recording folder "
            "(give the media file, or run `clipguard run` first)"
        )
    doc = _json(layout.transcript, "transcript")
    try:
        transcript = Transcript.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise MediaError(f"{layout.transcript}: not a clipguard transcript ({exc})") from None
    findings: tuple[Finding, ...] = ()
    if layout.findings.exists():
        rows = _json(layout.findings, "findings").get("findings", [])
        findings = tuple(Finding.from_dict(f) for f in rows)
    tracks: tuple[dict[str, Any], ...] = ()
    if layout.screen.exists():
        tracks = tuple(_json(layout.screen, "screen text").get("tracks", []))
    envelope = None
    if layout.envelope.exists():
        try:
            envelope = np.load(layout.envelope, allow_pickle=False)
        except (OSError, ValueError) as exc:
            log.warning("%s: loudness unreadable (%s); recap without it", layout.envelope, exc)
    path = _chat_path(layout, Path(transcript.media.path), chat)
    messages = tuple(read_chat(path)) if path else ()
    return RecapInputs(
        transcript,
        findings,
        messages,
        envelope,
        tracks,
        extra={"chat": str(path) if path else ""},
    )


def stage_recap(
    layout: RecordingLayout,
    options: RecapOptions | None = None,
    *,
    chat: Path | None = None,
    scanner: Scanner | None = None,
    link_media: str | None = None,
) -> Recap:
    """Write recap.json and recap.html for one recording folder.

    Arguments:
        layout: the recording's folder (its transcript.json must exist).
        options: dead-air threshold, products, cue pack (default: 8 s, a product file
            ``<stem>.products.yaml``/``.csv`` beside the media if there is one).
        chat: the chat log (default: the one ``run`` used, or one beside the media).
        scanner: the rules to scan the chat with (default: those the recording was
            scanned with).
        link_media: how the page's video refers to the media (default: as the report).
    Raises:
        UsageError, MediaError: bad folder, chat log or product file; nothing written.
    """
    from clipguard.report.recap_page import render_recap

    t0 = time.perf_counter()
    manifest = Manifest.load(layout.manifest)
    run_opts = manifest.data.get("options", {})
    inputs = load_inputs(layout, chat)
    options = options or RecapOptions()
    if not options.products_file:
        found = _products_beside(Path(inputs.transcript.media.path))
        if found is not None:
            options = replace(options, products=load_products(found), products_file=str(found))
    if scanner is None:
        scanner = scanner_for(tuple(run_opts.get("rules") or ()))
    recap = build_recap(inputs, options, scanner=scanner)
    data = recap.to_dict()
    data["options"]["chat"] = inputs.extra.get("chat", "")
    page = render_recap(data, layout.root, link_media or run_opts.get("link_media") or "absolute")
    write_json(layout.recap, data)
    write_text(layout.recap_html, page)
    manifest = Manifest.load(layout.manifest)  # the report stage may have saved meanwhile
    manifest.record(
        "recap",
        "ok",
        seconds=time.perf_counter() - t0,
        dead_air=len(recap.dead_air),
        unanswered=data["summary"]["unanswered_groups"],
    )
    return recap


def recap_sources(
    sources: Sequence[Path],
    out_root: Path,
    options: RecapOptions,
    *,
    chat: Path | None = None,
    rules: tuple[str, ...] = (),
    run_options: Any = None,
    link_media: str | None = None,
    progress: Any = None,
) -> list[tuple[RecordingLayout, Recap]]:
    """``clipguard recap``: each source is a recording folder (``OUT/<stem>``) or a
    media file, processed first (transcribe, screen, scan, report) into ``out_root``.
    With two or more, ``recap_compare.html`` is written into ``out_root``.
    ``link_media`` None: each page links the video as its report did."""
    from clipguard.pipeline.run import RunOptions, scan_recording

    if chat is not None and len(sources) > 1:
        raise UsageError(
            "chat names one recording's chat log: give one recording with it", params=("chat",)
        )
    scanner = scanner_for(tuple(rules)) if rules else None
    done = []
    for src in sources:
        src = Path(src)
        if src.is_dir():
            layout = RecordingLayout(src)
        elif src.is_file():
            run_opts = run_options or RunOptions(rules=tuple(rules))
            if chat is not None:
                run_opts = replace(run_opts, chat=str(chat))
            scan_recording(src, out_root, run_opts, scanner=scanner, progress=progress)
            layout = RecordingLayout.of(out_root, src)
        else:
            raise UsageError(f"{src}: no such recording folder or media file")
        recap = stage_recap(layout, options, chat=chat, scanner=scanner, link_media=link_media)
        done.append((layout, recap))
    if len(done) > 1:
        write_compare([layout.root for layout, _ in done], Path(out_root) / COMPARE_HTML)
    return done


def write_compare(folders: Sequence[Path], dest: Path) -> Path | None:
    """``recap_compare.html``: one row per recording that has a recap.json (None when
    fewer than one has)."""
    from clipguard.report.recap_compare import render_compare

    rows = []
    for folder in folders:
        path = RecordingLayout(Path(folder)).recap
        if not path.exists():
            continue
        data = _json(path, "recap")
        rows.append({**data.get("summary", {}), "folder": str(Path(folder).resolve())})
    if not rows:
        return None
    return write_text(dest, render_compare(rows, Path(dest).parent))
