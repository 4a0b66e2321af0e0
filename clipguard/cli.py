"""Thin typer layer: parse options, call one library function, print a summary.

All error handling lives in ``_guarded``: a ``ClipguardError`` becomes one stderr line
and exit code 2; nothing else the library raises reaches the user as a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from clipguard.errors import ClipguardError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Make recorded live streams safe to publish and cheap to promote.",
)


def _version(value: bool) -> None:
    if value:
        from clipguard import __version__

        typer.echo(f"clipguard {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Make recorded live streams safe to publish and cheap to promote."""


rules_app = typer.Typer(no_args_is_help=True, help="List, show, lint and try rule packs.")
app.add_typer(rules_app, name="rules")

F = TypeVar("F", bound=Callable[..., Any])

OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Output root; each recording gets OUT/<stem>/.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable summary on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary output.")]
ModelOpt = Annotated[
    str, typer.Option("--model", help="base (bundled), a CTranslate2 model dir, or a size name.")
]
LangOpt = Annotated[
    str, typer.Option("--language", help="auto, zh, en, or any Whisper language code.")
]
DeviceOpt = Annotated[str, typer.Option("--device", help="cpu or cuda.")]
ComputeOpt = Annotated[
    str, typer.Option("--compute-type", help="int8 (CPU default), float16 for GPUs...")
]
HotwordsOpt = Annotated[
    str,
    typer.Option(
        "--hotwords", help="auto (rule-pack terms, Chinese only), none, or your own words."
    ),
]
PartialOpt = Annotated[
    bool, typer.Option("--allow-partial", help="Process the readable part of a truncated file.")
]
DEFAULT_OUT = Path("clipguard-out")


def _setup_logging(quiet: bool, json_mode: bool) -> None:
    level = logging.ERROR if (quiet or json_mode) else logging.WARNING
    if os.environ.get("CLIPGUARD_DEBUG"):
        level = logging.DEBUG
    logging.basicConfig(
        level=level, format="clipguard: %(levelname)s: %(message)s", stream=sys.stderr
    )
    for handler in logging.getLogger().handlers:  # batch raises clipguard's level for its log file
        handler.setLevel(level)
    for noisy in ("faster_whisper", "numba", "distributed", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"clipguard: error: {message}", err=True)
    return typer.Exit(code)


def _guarded(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _setup_logging(kwargs.get("quiet", False), kwargs.get("json_out", False))
        try:
            return fn(*args, **kwargs)
        except ClipguardError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise _fail("interrupted", 130) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if os.environ.get("CLIPGUARD_DEBUG"):
                raise
            raise _fail(
                f"internal error: {type(exc).__name__}: {exc} (set CLIPGUARD_DEBUG=1 for details)"
            ) from None

    return wrapper  # type: ignore[return-value]


def _emit(summary: dict[str, Any], json_out: bool, quiet: bool, human: str) -> None:
    if json_out:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    elif not quiet:
        typer.echo(human)


def _language(value: str) -> str | None:
    return None if value in ("", "auto") else value


def _transcribe_options(
    model: str,
    language: str,
    device: str,
    compute_type: str,
    allow_partial: bool,
    hotwords: str = "auto",
) -> Any:
    from clipguard.asr.transcribe import TranscribeOptions

    return TranscribeOptions(
        model=model,
        language=_language(language),
        device=device,
        compute_type=compute_type,
        allow_partial=allow_partial,
        hotwords=_hotwords(hotwords),
    )


def _hotwords(value: str) -> str | None:
    if value == "none" or not value:
        return None
    if value != "auto":
        return value
    from clipguard.compliance_rules.scanner import default_hotwords

    return default_hotwords()


@app.command()
@_guarded
def transcribe(
    media: Annotated[list[Path], typer.Argument(help="Recordings (any format ffmpeg reads).")],
    model: ModelOpt = "base",
    language: LangOpt = "auto",
    out: OutOpt = DEFAULT_OUT,
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    hotwords: HotwordsOpt = "auto",
    allow_partial: PartialOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Transcribe recordings offline: transcript.json, .srt, .vtt and manifest.json."""
    from clipguard.pipeline.stages import recording_dir, stage_transcribe
    from clipguard.progress import progress_bar

    options = _transcribe_options(model, language, device, compute_type, allow_partial, hotwords)
    results = []
    for path in media:
        out_dir = recording_dir(out, path)
        with progress_bar(f"transcribe {path.name}", not (quiet or json_out)) as bar:
            transcript, cached = stage_transcribe(path, out_dir, options, bar)
        results.append(
            {
                "media": str(path),
                "out": str(out_dir),
                "language": transcript.language,
                "segments": len(transcript.segments),
                "duration": transcript.media.duration,
                "cached": cached,
                "seconds": round(transcript.seconds, 2),
            }
        )
        _emit(
            results[-1],
            False,
            quiet or json_out,
            f"{path.name}: {len(transcript.segments)} segments, language {transcript.language}"
            f"{' (cached)' if cached else ''} -> {out_dir / 'transcript.json'}",
        )
    if json_out:
        _emit({"recordings": results}, True, quiet, "")


RulesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rules", "-r", help="Built-in pack name(s) (default: all) and/or rule pack files to add."
    ),
]
FailOnOpt = Annotated[
    str,
    typer.Option("--fail-on", help="Exit 1 when a finding is at or above: block, review, never."),
]


def _check_fail_on(value: str) -> str:
    if value not in ("block", "review", "info", "never"):
        raise UsageError(f"--fail-on must be block, review, info or never (got {value!r})")
    return value


def _should_fail(findings: list[Any], fail_on: str) -> bool:
    from clipguard.models import severity_rank

    if fail_on == "never":
        return False
    return any(severity_rank(f.severity) >= severity_rank(fail_on) for f in findings)


@app.command()
@_guarded
def scan(
    inputs: Annotated[
        list[Path], typer.Argument(metavar="INPUT...", help="Media files or transcript.json files.")
    ],
    rules: RulesOpt = None,
    out: OutOpt = DEFAULT_OUT,
    fail_on: FailOnOpt = "block",
    model: ModelOpt = "base",
    language: LangOpt = "auto",
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    hotwords: HotwordsOpt = "auto",
    allow_partial: PartialOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Find rule violations: findings.json and report.html per recording."""
    from clipguard.compliance_rules.packs import resolve_packs
    from clipguard.compliance_rules.scanner import Scanner
    from clipguard.pipeline.stages import (
        load_transcript_input,
        recording_dir,
        stage_scan,
        stage_transcribe,
        write_recording_report,
    )
    from clipguard.progress import progress_bar

    _check_fail_on(fail_on)
    scanner = Scanner(resolve_packs(rules))
    options = None
    results = []
    all_findings = []
    for path in inputs:
        if path.suffix.lower() == ".json":
            transcript = load_transcript_input(path)
            out_dir = recording_dir(out, Path(transcript.media.path))
        else:
            options = options or _transcribe_options(
                model, language, device, compute_type, allow_partial, hotwords
            )
            out_dir = recording_dir(out, path)
            with progress_bar(f"transcribe {path.name}", not (quiet or json_out)) as bar:
                transcript, _ = stage_transcribe(path, out_dir, options, bar)
        findings = stage_scan(transcript, out_dir, scanner)
        write_recording_report(out_dir, transcript)
        all_findings.extend(findings)
        counts = {
            sev: sum(1 for f in findings if f.severity == sev)
            for sev in ("block", "review", "info")
        }
        results.append(
            {
                "input": str(path),
                "out": str(out_dir),
                "findings": len(findings),
                "by_severity": counts,
            }
        )
        if not (quiet or json_out):
            typer.echo(
                f"{path.name}: {counts['block']} block, {counts['review']} review, {counts['info']} info -> {out_dir / 'report.html'}"
            )
            for f in findings:
                typer.echo(
                    f"  {f.start:8.2f}-{f.end:<8.2f} {f.severity:6} {f.category:18} {f.rule_id:24} {f.text}"
                )
    failed = _should_fail(all_findings, fail_on)
    if json_out:
        _emit({"recordings": results, "fail_on": fail_on, "failed": failed}, True, quiet, "")
    if failed:
        raise typer.Exit(1)


@rules_app.command("list")
@_guarded
def rules_list(json_out: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """List the built-in rule packs."""
    from clipguard.compliance_rules.packs import builtin_names, load_builtin

    packs = [load_builtin(n) for n in builtin_names()]
    rows = [
        {"pack": p.name, "version": p.version, "rules": len(p.rules), "description": p.description}
        for p in packs
    ]
    human = "\n".join(
        f"{r['pack']:20} {r['version']:8} {r['rules']:3} rules  {r['description']}" for r in rows
    )
    _emit({"packs": rows}, json_out, quiet, human)


@rules_app.command("show")
@_guarded
def rules_show(
    pack: Annotated[str, typer.Argument(help="Built-in pack name or pack file.")],
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show a pack's rules with their severity, source and terms."""
    from dataclasses import asdict

    from clipguard.compliance_rules.packs import resolve_packs

    p = (
        resolve_packs([pack])[-1]
        if not pack.endswith((".yaml", ".yml"))
        else resolve_packs(["all", pack])[-1]
    )
    lines = [f"{p.name} {p.version}: {p.description}"]
    for r in p.rules:
        lines.append(f"- {r.id} [{r.severity}] {r.category}: {r.description}")
        if r.source:
            lines.append(f"    source: {r.source}")
        for label, items in (
            ("terms", r.terms),
            ("patterns", r.patterns),
            ("token prefix", r.token_prefix),
        ):
            if items:
                lines.append(
                    f"    {label}: {', '.join(items[:12])}{' …' if len(items) > 12 else ''}"
                )
        for n in r.near:
            lines.append(
                f"    near: ({'/'.join(n.a[:6])}) within {n.within} of ({'/'.join(n.b[:6])})"
            )
    _emit(
        {"pack": p.name, "version": p.version, "rules": [asdict(r) for r in p.rules]},
        json_out,
        quiet,
        "\n".join(lines),
    )


@rules_app.command("lint")
@_guarded
def rules_lint(
    files: Annotated[list[Path], typer.Argument(help="Rule pack files to validate.")],
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Validate rule pack files; errors name the file, line and field."""
    from clipguard.compliance_rules.packs import load_pack_file
    from clipguard.compliance_rules.scanner import Scanner

    report = []
    for f in files:
        pack = load_pack_file(f)
        Scanner([pack])  # compiles every term and pattern
        report.append(
            {"file": str(f), "pack": pack.name, "rules": len(pack.rules), "allow": len(pack.allow)}
        )
    _emit(
        {"ok": True, "files": report},
        json_out,
        quiet,
        "\n".join(
            f"{r['file']}: ok ({r['rules']} rules, {r['allow']} allow entries)" for r in report
        ),
    )


@rules_app.command("test")
@_guarded
def rules_test(
    file: Annotated[
        str, typer.Argument(help="Rule pack file or built-in pack name ('all' for every built-in).")
    ],
    text: Annotated[str, typer.Option("--text", help="Text to try the rules on.")],
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show what matches in TEXT and why (which rule, term and match kind)."""
    from clipguard.compliance_rules.packs import resolve_packs
    from clipguard.compliance_rules.scanner import Document, Scanner

    scanner = Scanner(resolve_packs([file]))
    findings = scanner.scan(Document.from_text(text))
    lines = [
        f"{len(findings)} match(es) in {len(text)} characters (positions are character offsets)"
    ]
    for f in findings:
        lines.append(
            f"  [{int(f.start)}:{int(f.end)}] {f.severity:6} {f.rule_id:24} said “{f.text}” matched “{f.matched}” via {f.match}"
        )
    _emit({"findings": [f.to_dict() for f in findings]}, json_out, quiet, "\n".join(lines))


@rules_app.command("allowlist")
@_guarded
def rules_allowlist(
    decisions: Annotated[Path, typer.Argument(help="decisions.json exported from report.html.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Allowlist pack to write (merged if it exists).")
    ] = Path("allowlist.yaml"),
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Turn the reviewers' false positives into an allowlist pack for --rules."""
    from clipguard.compliance_rules.allowlist import allowlist_from_decisions

    path, added = allowlist_from_decisions(decisions, out)
    _emit(
        {"out": str(path), "added": added},
        json_out,
        quiet,
        f"{path}: {len(added)} allow entr{'y' if len(added) == 1 else 'ies'} added",
    )


CountOpt = Annotated[int, typer.Option("--count", min=1, help="Clips per recording.")]
MinOpt = Annotated[float, typer.Option("--min-seconds", min=1.0, help="Shortest clip.")]
MaxOpt = Annotated[float, typer.Option("--max-seconds", min=1.0, help="Longest clip.")]
AspectOpt = Annotated[str, typer.Option("--aspect", help="9:16 (1080x1920), 1:1, 16:9 or 4:5.")]
ChatOpt = Annotated[
    Path | None, typer.Option("--chat", help="Chat log (JSONL or CSV: t, user, text).")
]
PromoOpt = Annotated[
    str, typer.Option("--promo-text", help="Promo line burned into every clip, e.g. 明晚8点开播.")
]
GateOpt = Annotated[
    str,
    typer.Option(
        "--gate", help="Keep findings of this severity or worse out of clips: block, review, info."
    ),
]
FontOpt = Annotated[
    Path | None, typer.Option("--font", help="Caption font (default: bundled Noto Sans CJK).")
]
LogoOpt = Annotated[
    Path | None, typer.Option("--logo", help="Logo watermark image (PNG with alpha).")
]
WeightsOpt = Annotated[
    str, typer.Option("--weights", help="Signal weights, e.g. hype=2,chat=0.5,motion=1.")
]


def _weights(value: str) -> dict[str, float]:
    from clipguard.clipper.signals import DEFAULT_WEIGHTS

    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, num = part.partition("=")
        if name not in DEFAULT_WEIGHTS:
            raise UsageError(
                f"--weights: unknown signal {name!r} (signals: {', '.join(DEFAULT_WEIGHTS)})"
            )
        try:
            out[name] = float(num)
        except ValueError:
            raise UsageError(f"--weights: {part!r} needs a number, like {name}=1.5") from None
    return out


_RUN_OPTION_NAMES = (
    "model",
    "language",
    "device",
    "compute_type",
    "allow_partial",
    "hotwords",
    "rules",
    "count",
    "min_seconds",
    "max_seconds",
    "aspect",
    "chat",
    "promo_text",
    "gate",
    "font",
    "logo",
    "weights",
)


def _option_args(params: dict[str, Any]) -> dict[str, Any]:
    """The shared pipeline options out of a command's parameters (typer needs each
    command to declare them; this keeps their conversion in one place)."""
    return {name: params.get(name) for name in _RUN_OPTION_NAMES}


def _run_options(
    *,
    model: str,
    language: str,
    device: str,
    compute_type: str,
    allow_partial: bool,
    hotwords: str,
    rules: list[str] | None,
    count: int,
    min_seconds: float,
    max_seconds: float,
    aspect: str,
    chat: Path | None,
    promo_text: str,
    gate: str,
    font: Path | None,
    logo: Path | None,
    weights: str,
) -> Any:
    from clipguard.clipper.highlights import HighlightOptions
    from clipguard.clipper.render import RenderOptions, output_size
    from clipguard.pipeline.run import RunOptions

    output_size(aspect)
    if gate not in ("block", "review", "info"):
        raise UsageError(f"--gate must be block, review or info (got {gate!r})")
    if min_seconds > max_seconds:
        raise UsageError(
            f"--min-seconds ({min_seconds:g}) is longer than --max-seconds ({max_seconds:g})"
        )
    if chat is not None and not chat.exists():
        raise UsageError(f"{chat}: no such chat log")
    return RunOptions(
        transcribe=_transcribe_options(
            model, language, device, compute_type, allow_partial, hotwords
        ),
        rules=tuple(rules or ()),
        highlight=HighlightOptions(
            count=count,
            min_seconds=min_seconds,
            max_seconds=max_seconds,
            gate=gate,
            weights=_weights(weights),
        ),
        render=RenderOptions(
            aspect=aspect,
            font=str(font) if font else None,
            promo_text=promo_text,
            logo=str(logo) if logo else None,
        ),
        chat=str(chat) if chat else None,
    )


def _run_many(media: list[Path], out: Path, options: Any, quiet: bool, json_out: bool) -> list[Any]:
    from clipguard.compliance_rules.packs import resolve_packs
    from clipguard.compliance_rules.scanner import Scanner
    from clipguard.pipeline.run import process_recording
    from clipguard.progress import progress_bar

    scanner = Scanner(resolve_packs(list(options.rules)))
    results = []
    for path in media:
        with progress_bar(f"{path.name}", not (quiet or json_out)) as bar:
            result = process_recording(path, out, options, scanner=scanner, progress=bar)
        results.append(result)
        if not (quiet or json_out):
            fc = result.findings
            typer.echo(
                f"{path.name}: {fc.get('block', 0)} block, {fc.get('review', 0)} review findings; "
                f"{result.clips} clip(s) -> {Path(result.out_dir) / 'report.html'}"
            )
            if options.clips and result.clips == 0:
                typer.echo(
                    f"  no clip: no clean run of sentences lasts --min-seconds "
                    f"{options.highlight.min_seconds:g} (see {Path(result.out_dir) / 'highlights.json'})"
                )
    return results


@app.command()
@_guarded
def clip(
    media: Annotated[list[Path], typer.Argument(help="Recordings with video.")],
    count: CountOpt = 3,
    min_seconds: MinOpt = 15.0,
    max_seconds: MaxOpt = 60.0,
    aspect: AspectOpt = "9:16",
    chat: ChatOpt = None,
    promo_text: PromoOpt = "",
    gate: GateOpt = "block",
    rules: RulesOpt = None,
    font: FontOpt = None,
    logo: LogoOpt = None,
    weights: WeightsOpt = "",
    out: OutOpt = DEFAULT_OUT,
    model: ModelOpt = "base",
    language: LangOpt = "auto",
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    hotwords: HotwordsOpt = "auto",
    allow_partial: PartialOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Cut the best moments into compliance-gated vertical promo clips."""
    options = _run_options(**_option_args(locals()))
    from dataclasses import replace

    results = _run_many(media, out, replace(options, require_video=True), quiet, json_out)
    if json_out:
        _emit({"recordings": [r.to_dict() for r in results]}, True, quiet, "")


@app.command()
@_guarded
def run(
    media: Annotated[list[Path], typer.Argument(help="Recordings (any format ffmpeg reads).")],
    rules: RulesOpt = None,
    fail_on: FailOnOpt = "block",
    count: CountOpt = 3,
    min_seconds: MinOpt = 15.0,
    max_seconds: MaxOpt = 60.0,
    aspect: AspectOpt = "9:16",
    chat: ChatOpt = None,
    promo_text: PromoOpt = "",
    gate: GateOpt = "block",
    font: FontOpt = None,
    logo: LogoOpt = None,
    weights: WeightsOpt = "",
    out: OutOpt = DEFAULT_OUT,
    model: ModelOpt = "base",
    language: LangOpt = "auto",
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    hotwords: HotwordsOpt = "auto",
    allow_partial: PartialOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Transcribe, scan, cut clips and write report.html + manifest.json per recording."""
    _check_fail_on(fail_on)
    options = _run_options(**_option_args(locals()))
    results = _run_many(media, out, options, quiet, json_out)
    from clipguard.models import severity_rank

    failed = fail_on != "never" and any(
        n and severity_rank(sev) >= severity_rank(fail_on)
        for r in results
        for sev, n in r.findings.items()
    )
    if json_out:
        _emit(
            {"recordings": [r.to_dict() for r in results], "fail_on": fail_on, "failed": failed},
            True,
            quiet,
            "",
        )
    if failed:
        raise typer.Exit(1)


@app.command()
@_guarded
def batch(
    target: Annotated[
        str,
        typer.Argument(metavar="DIR_OR_GLOB", help="A folder (searched recursively) or a glob."),
    ],
    out: OutOpt = DEFAULT_OUT,
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
    rules: RulesOpt = None,
    count: CountOpt = 3,
    min_seconds: MinOpt = 15.0,
    max_seconds: MaxOpt = 60.0,
    aspect: AspectOpt = "9:16",
    promo_text: PromoOpt = "",
    gate: GateOpt = "block",
    font: FontOpt = None,
    logo: LogoOpt = None,
    weights: WeightsOpt = "",
    no_clips: Annotated[
        bool, typer.Option("--no-clips", help="Transcribe, scan and report only.")
    ] = False,
    model: ModelOpt = "base",
    language: LangOpt = "auto",
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    hotwords: HotwordsOpt = "auto",
    allow_partial: PartialOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Process a folder of recordings unattended; exit 3 when some failed."""
    from dataclasses import replace

    from clipguard.pipeline.batch import BatchOptions, discover, run_batch, watch

    options = _run_options(**_option_args(locals()))
    if no_clips:
        options = replace(options, clips=False)
    bopts = BatchOptions(run=options, workers=workers, scheduler=scheduler)

    def show(r: dict[str, Any]) -> None:
        if not (quiet or json_out):
            extra = f" ({r['error']})" if r.get("error") else ""
            typer.echo(
                f"{r['status']:8} {Path(r['media']).name}{extra}", err=r["status"] == "failed"
            )

    if watch_mode:
        report = watch(target, out, bopts, settle=settle, max_idle=max_idle, on_result=show)
    else:
        files = discover(target, out)
        if not files:
            raise UsageError(
                f"{target}: no recordings found (looked for {', '.join(sorted(['.mp4', '.flv', '.mkv', '.ts', '.mov', '.m4a', '.mp3', '.wav']))} ...)"
            )
        report = run_batch(files, out, bopts, on_result=show)
    summary = report.summary()
    _emit(
        {
            "out": str(out),
            "summary": summary,
            "batch_json": str(Path(out) / "batch.json"),
            "failed": [{"media": r["media"], "error": r["error"]} for r in report.failed],
        },
        json_out,
        quiet,
        f"batch: {', '.join(f'{v} {k}' for k, v in summary.items()) or 'nothing to do'} -> {Path(out) / 'batch.html'}",
    )
    if report.failed:
        raise typer.Exit(3)


def main() -> None:
    """Entry point: usage errors become one line (exit 2), like every other error.

    Typer vendors click, so its exceptions are matched by shape (``format_message``
    and ``exit_code``) rather than by importing a private module."""
    try:
        rv = app(standalone_mode=False)
    except KeyboardInterrupt:
        typer.echo("clipguard: error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        name = type(exc).__name__
        if name == "Abort":
            typer.echo("clipguard: error: interrupted", err=True)
            sys.exit(130)
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        if name == "NoArgsIsHelpError":
            typer.echo(exc.format_message())
            sys.exit(0)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = " ".join(exc.format_message().split())
        typer.echo(f"clipguard: error: {message}{hint}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
