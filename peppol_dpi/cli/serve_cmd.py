"""``peppol-dpi serve ROLE --config FILE``: run one service of the DPI flow until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..demo.serve import ROLES, start_role

__all__ = ["register", "run_until_signalled"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="run one service of the flow (corner2, corner3, mailbox, token, ...)",
        description=(
            "Runs one role of the DPI flow with a TOML or JSON configuration (environment "
            "variables PEPPOL_DPI_<ROLE>__<SECTION>__<KEY> on top); docs/serve.md has an "
            "example per role. Runs until interrupted."
        ),
    )
    parser.add_argument("role", choices=sorted(ROLES), help="the service to run")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML or JSON configuration")
    parser.set_defaults(handler=_serve)


class _Signals:
    """SIGINT/SIGTERM caught from the moment it is made (before anything announces itself,
    so a signal sent right after the "serving" line is never lost) until ``restore``."""

    def __init__(self) -> None:
        self.received = threading.Event()
        self._previous = {sig: signal.signal(sig, self._handle) for sig in _SIGNALS}

    def _handle(self, signum: int, frame: object) -> None:
        self.received.set()

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def run_until_signalled(stop: Callable[[], None], signals: _Signals | None = None) -> None:
    """Block until SIGINT or SIGTERM, then call ``stop`` (services, workers, temporary files)."""
    caught = signals if signals is not None else _Signals()
    try:
        while not caught.received.wait(1.0):
            pass
        print("stopping", file=sys.stderr)
    finally:
        stop()
        caught.restore()


def _serve(args: argparse.Namespace) -> int:
    signals = _Signals()
    try:
        url, stop = start_role(args.role, args.config)
    except BaseException:
        signals.restore()
        raise
    print(f"{args.role} serving on {url}", flush=True)
    run_until_signalled(stop, signals)
    return 0
