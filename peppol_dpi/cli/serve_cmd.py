"""``peppol-dpi serve ROLE --config FILE``: run one service of the DPI flow until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..demo.serve import ROLES, start_role


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


def _serve(args: argparse.Namespace) -> int:
    url, stop = start_role(args.role, args.config)
    print(f"{args.role} serving on {url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        stop()
    return 0
