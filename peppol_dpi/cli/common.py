"""Helpers shared by the command modules: reading files, writing output, JSON printing."""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import requests

from ..errors import InputError, UsageError
from ..instants import is_aware
from ..keys import LocalPrivateKey, load_certificate, load_certificates, load_private_key
from ..keystore import load_key_file, load_trust_store
from ..limits import DEFAULT_LIMITS
from ..revocation import revocation_checker
from ..spool import read_up_to
from ..trust import RevocationMode, TrustPolicy

__all__ = [
    "add_json_flag",
    "add_key_options",
    "add_output_option",
    "add_trust_options",
    "input_stream",
    "iso_instant",
    "load_key",
    "output_stream",
    "parse_at",
    "print_fields",
    "print_json",
    "print_trusted",
    "read_input",
    "read_key_file",
    "trust_policy",
    "write_output",
]


def read_input(path: str, *, max_bytes: int, what: str = "the file") -> bytes:
    """Read a file given on the command line (``-`` is standard input) whole, if it holds at
    most ``max_bytes`` (the :class:`~peppol_dpi.limits.Limits` bound of what it should be):
    a larger one, or one without end (``/dev/zero``), is refused with InputError
    ``cli:too-large`` once ``max_bytes + 1`` bytes are in, never read to its end."""
    with input_stream(path) as file:
        data = read_up_to(file, max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(
            f"{path} is larger than {max_bytes} bytes, the most {what} may hold",
            rule="cli:too-large",
        )
    return data


def read_key_file(path: str) -> bytes:
    """A key, certificate or trust store file (``Limits.max_key_file_bytes``)."""
    return read_input(path, max_bytes=DEFAULT_LIMITS.max_key_file_bytes, what="a key file")


def write_output(path: str | None, data: bytes) -> None:
    """Write to ``path``, or to standard output when it is None or ``-`` (as
    :func:`output_stream`: whole or not at all, the same errors)."""
    with output_stream(path) as out:
        out.write(data)


@contextmanager
def input_stream(path: str) -> Iterator[BinaryIO]:
    """A file given on the command line, open for reading in pieces (``-``: standard input)."""
    if path == "-":
        yield sys.stdin.buffer
        return
    with ExitStack() as stack:
        try:
            file = stack.enter_context(Path(path).open("rb"))
        except FileNotFoundError:
            raise UsageError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory") from None
        yield file


@contextmanager
def output_stream(path: str | None) -> Iterator[BinaryIO]:
    """Where a command writes a large result in pieces: standard output when ``path`` is None
    or ``-``; else a temporary file beside ``path``, renamed to it when the block ends
    without an error and removed when it raises (so a failed command leaves no half file)."""
    if path is None or path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(os.path.realpath(path))  # through symlinks: a link stays a link
    if target.exists() and not target.is_file() and not target.is_dir():
        # A device or a pipe (-o /dev/null, -o /dev/stdout): written to as it is; renaming a
        # file over it would replace the device itself.
        with target.open("wb") as device:
            yield device
        return
    # Opened like the final file (mode from the umask), under a name nobody else uses.
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        file = temporary.open("xb")
    except FileNotFoundError:
        raise UsageError(f"no such directory: {target.parent}") from None
    try:
        with file:
            yield file
        try:
            os.replace(temporary, target)
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory") from None
    finally:
        temporary.unlink(missing_ok=True)


def print_json(obj: Any) -> None:
    """One JSON object on stdout and nothing else there (docs/cli.md, --json)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def iso_instant(text: str) -> datetime:
    """argparse ``type=`` for ISO-8601 instants (``--created``, ``--at``): an offset is required."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 date and time") from None
    if not is_aware(value):
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (add Z or +01:00)")
    return value


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json``: one JSON object on stdout and nothing else there (docs/cli.md)."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout and nothing else"
    )


def add_output_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``-o/--output FILE``: where the result goes (standard output when absent or ``-``)."""
    parser.add_argument(
        "-o", "--output", metavar="FILE", help=f"write {what} to FILE (default: standard output)"
    )


def print_trusted(trust: TrustPolicy | None) -> None:
    """The ``trusted:`` line of a verifying command's human output: whether the signer was
    validated against ``--trust`` (None: no ``--trust`` given, so it was not)."""
    print(f"trusted: {'yes' if trust is not None else 'not checked (no --trust)'}")


def print_fields(fields: dict[str, Any]) -> None:
    """Human output of a reading command: one ``key  value`` line per field."""
    width = max((len(k) for k in fields), default=0)
    for key, value in fields.items():
        sys.stdout.write(f"{key.ljust(width)}  {'-' if value is None else value}\n")


# -- keys, certificates and trust (docs/cli.md "General rules") ------------------------------


def add_key_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--key``, ``--password``, ``--cert``, ``--chain``."""
    parser.add_argument(
        "--key", required=required, metavar="FILE", help="PEM private key or PKCS#12"
    )
    parser.add_argument("--password", help="password of the key file (PKCS#12, JKS, encrypted PEM)")
    parser.add_argument("--cert", metavar="FILE", help="PEM or DER certificate of the key")
    parser.add_argument(
        "--chain", action="append", default=[], metavar="FILE", help="extra certificates to embed"
    )


def add_trust_options(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """``--trust`` (repeatable), ``--at``, ``--revocation``, ``--allow-sha1``."""
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        required=required,
        metavar="FILE",
        help="trust anchor(s): PEM (several allowed), DER, PKCS#12 or JKS",
    )
    parser.add_argument(
        "--at", type=iso_instant, metavar="ISO-8601", help="validate certificates at this instant"
    )
    parser.add_argument(
        "--revocation",
        choices=[m.value for m in RevocationMode],
        help="revocation checking (default require; off with --at)",
    )
    parser.add_argument("--allow-sha1", action="store_true", help="accept SHA-1 signatures")


def load_key(args: argparse.Namespace) -> LocalPrivateKey:
    """The key of ``--key`` with the certificate of ``--cert`` (or the one in the key file)."""
    data = read_key_file(args.key)
    password = args.password.encode() if args.password else None
    chain = tuple(c for path in args.chain for c in load_certificates(read_key_file(path)))
    cert = load_certificate(read_key_file(args.cert)) if args.cert else None
    if b"-----BEGIN" in data and b"CERTIFICATE-----" not in data:
        if cert is None:
            raise UsageError(f"{args.key} holds only a key: give its certificate with --cert")
        try:
            return LocalPrivateKey(
                key=load_private_key(data, password), certificate=cert, chain=chain
            )
        except UsageError as exc:
            raise UsageError(f"--cert does not belong to --key: {exc}") from None
    loaded = load_key_file(data, password)
    if cert is not None and cert != loaded.certificate:
        raise UsageError("--cert is not the certificate stored with --key")
    return LocalPrivateKey(
        key=loaded.key, certificate=loaded.certificate, chain=loaded.chain + chain
    )


def parse_at(args: argparse.Namespace) -> datetime | None:
    """``--at`` (parsed by :func:`iso_instant`), or None for "now"."""
    at: datetime | None = getattr(args, "at", None)
    return at


def trust_policy(args: argparse.Namespace) -> TrustPolicy | None:
    """The TrustPolicy of ``--trust``/``--revocation``/``--allow-sha1``; None without ``--trust``."""
    if not args.trust:
        return None
    anchors = tuple(c for path in args.trust for c in load_trust_store(read_key_file(path)))
    if args.revocation:
        mode = RevocationMode(args.revocation)
    else:  # docs/cli.md: with --at, today's revocation status says nothing about that instant
        mode = RevocationMode.OFF if args.at else RevocationMode.REQUIRE
    # The command line is the edge of the program: here the network session may be made.
    checker = None if mode is RevocationMode.OFF else revocation_checker(requests.Session())
    return TrustPolicy(
        anchors=anchors, revocation=mode, revocation_checker=checker, allow_sha1=args.allow_sha1
    )
