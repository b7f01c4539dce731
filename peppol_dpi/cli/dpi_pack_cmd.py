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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..dpi import cms
from ..dpi.asic import AsicBuilder, Document, PackageDocument, read_package
from ..errors import UsageError
from ..ids import ParticipantId
from ..keys import LocalPrivateKey, load_certificate, load_certificates, load_private_key
from ..keystore import load_key_file
from ..trust import RevocationMode, TrustPolicy, subject_of
from .common import print_json, read_input, write_output

__all__ = ["register", "register_pack", "register_unpack"]


def register(group: argparse._SubParsersAction[Any]) -> None:
    """Add ``pack`` and ``unpack`` to the ``dpi`` command group."""
    register_pack(group)
    register_unpack(group)


def _key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key", required=True, help="private key: PEM, PKCS#12 or JKS (then --password)"
    )
    parser.add_argument("--password", help="password of a PKCS#12 or JKS key file")
    parser.add_argument("--cert", help="certificate (PEM or DER); optional for PKCS#12 and JKS")


def register_pack(group: argparse._SubParsersAction[Any]) -> None:
    parser = group.add_parser(
        "pack", help="build, sign (XAdES) and encrypt (CMS) a document package"
    )
    parser.add_argument("main", metavar="MAIN", help="the main document (hoveddokument)")
    parser.add_argument("attachments", metavar="ATTACHMENT", nargs="*", help="attachments")
    parser.add_argument("--sender", required=True, help="the legal sender, e.g. 0192:991825827")
    parser.add_argument("--mailbox", help="the citizen's mailbox address (omit for print)")
    _key_arguments(parser)
    parser.add_argument(
        "--chain", action="append", default=[], help="certificates to embed after --cert"
    )
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
    _key_arguments(parser)
    parser.add_argument("--trust", action="append", default=[], help="trust anchors (PEM)")
    parser.add_argument("--at", help="validate certificates at this ISO-8601 instant")
    parser.add_argument(
        "--revocation",
        choices=[m.value for m in RevocationMode],
        help="revocation checking (default require; off with --at)",
    )
    parser.add_argument("--out-dir", default=".", help="where to write the documents")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_unpack)


def _load_key(args: argparse.Namespace) -> LocalPrivateKey:
    password = args.password.encode("utf-8") if args.password is not None else None
    data = read_input(args.key)
    if args.cert is None:
        return load_key_file(data, password)
    cert = load_certificate(read_input(args.cert))
    if b"-----BEGIN" in data and b"CERTIFICATE-----" not in data:
        return LocalPrivateKey(key=load_private_key(data, password), certificate=cert)
    key = load_key_file(data, password)
    if cert != key.certificate:
        raise UsageError(f"{args.cert} is not the certificate of the key in {args.key}")
    return key


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
        name=name, content=read_input(path), mime=mime.pop(name, mime.pop(path, "")), title=title
    )


def _pack(args: argparse.Namespace) -> int:
    key = _load_key(args)
    chain: list[Any] = []
    for path in args.chain:
        chain.extend(load_certificates(read_input(path)))
    recipient = load_certificate(read_input(args.recipient_cert))
    mime = _mime_overrides(args.mime)
    builder = AsicBuilder().sender(ParticipantId.parse(args.sender))
    if args.mailbox is not None:
        builder = builder.mailbox(args.mailbox)
    builder = builder.main_document(_document(args.main, mime, args.title))
    for path in args.attachments:
        builder = builder.add_attachment(_document(path, mime))
    if mime:
        raise UsageError(f"--mime names files that are not in the package: {sorted(mime)}")
    if chain:
        builder = builder.certificate_chain(tuple(chain))
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


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at takes an ISO-8601 instant, not {text!r}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _trust(args: argparse.Namespace, at: datetime | None) -> TrustPolicy | None:
    if not args.trust:
        return None
    anchors = []
    for path in args.trust:
        anchors.extend(load_certificates(read_input(path)))
    default = RevocationMode.OFF if at is not None else RevocationMode.REQUIRE
    mode = RevocationMode(args.revocation) if args.revocation else default
    return TrustPolicy(anchors=tuple(anchors), revocation=mode)


def _describe(document: PackageDocument) -> dict[str, Any]:
    return {
        "name": document.name,
        "mime": document.mime,
        "size": document.size,
        "sha256": document.sha256,
    }


def _unpack(args: argparse.Namespace) -> int:
    key = _load_key(args)
    at = _instant(args.at)
    trust = _trust(args, at)
    asic = cms.decrypt(read_input(args.package), key)
    package = read_package(asic, trust=trust, at=at)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for document in (package.main, *package.attachments):
        # The reader allows only plain file names, so each lands inside out_dir.
        (out_dir / document.name).write_bytes(document.content)
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
        print(f"trusted: {'yes' if trust is not None else 'not checked (no --trust)'}")
    return 0
