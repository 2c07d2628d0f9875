"""An injectable clock, so that deadlines and timestamps can be tested without sleeping; and the training clock.

The training clock (training mode, `make run` / `make demo`) is the system clock plus one offset that every service
process shares through a small file, so a person trying the platform can move all of it past a 7-day notice or a
6-month observation at once: `python -m shared.clock advance 7d | show | reset`, or `POST /dev/clock`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stands still until moved; for tests."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at = self.at + timedelta(**delta)


# Dates and times shown to citizens and staff are China time; stored and exchanged timestamps are UTC with an offset.
CHINA_TZ = ZoneInfo("Asia/Shanghai")


def china_time(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every timestamp in the platform carries an offset")
    return moment.astimezone(CHINA_TZ)


DEFAULT_TRAINING_CLOCK_FILE = "var/training-clock.json"
# Far enough for a 3-year follow-up plan and then some; a typo such as "7000d" is refused rather than obeyed.
MAX_ADVANCE = timedelta(days=3650)


class TrainingClock:
    """System time plus a shared offset persisted in `path` (JSON `{"offset_seconds": ...}`; missing = 0).

    now() only stats the file (inode, size, mtime) and re-reads it when one of them changed, so every service
    process sees an advance made by any other at its next now(), without reading the file each time. The offset
    only moves forward (reset excepted), so events and audit rows stay in time order. Always aware UTC.
    """

    def __init__(self, path: str | os.PathLike = DEFAULT_TRAINING_CLOCK_FILE):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._offset = timedelta(0)
        self._state: dict = {}

    # -- reading ---------------------------------------------------------------------------------------------
    def _file_stamp(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _refresh(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        with self._lock:
            state = _read_state(self.path)
            self._state, self._offset, self._stamp = state, timedelta(seconds=state.get("offset_seconds", 0)), stamp

    def offset(self) -> timedelta:
        self._refresh()
        return self._offset

    def version(self) -> tuple | None:
        """Changes whenever the offset file is rewritten: periodic jobs compare it to run at once after a jump."""
        self._refresh()
        return self._stamp

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset()

    def show(self) -> dict:
        self._refresh()
        now = self.now()
        return {"training_mode": True, "now": now.isoformat(), "now_china": china_time(now).isoformat(),
                "real_now": datetime.now(timezone.utc).isoformat(), "offset_seconds": int(self._offset.total_seconds()),
                "offset_days": round(self._offset.total_seconds() / 86400, 3), "updated_at": self._state.get("updated_at"),
                "updated_by": self._state.get("updated_by"), "file": str(self.path)}

    # -- moving ----------------------------------------------------------------------------------------------
    def advance(self, delta: timedelta, by: str = "") -> dict:
        if delta <= timedelta(0):
            raise ValueError("the training clock only moves forward: give a positive amount")
        if delta > MAX_ADVANCE:
            raise ValueError(f"advance at most {MAX_ADVANCE.days} days at a time")
        with _file_lock(self.path):
            state = _read_state(self.path)
            offset = int(state.get("offset_seconds", 0) + delta.total_seconds())
            _write_state(self.path, offset, by)
        self._stamp = None
        return self.show()

    def reset(self, by: str = "") -> dict:
        with _file_lock(self.path):
            _write_state(self.path, 0, by)
        self._stamp = None
        return self.show()


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"the training clock file {path} cannot be read ({exc}); "
                           f"fix or delete it (`python -m shared.clock reset`)") from None
    if not isinstance(state, dict) or not isinstance(state.get("offset_seconds", 0), (int, float)):
        raise RuntimeError(f"the training clock file {path} has no numeric offset_seconds; "
                           f"fix or delete it (`python -m shared.clock reset`)")
    return state


def _write_state(path: Path, offset_seconds: int, by: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"offset_seconds": offset_seconds, "updated_at": datetime.now(timezone.utc).isoformat(), "updated_by": by}
    # a new file renamed over the old one: a reader sees the old offset or the new one, never half a file
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(tmp, path)


@contextmanager
def _file_lock(path: Path):
    """Two advances at the same moment (two services, or the CLI and a service) both count."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhwm]?)\s*$")
_UNITS = {"": "days", "d": "days", "h": "hours", "w": "weeks", "m": "minutes"}


def parse_amount(text: str) -> timedelta:
    """`7d`, `7` (days), `36h`, `2w`, `90m` (minutes)."""
    match = _AMOUNT.match(text)
    if not match:
        raise ValueError(f"not an amount of time: {text!r} (examples: 7d, 36h, 2w, 90m)")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.clock",
                                     description="The training clock shared by every service in training mode.")
    parser.add_argument("--file", default=os.environ.get("TRAINING_CLOCK_FILE", DEFAULT_TRAINING_CLOCK_FILE),
                        help="the offset file (TRAINING_CLOCK_FILE; default %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    adv = sub.add_parser("advance", help="move every service's clock forward, e.g. 7d, 36h, 2w")
    adv.add_argument("amount")
    sub.add_parser("show", help="the training time and the offset")
    sub.add_parser("reset", help="back to real time (the records already written keep their later dates)")
    args = parser.parse_args(argv)
    clock = TrainingClock(args.file)
    try:
        if args.command == "advance":
            state = clock.advance(parse_amount(args.amount), by="cli")
        elif args.command == "reset":
            state = clock.reset(by="cli")
        else:
            state = clock.show()
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(state, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
