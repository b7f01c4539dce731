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


def run_until_signalled(stop: Callable[[], None]) -> None:
    """Block until SIGINT or SIGTERM, then call ``stop`` (services, workers, temporary files)."""
    signalled = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: signalled.set()) for sig in _SIGNALS}
    try:
        while not signalled.wait(1.0):
            pass
        print("stopping", file=sys.stderr)
    finally:
        stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(args: argparse.Namespace) -> int:
    url, stop = start_role(args.role, args.config)
    print(f"{args.role} serving on {url}", flush=True)
    run_until_signalled(stop)
    return 0
