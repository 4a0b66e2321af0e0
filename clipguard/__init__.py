"""clipguard: make recorded live streams safe to publish and cheap to promote.

Findings in two lines::

    import clipguard
    findings = clipguard.scan_text("全网最低价，加我微信", rules=["absolute_claims"])

One call per task, each with the command line's defaults:

- ``run(media, out=...)``: transcribe, scan, cut gated clips, write the report.
- ``scan(media_or_transcript)``: the findings of a recording, transcript or file.
- ``scan_text(text)``: the findings of a piece of text.
- ``transcribe(media)``: the recording's ``Transcript`` (words with times).

Options are keyword arguments named like the fields of the options classes
(``TranscribeOptions``, ``HighlightOptions``, ``RenderOptions``, ``RunOptions``), e.g.
``clipguard.run(path, out="out", count=5, language="zh", screen=False)``. Errors are
``ClipguardError`` subclasses whose message names the bad parameter.

Importing clipguard is cheap: the helpers and types load their modules on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipguard._version import __version__

if TYPE_CHECKING:
    from clipguard.errors import (
        ClipguardError,
        MediaError,
        ModelError,
        OutputError,
        RulePackError,
        UsageError,
    )
    from clipguard.models import Clip, Finding, Highlight, MediaInfo, Segment, Transcript, Word
    from clipguard.options import HighlightOptions, RenderOptions, RunOptions, TranscribeOptions
    from clipguard.pipeline.result import RecordingResult

__all__ = [
    "Clip",
    "ClipguardError",
    "Finding",
    "Highlight",
    "HighlightOptions",
    "MediaError",
    "MediaInfo",
    "ModelError",
    "OutputError",
    "RecordingResult",
    "RenderOptions",
    "RulePackError",
    "RunOptions",
    "Segment",
    "Transcript",
    "TranscribeOptions",
    "UsageError",
    "Word",
    "__version__",
    "run",
    "scan",
    "scan_text",
    "transcribe",
]

# public name -> the module that defines it, imported on first use (PEP 562)
_LAZY = {
    **dict.fromkeys(
        ("ClipguardError", "MediaError", "ModelError", "OutputError", "RulePackError"),
        "clipguard.errors",
    ),
    "UsageError": "clipguard.errors",
    **dict.fromkeys(
        ("Clip", "Finding", "Highlight", "MediaInfo", "Segment", "Transcript", "Word"),
        "clipguard.models",
    ),
    **dict.fromkeys(
        ("HighlightOptions", "RenderOptions", "RunOptions", "TranscribeOptions"),
        "clipguard.options",
    ),
    "RecordingResult": "clipguard.pipeline.result",
}

PathLike = str | os.PathLike[str]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clipguard' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def _options(options: dict[str, Any]) -> RunOptions:
    """``RunOptions`` from keyword arguments; unless ``hotwords`` is given, the built-in
    packs' vocabulary prompts the model, as on the command line (so the library and
    the CLI share one cached transcript)."""
    from clipguard.options import RunOptions

    if "hotwords" not in options:
        from clipguard.compliance_rules.hotwords import default_hotwords

        options = {**options, "hotwords": default_hotwords()}
    return RunOptions.of(**options)


def run(media: PathLike, out: PathLike = "clipguard-out", **options: Any) -> RecordingResult:
    """Process one recording the way ``clipguard run`` does.

    Transcribes, reads the screen, scans, picks highlights, renders gated clips and
    writes ``report.html``, ``recap.json`` and ``manifest.json`` into ``out/<stem>/``.
    Stages whose inputs and options are unchanged are reused from a previous run.

    Arguments:
        media: the recording (any format ffmpeg reads).
        out: output root; the recording's files go to ``out/<media stem>/``.
        **options: fields of ``RunOptions`` and of the options classes it holds, e.g.
            ``count=5``, ``gate="block"``, ``language="zh"``, ``rules=["minors"]``,
            ``clips=False`` (transcribe, scan and report only), ``screen=False``.

    Returns:
        The ``RecordingResult``: counts of findings by severity, the worst findings,
        the number of clips, coverage, warnings and ``out_dir``.

    Raises:
        TypeError: an option name that no options class declares.
        UsageError: a bad option value (the message names the parameter).
        MediaError: the recording is missing, unreadable or has no usable audio.
        ModelError, RulePackError, OutputError: model, rule pack or output folder.
    """
    from clipguard.pipeline.run import process_recording

    return process_recording(Path(media), Path(out), _options(options))


def scan(
    source: PathLike | Transcript,
    rules: Iterable[str] = (),
    *,
    out: PathLike | None = None,
    **options: Any,
) -> list[Finding]:
    """The findings of a recording, a ``transcript.json`` or a ``Transcript``.

    A ``Transcript`` object is scanned as text with its word times. A media file is
    transcribed first (or its cached transcript reused), its screen read and its
    sound-alike terms verified against the audio, as ``clipguard scan`` does;
    ``findings.json`` and ``report.html`` are written into ``out/<stem>/`` (a temporary
    folder, removed afterwards, when ``out`` is None).

    Arguments:
        source: a media file, a clipguard ``transcript.json``, or a ``Transcript``.
        rules: built-in pack names and/or rule pack files; empty: every built-in pack.
        out: output root for a file ``source``; None: a temporary folder.
        **options: for a file ``source``, as for ``run`` (e.g. ``screen=False``,
            ``acoustic=False``); a ``Transcript`` takes none.

    Returns:
        The findings, ordered by start time (``Finding.start``/``end`` in seconds).

    Raises:
        TypeError: options given with a ``Transcript``, or an unknown option.
        UsageError, MediaError, RulePackError: as for ``run``.
    """
    from clipguard.compliance_rules.scanner import scanner_for
    from clipguard.models import Finding, Transcript

    scanner = scanner_for(tuple(str(r) for r in rules))
    if isinstance(source, Transcript):
        if options or out is not None:
            raise TypeError("scan() of a Transcript takes only rules (it reads no media)")
        return sorted(scanner.scan(source, opinion=True), key=lambda f: (f.start, f.end, f.rule_id))
    import tempfile

    from clipguard.pipeline.run import scan_recording
    from clipguard.writers import read_json

    run_options = _options({**options, "rules": tuple(rules)})
    with tempfile.TemporaryDirectory(prefix="clipguard-") as tmp:
        result = scan_recording(Path(source), Path(out or tmp), run_options, scanner=scanner)
        document = read_json(Path(result.out_dir) / "findings.json")
    return [Finding.from_dict(f) for f in document["findings"]]


def scan_text(text: str, rules: Iterable[str] = ()) -> list[Finding]:
    """The findings of a piece of text (a script, a caption, a product title).

    Arguments:
        text: the text; Chinese may be Traditional or Simplified.
        rules: built-in pack names and/or rule pack files; empty: every built-in pack.

    Returns:
        The findings in text order. Without audio, ``Finding.start``/``end`` are
        character offsets into ``text``.

    Raises:
        RulePackError: an unknown pack name or an invalid pack file.
    """
    from clipguard.compliance_rules.document import Document
    from clipguard.compliance_rules.scanner import scanner_for

    findings = scanner_for(tuple(str(r) for r in rules)).scan(
        Document.from_text(text), opinion=True
    )
    return sorted(findings, key=lambda f: (f.start, f.end, f.rule_id))


def transcribe(media: PathLike, *, out: PathLike | None = None, **options: Any) -> Transcript:
    """Transcribe one recording offline with the bundled Whisper model.

    Arguments:
        media: the recording (any format ffmpeg reads).
        out: output root: ``transcript.json``, ``.srt``, ``.vtt`` and the manifest go
            to ``out/<stem>/``, and a later call with the same audio and options reuses
            them. None: a temporary folder, removed afterwards.
        **options: fields of ``TranscribeOptions``, e.g. ``language="zh"``,
            ``model="small"``, ``allow_partial=True``, ``hotwords=None`` (no prompt;
            the default prompts with the built-in packs' vocabulary).

    Returns:
        The ``Transcript``: language, segments of timed words, coverage, media info.

    Raises:
        TypeError: an option that ``TranscribeOptions`` does not declare.
        UsageError, MediaError, ModelError, OutputError: as for ``run``.
    """
    import tempfile

    from clipguard.options import OWNER
    from clipguard.pipeline.layout import RecordingLayout
    from clipguard.pipeline.stages import stage_transcribe

    for name in options:
        if OWNER.get(name) != "transcribe":
            raise TypeError(f"transcribe() got an unexpected option {name!r}")
    transcribe_options = _options(options).transcribe
    with tempfile.TemporaryDirectory(prefix="clipguard-") as tmp:
        layout = RecordingLayout.of(Path(out or tmp), Path(media))
        transcript, _ = stage_transcribe(Path(media), layout, transcribe_options)
    return transcript
