"""The stream's chat log: one reader for every stage that needs it.

Chat is a third channel beside speech and the screen: highlights count its density,
the recap counts chatters, answers to calls to action and unanswered questions, and
the rules scan what viewers post. All of them read it here, so a bad line gets the
same one-line error (``FILE:LINE: problem``) wherever it is read, and a half-read log
never feeds a report.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clipguard.errors import MediaError


@dataclass(frozen=True)
class ChatMessage:
    """One message: ``t`` seconds from the start of the recording."""

    t: float
    user: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "user": self.user, "text": self.text}


def _message(row: dict[str, Any], where: str) -> ChatMessage:
    if not isinstance(row, dict):
        raise MediaError(f"{where}: not a chat message (an object with t, user, text)")
    try:
        t = float(row["t"])
    except KeyError:
        raise MediaError(f"{where}: chat message has no 't' (seconds from the start)") from None
    except (TypeError, ValueError):
        raise MediaError(f"{where}: 't' must be a number of seconds (got {row['t']!r})") from None
    if not math.isfinite(t) or t < 0:
        raise MediaError(f"{where}: 't' must be a number of seconds ≥ 0 (got {row['t']!r})")
    user, text = row.get("user"), row.get("text")
    return ChatMessage(t, "" if user is None else str(user), "" if text is None else str(text))


def read_chat(path: Path) -> list[ChatMessage]:
    """Read a JSON Lines or CSV chat log (``t``, ``user``, ``text``), sorted by time.

    Arguments:
        path: the log; ``.csv`` is read as CSV with a header row, anything else as
            JSON Lines (blank lines are skipped).
    Returns:
        The messages in time order.
    Raises:
        MediaError: the file is missing or not UTF-8, or a line is not a message; the
            message names the file and the line, e.g. ``chat.jsonl:12: ...``.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: no such chat log")
    out: list[ChatMessage] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            if path.suffix.lower() == ".csv":
                reader = csv.DictReader(fh)
                if not reader.fieldnames or "t" not in reader.fieldnames:
                    raise MediaError(f"{path}:1: chat CSV needs a header with t, user, text")
                for row in reader:
                    out.append(_message(row, f"{path}:{reader.line_num}"))
            else:
                for i, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise MediaError(f"{path}:{i}: not valid JSON ({exc.msg})") from None
                    out.append(_message(row, f"{path}:{i}"))
    except UnicodeDecodeError:
        raise MediaError(f"{path}: chat log is not UTF-8 text") from None
    except OSError as exc:
        raise MediaError(f"{path}: cannot read chat log: {exc.strerror or exc}") from None
    return sorted(out, key=lambda m: m.t)
