"""Entry point of the ``peppol-dpi`` command.

Exit status (docs/cli.md): 0 success; 1 the input is invalid or does not verify, with one line
on stderr naming the rule or EBMS code; 2 usage error. Bad input never shows a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import InputError, PeppolDpiError, TransportError, UsageError

__all__ = ["build_parser", "main"]

# Each module registers one command group: ``register(subparsers)`` adds its parsers and sets
# ``handler`` (a callable taking the parsed namespace and returning an exit status).
_COMMAND_MODULES: tuple[str, ...] = (
    "peppol_dpi.cli.as4_cmd",
    "peppol_dpi.cli.sbdh_cmd",
    "peppol_dpi.cli.dpi_cmd",
    "peppol_dpi.cli.lookup_cmd",
    "peppol_dpi.cli.bench_cmd",
    "peppol_dpi.cli.demo_cmd",
    "peppol_dpi.cli.serve_cmd",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="peppol-dpi",
        description="Digital post to citizens (DPI) over Peppol: envelopes, AS4, packages, lookups.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def _input_error_line(exc: InputError, command: str) -> str:
    # docs/cli.md: an AS4 failure names its EBMS error code, any other failure its rule. The
    # code an error carries for an AS4 peer (the hardened parser's EBMS:0009, say) would
    # mislead about an SBDH, a package or an SMP answer.
    return str(exc) if command == "as4" else f"{exc.message} [{exc.rule}]"


def _os_error_line(exc: OSError) -> str:
    # Worded as cli/common.py words the files it opens itself, whoever opened this one.
    name = exc.filename
    if isinstance(exc, FileNotFoundError) and name:
        return f"no such file: {name}"
    if isinstance(exc, IsADirectoryError) and name:
        return f"{name} is a directory"
    return f"{exc.strerror or exc}: {name or ''}".rstrip(": ")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
    except InputError as exc:
        print(f"peppol-dpi: {_input_error_line(exc, args.command)}", file=sys.stderr)
        return 1
    except (UsageError, TransportError) as exc:
        print(f"peppol-dpi: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except PeppolDpiError as exc:
        print(f"peppol-dpi: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"peppol-dpi: error: {_os_error_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status
