"""``peppol-dpi dpi ...``: the DPI command group (docs/cli.md, "DPI").

This module only registers the subcommands; each one lives in its own module
(``dpi_sign_cmd``: ``sign`` and ``verify``; ``dpi_pack_cmd``: ``pack`` and ``unpack``) and
exposes ``register(dpi_subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

__all__ = ["register"]

# One module per pair of subcommands; each adds its parsers to the ``dpi`` group.
_SUBCOMMAND_MODULES: tuple[str, ...] = (
    "peppol_dpi.cli.dpi_pack_cmd",
    "peppol_dpi.cli.dpi_sign_cmd",
)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "dpi", help="DPI business messages (JWS) and document packages (ASiC-E, CMS)"
    )
    group = parser.add_subparsers(dest="dpi_command", metavar="SUBCOMMAND")
    group.required = True
    for name in _SUBCOMMAND_MODULES:
        importlib.import_module(name).register(group)
