"""transcribe, scan, clip, run and batch: each parses, makes one library call per
recording, and prints."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from clipguard.cli.app import app, emit, guarded
from clipguard.cli.options import (
    CHAT,
    CLIP,
    COMMON,
    DETECTION,
    FAIL_ON,
    GLOSSARY,
    RULES,
    TRANSCRIBE,
    options,
    run_options,
    transcribe_options,
)
from clipguard.cli.output import batch_line, summary
from clipguard.progress import progress_bar

MediaArg = Annotated[list[Path], typer.Argument(help="Recordings (any format ffmpeg reads).")]


def _finish(results: list[Any], opts: dict[str, Any], fail_on: str | None = None) -> None:
    failed = bool(fail_on) and any(r.fails(fail_on) for r in results)
    if opts["json_out"]:
        doc: dict[str, Any] = {"recordings": [r.to_dict() for r in results]}
        if fail_on:
            doc.update(fail_on=fail_on, failed=failed)
        emit(doc, True, opts["quiet"], "")
    if failed:
        raise typer.Exit(1)


def _each(media: list[Path], opts: dict[str, Any], call: Any, *, clips: bool = False) -> list[Any]:
    results = []
    show = not (opts["quiet"] or opts["json_out"])
    for path in media:
        with progress_bar(path.name, show) as bar:
            result = call(path, bar)
        results.append(result)
        if show:
            typer.echo(summary(result, clips=clips))
    return results


@app.command()
@guarded
@options(TRANSCRIBE, COMMON)
def transcribe(media: MediaArg, **opts: Any) -> None:
    """Transcribe recordings offline: transcript.json, .srt, .vtt and manifest.json."""
    from clipguard.pipeline.run import transcribe_recording

    options_ = transcribe_options(opts)
    results = []
    show = not (opts["quiet"] or opts["json_out"])
    for path in media:
        with progress_bar(path.name, show) as bar:
            r = transcribe_recording(path, opts["out"], options_, bar)
        results.append(r)
        if show:
            cov = f", coverage {100 * r.coverage:.1f}%" if r.coverage is not None else ""
            typer.echo(
                f"{path.name}: language {r.language}{cov}{' (cached)' if r.cached_transcript else ''}"
                f" -> {Path(r.out_dir) / 'transcript.json'}"
                + (f"\n  REVIEW: {r.note}" if r.status == "review" else "")
            )
    _finish(results, opts)


@app.command()
@guarded
@options(RULES, DETECTION, FAIL_ON, TRANSCRIBE, COMMON)
def scan(
    inputs: Annotated[
        list[Path], typer.Argument(metavar="INPUT...", help="Media files or transcript.json files.")
    ],
    **opts: Any,
) -> None:
    """Find rule violations: findings.json and report.html per recording."""
    from clipguard.compliance_rules.scanner import scanner_for
    from clipguard.pipeline.result import check_fail_on
    from clipguard.pipeline.run import scan_recording

    check_fail_on(opts["fail_on"])
    options_ = run_options(opts)
    scanner = scanner_for(options_.rules)

    def call(path: Path, bar: Any) -> Any:
        return scan_recording(path, opts["out"], options_, scanner=scanner, progress=bar)

    _finish(_each(inputs, opts, call), opts, opts["fail_on"])


def _clip_like(
    media: list[Path], opts: dict[str, Any], fail_on: str | None, **overrides: Any
) -> None:
    from clipguard.compliance_rules.scanner import scanner_for
    from clipguard.pipeline.run import process_recording

    options_ = run_options(opts, **overrides)
    scanner = scanner_for(options_.rules)

    def call(path: Path, bar: Any) -> Any:
        return process_recording(path, opts["out"], options_, scanner=scanner, progress=bar)

    _finish(_each(media, opts, call, clips=True), opts, fail_on)


@app.command()
@guarded
@options(CLIP, GLOSSARY, CHAT, RULES, DETECTION, TRANSCRIBE, COMMON)
def clip(media: MediaArg, **opts: Any) -> None:
    """Cut the best moments into compliance-gated vertical promo clips."""
    _clip_like(media, opts, None, require_video=True)


@app.command()
@guarded
@options(FAIL_ON, CLIP, GLOSSARY, CHAT, RULES, DETECTION, TRANSCRIBE, COMMON)
def run(media: MediaArg, **opts: Any) -> None:
    """Transcribe, scan, cut clips and write report.html + manifest.json per recording."""
    from clipguard.pipeline.result import check_fail_on

    check_fail_on(opts["fail_on"])
    _clip_like(media, opts, opts["fail_on"])


@app.command()
@guarded
@options(CLIP, GLOSSARY, RULES, DETECTION, TRANSCRIBE, COMMON)
def batch(
    target: Annotated[
        str,
        typer.Argument(metavar="DIR_OR_GLOB", help="A folder (searched recursively) or a glob."),
    ],
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Parallel recordings (0: from the core count).")
    ] = 0,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler, e.g. tcp://host:8786.")
    ] = None,
    watch_mode: Annotated[
        bool, typer.Option("--watch", help="Keep watching for new recordings.")
    ] = False,
    settle: Annotated[
        float, typer.Option("--settle", help="--watch: seconds a file must stop growing.")
    ] = 10.0,
    max_idle: Annotated[
        float | None, typer.Option("--max-idle", help="--watch: stop after this many idle seconds.")
    ] = None,
    no_clips: Annotated[
        bool, typer.Option("--no-clips", help="Transcribe, scan and report only.")
    ] = False,
    **opts: Any,
) -> None:
    """Process a folder of recordings unattended; exit 3 when some failed."""
    from clipguard.pipeline.batch import BatchOptions, discover, nothing_found, run_batch
    from clipguard.pipeline.batch.watch import watch

    out = opts["out"]
    options_ = run_options(opts)
    bopts = BatchOptions(
        run=replace(options_, clips=not no_clips), workers=workers, scheduler=scheduler
    )
    show = not (opts["quiet"] or opts["json_out"])
    if watch_mode:
        report = watch(
            target,
            out,
            bopts,
            settle=settle,
            max_idle=max_idle,
            on_result=lambda r: show and typer.echo(batch_line(r), err=r.status == "failed"),
        )
    else:
        files = discover(target, out)
        if not files:
            raise nothing_found(target)
        with progress_bar(f"batch of {len(files)}", show, total=len(files)) as bar:
            done = [0]

            def on_result(r: Any) -> None:
                done[0] += 1
                if bar:
                    bar(done[0], len(files), f"{done[0]}/{len(files)} recordings")
                if show:
                    typer.echo(batch_line(r), err=r.status == "failed")

            report = run_batch(files, out, bopts, on_result=on_result)
    counts = report.summary()
    emit(
        {
            "out": str(out),
            "summary": counts,
            "batch_json": str(Path(out) / "batch.json"),
            "recordings": [r.to_dict() for r in report.results.values()],
            "failed": [{"media": r.media, "error": r.error} for r in report.failed],
        },
        opts["json_out"],
        opts["quiet"],
        f"batch: {', '.join(f'{v} {k}' for k, v in counts.items()) or 'nothing to do'} -> {Path(out) / 'batch.html'}",
    )
    if report.failed:
        raise typer.Exit(3)
