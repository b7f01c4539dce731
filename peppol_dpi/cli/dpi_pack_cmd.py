"""``peppol-dpi dpi pack`` and ``dpi unpack``: the encrypted document package (docs/cli.md, DPI).

``pack`` builds the ASiC-E (SDP manifest.xml, XAdES signatures.xml), encrypts it with CMS to
the recipient certificate and writes the dokumentpakke; the fingerprint for the business
message goes to stderr. ``unpack`` decrypts, verifies the signature and every file digest
(and the signer against ``--trust``), and writes the documents under their package names.
"""

from __future__ import annotations

import argparse
import io
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..dpi import cms
from ..dpi.asic import AsicBuilder, Document
from ..dpi.unpack import UnpackedDocument, read_package_to
from ..errors import UsageError
from ..ids import ParticipantId
from ..keys import load_certificate
from ..limits import DEFAULT_LIMITS
from ..spool import spool
from ..trust import subject_of
from .common import (
    add_key_options,
    add_trust_options,
    input_stream,
    load_key,
    parse_at,
    print_json,
    print_trusted,
    read_input,
    read_key_file,
    trust_policy,
    write_output,
)

__all__ = ["register", "register_pack", "register_unpack"]


def register(group: argparse._SubParsersAction[Any]) -> None:
    """Add ``pack`` and ``unpack`` to the ``dpi`` command group."""
    register_pack(group)
    register_unpack(group)


def register_pack(group: argparse._SubParsersAction[Any]) -> None:
    parser = group.add_parser(
        "pack", help="build, sign (XAdES) and encrypt (CMS) a document package"
    )
    parser.add_argument("main", metavar="MAIN", help="the main document (hoveddokument)")
    parser.add_argument("attachments", metavar="ATTACHMENT", nargs="*", help="attachments")
    parser.add_argument("--sender", required=True, help="the legal sender, e.g. 0192:991825827")
    parser.add_argument("--mailbox", help="the citizen's mailbox address (omit for print)")
    add_key_options(parser)
    parser.add_argument("--recipient-cert", required=True, help="certificate to encrypt to")
    parser.add_argument("--title", help="title of the main document")
    parser.add_argument(
        "--mime",
        action="append",
        default=[],
        metavar="NAME=TYPE",
        help="MIME type of a file (default: from its extension)",
    )
    parser.add_argument("--asic-out", help="also write the signed ASiC-E zip (not encrypted)")
    parser.add_argument("-o", "--output", required=True, help="the encrypted package (CMS)")
    parser.set_defaults(handler=_pack)


def register_unpack(group: argparse._SubParsersAction[Any]) -> None:
    parser = group.add_parser(
        "unpack", help="decrypt and verify a document package, write its documents"
    )
    parser.add_argument("package", metavar="PACKAGE", help="the encrypted package (CMS)")
    add_key_options(parser)
    add_trust_options(parser)
    parser.add_argument("--out-dir", default=".", help="where to write the documents")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_unpack)


def _mime_overrides(values: list[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for value in values:
        name, sep, mime = value.partition("=")
        if not sep or not name or not mime:
            raise UsageError(f"--mime takes NAME=TYPE, not {value!r}")
        overrides[name] = mime
    return overrides


def _document(path: str, mime: dict[str, str], title: str | None = None) -> Document:
    name = Path(path).name
    return Document(
        name=name,
        content=read_input(path, max_bytes=DEFAULT_LIMITS.max_dpi_package_bytes, what="a document"),
        mime=mime.pop(name, mime.pop(path, "")),
        title=title,
    )


def _pack(args: argparse.Namespace) -> int:
    key = load_key(args)
    recipient = load_certificate(read_key_file(args.recipient_cert))
    mime = _mime_overrides(args.mime)
    builder = AsicBuilder().sender(ParticipantId.parse(args.sender))
    if args.mailbox is not None:
        builder = builder.mailbox(args.mailbox)
    builder = builder.main_document(_document(args.main, mime, args.title))
    for path in args.attachments:
        builder = builder.add_attachment(_document(path, mime))
    if mime:
        raise UsageError(f"--mime names files that are not in the package: {sorted(mime)}")
    asic = builder.build(key, signing_time=datetime.now(UTC))
    if args.asic_out is not None:
        write_output(args.asic_out, asic)
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, recipient) as encrypted:
        encrypted.write(asic)
    package = sink.getvalue()
    write_output(args.output, package)
    print(f"dokumentpakkefingeravtrykk: {cms.package_fingerprint(package)}", file=sys.stderr)
    return 0


def _describe(document: UnpackedDocument) -> dict[str, Any]:
    return {
        "name": document.name,
        "mime": document.mime,
        "size": document.size,
        "sha256": document.sha256,
    }


def _unpack(args: argparse.Namespace) -> int:
    key = load_key(args)
    at = parse_at(args)
    trust = trust_policy(args)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        encrypted = stack.enter_context(input_stream(args.package))
        # Decrypted into a spool beside the documents and streamed from there: memory does
        # not grow with the package, and nothing lands in out_dir unless it all verified.
        plaintext = stack.enter_context(spool(out_dir))
        cms.decrypt_stream(encrypted, key, plaintext)  # type: ignore[arg-type]
        package = read_package_to(plaintext, out_dir, trust=trust, at=at)
    result: dict[str, Any] = {
        "sender": str(package.sender),
        "mailbox": package.mailbox,
        "main": _describe(package.main),
        "attachments": [_describe(a) for a in package.attachments],
        "signer": subject_of(package.signer),
        "signing_time": package.signing_time.isoformat(),
        "trusted": True if package.validated is not None else None,
    }
    if args.json:
        print_json(result)
    else:
        print(f"verified: {package.main.name} + {len(package.attachments)} attachment(s)")
        print(f"signer: {result['signer']} at {result['signing_time']}")
        print_trusted(trust)
    return 0
