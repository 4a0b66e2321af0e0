"""``clipguard recap``: parse, call ``recap_sources``, print one line per recording."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clipguard.cli.app import app, emit, guarded
from clipguard.cli.options import (
    DEFAULT_OUT,
    RUN,
    TRANSCRIBE,
    AllowPartial,
    Chat,
    ComputeType,
    Device,
    Hotwords,
    JsonOut,
    Language,
    LinkMedia,
    Model,
    NoAcoustic,
    NoScreen,
    Out,
    Quiet,
    Rules,
    run_options,
    transcribe_options,
)
from clipguard.options import RecapOptions, defaults
from clipguard.progress import progress_bar


def _line(root: Path, s: dict[str, Any]) -> str:
    resp = "–" if s["cta_response"] is None else f"{s['cta_response']:.2f}x"
    return (
        f"{root.name}: talk {100 * s['talk_ratio']:.0f}%, {s['chars_per_minute']:.0f}/min, "
        f"dead air {s['dead_air_count']} ({s['dead_air_seconds']:.0f} s), "
        f"{s['calls_to_action']} calls to action (response {resp}), "
        f"{s['unanswered_groups']} unanswered question(s) -> {root / 'recap.html'}"
    )


RECAP = defaults(RecapOptions)


@app.command()
@guarded
def recap(
    sources: Annotated[
        list[Path],
        typer.Argument(
            metavar="OUT_DIR_OR_MEDIA...",
            help="Recording folders (OUT/<stem>) or media files (processed first).",
        ),
    ],
    products: Annotated[
        Path | None,
        typer.Option("--products", help="Product file (YAML or CSV: name, aliases, price, link)."),
    ] = None,
    dead_air: Annotated[
        float, typer.Option("--dead-air", help="Seconds without speech that count as dead air.")
    ] = RECAP.dead_air,
    cues: Annotated[
        Path | None, typer.Option("--cues", help="An edited cue pack (default: the shipped one).")
    ] = None,
    chat: Chat = None,
    rules: Rules = None,
    link_media: LinkMedia = RUN.link_media,
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
    """复盘: the morning-after review (recap.json, recap.html; recap_compare.html for several)."""
    from clipguard.pipeline.recap import COMPARE_HTML, recap_options, recap_sources

    recap_opts = recap_options(dead_air, products, cues)
    show = not (quiet or json_out)
    # media inputs are processed first; folders need no pipeline options (and building
    # them imports the clip renderer)
    options_ = None
    if any(p.is_file() for p in sources):
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
    with progress_bar("recap", show) as bar:
        done = recap_sources(
            sources,
            out,
            recap_opts,
            chat=chat,
            rules=tuple(rules or ()),
            run_options=options_,
            link_media=None if link_media == RUN.link_media else link_media,
            progress=bar,
        )
    compare = Path(out) / COMPARE_HTML if len(done) > 1 else None
    rows = [
        {
            "out_dir": str(layout.root),
            "recap_json": str(layout.recap),
            "recap_html": str(layout.recap_html),
            "summary": r.summary(),
        }
        for layout, r in done
    ]
    human = "\n".join(_line(layout.root, r.summary()) for layout, r in done)
    if compare is not None:
        human += f"\ncompare: {compare}"
    emit(
        {"recordings": rows, "compare": str(compare) if compare else None},
        json_out,
        quiet,
        human,
    )
