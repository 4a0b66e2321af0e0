"""transcribe, scan, clip and run: each parses, makes one library call per
recording, and prints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clipguard.cli.app import app, emit, guarded
from clipguard.cli.options import (
    DEFAULT_OUT,
    DEFAULT_TIMELINE,
    HIGHLIGHT,
    RENDER,
    RUN,
    TRANSCRIBE,
    AllowPartial,
    Aspect,
    Chat,
    ComputeType,
    Count,
    Device,
    FailOn,
    Font,
    Gate,
    Glossary,
    Hotwords,
    JsonOut,
    Language,
    LinkMedia,
    Logo,
    MaxSeconds,
    MinSeconds,
    Model,
    NoAcoustic,
    NoScreen,
    Out,
    PromoText,
    Quiet,
    Rules,
    Timeline,
    Weights,
    highlight_options,
    render_options,
    run_options,
    transcribe_options,
)
from clipguard.cli.output import summary
from clipguard.options import RunOptions
from clipguard.progress import StageProgress, progress_bar

if TYPE_CHECKING:
    from clipguard.pipeline.result import RecordingResult

MediaArg = Annotated[list[Path], typer.Argument(help="Recordings (any format ffmpeg reads).")]
Call = Callable[[Path, "StageProgress | None"], "RecordingResult"]


def _finish(
    results: list[RecordingResult], json_out: bool, quiet: bool, fail_on: str | None = None
) -> None:
    failed = fail_on is not None and any(r.fails(fail_on) for r in results)
    if json_out:
        doc: dict[str, Any] = {"recordings": [r.to_dict() for r in results]}
        if fail_on:
            doc.update(fail_on=fail_on, failed=failed)
        emit(doc, True, quiet, "")
    if failed:
        raise typer.Exit(1)


def _each(
    media: list[Path], show: bool, call: Call, *, clips: bool = False
) -> list[RecordingResult]:
    results = []
    for path in media:
        with progress_bar(path.name, show) as bar:
            result = call(path, bar)
        results.append(result)
        if show:
            typer.echo(summary(result, clips=clips))
    return results


@app.command()
@guarded
def transcribe(
    media: MediaArg,
    model: Model = TRANSCRIBE.model,
    language: Language = "auto",
    device: Device = TRANSCRIBE.device,
    compute_type: ComputeType = TRANSCRIBE.compute_type,
    hotwords: Hotwords = "auto",
    allow_partial: AllowPartial = TRANSCRIBE.allow_partial,
    out: Out = DEFAULT_OUT,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Transcribe recordings offline: transcript.json, .srt, .vtt and manifest.json."""
    from clipguard.pipeline.run import transcribe_recording

    options_ = transcribe_options(
        model=model,
        language=language,
        device=device,
        compute_type=compute_type,
        hotwords=hotwords,
        allow_partial=allow_partial,
    )
    results = []
    show = not (quiet or json_out)
    for path in media:
        with progress_bar(path.name, show) as bar:
            r = transcribe_recording(path, out, options_, bar)
        results.append(r)
        if show:
            cov = f", coverage {100 * r.coverage:.1f}%" if r.coverage is not None else ""
            typer.echo(
                f"{path.name}: language {r.language}{cov}{' (cached)' if r.cached_transcript else ''}"
                f" -> {Path(r.out_dir) / 'transcript.json'}"
                + (f"\n  REVIEW: {r.note}" if r.status == "review" else "")
            )
    _finish(results, json_out, quiet)


@app.command()
@guarded
def scan(
    inputs: Annotated[
        list[Path], typer.Argument(metavar="INPUT...", help="Media files or transcript.json files.")
    ],
    rules: Rules = None,
    link_media: LinkMedia = RUN.link_media,
    no_screen: NoScreen = False,
    no_acoustic: NoAcoustic = False,
    fail_on: FailOn = "block",
    model: Model = TRANSCRIBE.model,
    language: Language = "auto",
    device: Device = TRANSCRIBE.device,
    compute_type: ComputeType = TRANSCRIBE.compute_type,
    hotwords: Hotwords = "auto",
    allow_partial: AllowPartial = TRANSCRIBE.allow_partial,
    out: Out = DEFAULT_OUT,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Find rule violations: findings.json and report.html per recording."""
    from clipguard.compliance_rules.scanner import scanner_for
    from clipguard.pipeline.result import check_fail_on
    from clipguard.pipeline.run import scan_recording

    check_fail_on(fail_on)
    options_ = run_options(
        transcribe=transcribe_options(
            model=model,
            language=language,
            device=device,
            compute_type=compute_type,
            hotwords=hotwords,
            allow_partial=allow_partial,
        ),
        rules=rules,
        link_media=link_media,
        no_screen=no_screen,
        no_acoustic=no_acoustic,
    )
    scanner = scanner_for(options_.rules)

    def call(path: Path, bar: StageProgress | None) -> RecordingResult:
        return scan_recording(path, out, options_, scanner=scanner, progress=bar)

    _finish(_each(inputs, not (quiet or json_out), call), json_out, quiet, fail_on)


def _clip_like(
    media: list[Path], out: Path, options_: RunOptions, show: bool
) -> list[RecordingResult]:
    from clipguard.compliance_rules.scanner import scanner_for
    from clipguard.pipeline.run import process_recording

    scanner = scanner_for(options_.rules)

    def call(path: Path, bar: StageProgress | None) -> RecordingResult:
        return process_recording(path, out, options_, scanner=scanner, progress=bar)

    return _each(media, show, call, clips=True)


@app.command()
@guarded
def clip(
    media: MediaArg,
    count: Count = HIGHLIGHT.count,
    min_seconds: MinSeconds = HIGHLIGHT.min_seconds,
    max_seconds: MaxSeconds = HIGHLIGHT.max_seconds,
    aspect: Aspect = RENDER.aspect,
    promo_text: PromoText = RENDER.promo_text,
    gate: Gate = HIGHLIGHT.gate,
    font: Font = None,
    logo: Logo = None,
    weights: Weights = "",
    glossary: Glossary = None,
    chat: Chat = None,
    rules: Rules = None,
    link_media: LinkMedia = RUN.link_media,
    timeline: Timeline = DEFAULT_TIMELINE,
    no_screen: NoScreen = False,
    no_acoustic: NoAcoustic = False,
    model: Model = TRANSCRIBE.model,
    language: Language = "auto",
    device: Device = TRANSCRIBE.device,
    compute_type: ComputeType = TRANSCRIBE.compute_type,
    hotwords: Hotwords = "auto",
    allow_partial: AllowPartial = TRANSCRIBE.allow_partial,
    out: Out = DEFAULT_OUT,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Cut the best moments into compliance-gated vertical promo clips."""
    options_ = run_options(
        transcribe=transcribe_options(
            model=model,
            language=language,
            device=device,
            compute_type=compute_type,
            hotwords=hotwords,
            allow_partial=allow_partial,
            glossary=glossary,
        ),
        rules=rules,
        link_media=link_media,
        timeline=timeline,
        no_screen=no_screen,
        no_acoustic=no_acoustic,
        highlight=highlight_options(
            count=count,
            min_seconds=min_seconds,
            max_seconds=max_seconds,
            gate=gate,
            weights_=weights,
        ),
        render=render_options(
            aspect=aspect, font=font, promo_text=promo_text, logo=logo, glossary=glossary
        ),
        chat=chat,
        require_video=True,
    )
    _finish(_clip_like(media, out, options_, not (quiet or json_out)), json_out, quiet)


@app.command()
@guarded
def run(
    media: MediaArg,
    fail_on: FailOn = "block",
    count: Count = HIGHLIGHT.count,
    min_seconds: MinSeconds = HIGHLIGHT.min_seconds,
    max_seconds: MaxSeconds = HIGHLIGHT.max_seconds,
    aspect: Aspect = RENDER.aspect,
    promo_text: PromoText = RENDER.promo_text,
    gate: Gate = HIGHLIGHT.gate,
    font: Font = None,
    logo: Logo = None,
    weights: Weights = "",
    glossary: Glossary = None,
    chat: Chat = None,
    rules: Rules = None,
    link_media: LinkMedia = RUN.link_media,
    timeline: Timeline = DEFAULT_TIMELINE,
    no_screen: NoScreen = False,
    no_acoustic: NoAcoustic = False,
    model: Model = TRANSCRIBE.model,
    language: Language = "auto",
    device: Device = TRANSCRIBE.device,
    compute_type: ComputeType = TRANSCRIBE.compute_type,
    hotwords: Hotwords = "auto",
    allow_partial: AllowPartial = TRANSCRIBE.allow_partial,
    out: Out = DEFAULT_OUT,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Transcribe, scan, cut clips and write report.html + manifest.json per recording."""
    from clipguard.pipeline.result import check_fail_on

    check_fail_on(fail_on)
    options_ = run_options(
        transcribe=transcribe_options(
            model=model,
            language=language,
            device=device,
            compute_type=compute_type,
            hotwords=hotwords,
            allow_partial=allow_partial,
            glossary=glossary,
        ),
        rules=rules,
        link_media=link_media,
        timeline=timeline,
        no_screen=no_screen,
        no_acoustic=no_acoustic,
        highlight=highlight_options(
            count=count,
            min_seconds=min_seconds,
            max_seconds=max_seconds,
            gate=gate,
            weights_=weights,
        ),
        render=render_options(
            aspect=aspect, font=font, promo_text=promo_text, logo=logo, glossary=glossary
        ),
        chat=chat,
    )
    _finish(_clip_like(media, out, options_, not (quiet or json_out)), json_out, quiet, fail_on)
