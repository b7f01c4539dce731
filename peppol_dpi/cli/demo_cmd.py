"""``peppol-dpi demo``: the whole DPI flow on this machine, every step for real."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..demo.run import run_demo, summary
from .serve_cmd import run_until_signalled

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="run the whole DPI flow on 127.0.0.1 and show each step",
        description=(
            "Starts DNS (SML), SMP (ELMA), Maskinporten, Altinn delegations, KRR, corner 2, "
            "corner 3 and two mailbox providers on free 127.0.0.1 ports with the test PKI, "
            "registers everyone, sends a digital letter with an attachment, one sent by a data "
            "processor on the sender's behalf, one print letter, and a fourth letter whose "
            "package is swapped between corner 3 and corner 4, and waits for every receipt. "
            "Exit 0 when the three letters are in their mailboxes, the fourth was refused, and "
            "every receipt reached its sender."
        ),
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the services running afterwards (until Ctrl-C or SIGTERM) and print their URLs",
    )
    parser.add_argument("--transcript", type=Path, metavar="FILE", help="write the steps to FILE")
    parser.add_argument(
        "--diagram", type=Path, metavar="FILE", help="write a Mermaid sequence diagram to FILE"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(handler=_demo)


class _EchoLog(logging.Handler):
    def __init__(self, echo: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        self.echo(f"{'':16}log {record.name.rsplit('.', 1)[-1]}: {record.getMessage()}")


def _demo(args: argparse.Namespace) -> int:
    def echo(text: str) -> None:
        if not args.quiet:
            print(text, flush=True)

    # The services' warnings (a delivery refused, a retry) are part of the story: shown in
    # line with the steps instead of Python's last-resort stderr handler.
    handler = _EchoLog(echo)
    logging.getLogger("peppol_dpi").addHandler(handler)
    try:
        result = run_demo(echo=echo, keep_running=args.keep_running)
    finally:
        logging.getLogger("peppol_dpi").removeHandler(handler)
    print(summary(result), end="", flush=True)
    if args.transcript is not None:
        args.transcript.write_text(result.transcript.text() + summary(result))
    if args.diagram is not None:
        args.diagram.write_text(result.transcript.mermaid())
    if args.keep_running:
        print("\nservices (Ctrl-C stops them):")
        for name in result.network.names():
            print(f"  {name:<12} {result.network.url(name)}")
        run_until_signalled(result.network.stop)
    return 0 if result.outcome.ok else 1
