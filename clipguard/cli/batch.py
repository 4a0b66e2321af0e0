"""``clipguard batch``: parse, call ``run_batch`` (or ``watch``), print one line per
recording."""

from __future__ import annotations

from dataclasses import replace
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
    ComputeType,
    Count,
    Device,
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
from clipguard.cli.output import batch_line
from clipguard.progress import progress_bar

if TYPE_CHECKING:
    from clipguard.pipeline.result import RecordingResult


@app.command()
@guarded
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
    """Process a folder of recordings unattended; exit 3 when some failed."""
    from clipguard.pipeline.batch import BatchOptions, discover, nothing_found, run_batch
    from clipguard.pipeline.batch.watch import watch

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
    )
    bopts = BatchOptions(
        run=replace(options_, clips=not no_clips), workers=workers, scheduler=scheduler
    )
    show = not (quiet or json_out)

    def echo(r: RecordingResult) -> None:
        if show:
            typer.echo(batch_line(r), err=r.status == "failed")

    if watch_mode:
        report = watch(
            target,
            out,
            bopts,
            settle=settle,
            max_idle=max_idle,
            on_result=echo,
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
                echo(r)

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
        json_out,
        quiet,
        f"batch: {', '.join(f'{v} {k}' for k, v in counts.items()) or 'nothing to do'} -> {Path(out) / 'batch.html'}",
    )
    if report.failed:
        raise typer.Exit(3)
