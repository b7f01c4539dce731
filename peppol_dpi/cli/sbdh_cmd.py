"""``peppol-dpi sbdh wrap|read``: the Peppol Business Message Envelope (docs/cli.md)."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from typing import Any

from ..errors import UsageError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..limits import DEFAULT_LIMITS
from ..sbdh import (
    BinaryContent,
    Payload,
    SbdDocument,
    SbdHeader,
    TextContent,
    XmlPayload,
    build_sbd,
    format_created,
    read_sbd,
)
from .common import (
    add_json_flag,
    add_output_option,
    iso_instant,
    print_fields,
    print_json,
    read_input,
    write_output,
)

__all__ = ["register"]


def register(commands: Any) -> None:
    group = commands.add_parser(
        "sbdh", help="Peppol envelope (SBDH): wrap a payload, read an envelope"
    )
    sub = group.add_subparsers(dest="sbdh_command", metavar="SUBCOMMAND")
    sub.required = True

    wrap = sub.add_parser(
        "wrap",
        help="wrap a payload in a Peppol SBDH envelope",
        description="XML payloads go in as the business message; anything else (or with"
        " --mime-type) as BinaryContent, or TextContent for text/* that is valid UTF-8.",
    )
    wrap.add_argument("payload", metavar="PAYLOAD", help="payload file (- for standard input)")
    wrap.add_argument("--sender", required=True, metavar="PID", help="C1 participant id")
    wrap.add_argument("--receiver", required=True, metavar="PID", help="C4 participant id")
    wrap.add_argument("--document-type", required=True, metavar="DOCID")
    wrap.add_argument("--process", required=True, metavar="PROCID")
    wrap.add_argument("--country-c1", required=True, metavar="CC", help="country of C1, e.g. NO")
    wrap.add_argument("--instance-id", metavar="ID", help="default: a new UUID")
    wrap.add_argument(
        "--created", metavar="ISO", type=iso_instant, help="creation time with offset; default: now"
    )
    wrap.add_argument(
        "--mime-type", metavar="TYPE", help="send as BinaryContent/TextContent of this type"
    )
    wrap.add_argument(
        "--encoding", metavar="CHARSET", help="BinaryContent encoding attribute (text payloads)"
    )
    add_output_option(wrap, "the envelope")
    wrap.set_defaults(handler=_wrap)

    read = sub.add_parser("read", help="validate an envelope, print its header, write its payload")
    read.add_argument("file", metavar="FILE", help="envelope file (- for standard input)")
    read.add_argument("--payload-out", metavar="FILE", help="write the payload to FILE")
    add_json_flag(read)
    read.set_defaults(handler=_read)


def _payload(data: bytes, mime_type: str | None, encoding: str | None) -> Payload:
    if mime_type is None:
        if data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            # Looks like XML: it must be XML (a broken or hostile document is refused, not
            # silently wrapped as binary). Pass --mime-type to send it as BinaryContent.
            return XmlPayload(data=data)
        return BinaryContent(data=data, encoding=encoding)
    if mime_type.startswith("text/") and encoding is None:
        try:
            return TextContent(text=data.decode("utf-8"), mime_type=mime_type)
        except (UnicodeDecodeError, ValueError):
            pass  # not UTF-8, or characters XML cannot carry: BinaryContent instead
    return BinaryContent(data=data, mime_type=mime_type, encoding=encoding)


def _wrap(args: argparse.Namespace) -> int:
    data = read_input(args.payload, max_bytes=DEFAULT_LIMITS.max_xml_bytes, what="a payload")
    payload = _payload(data, args.mime_type, args.encoding)
    header = SbdHeader.for_payload(
        payload,
        sender=ParticipantId.parse(args.sender),
        receiver=ParticipantId.parse(args.receiver),
        document_type=DocumentTypeId.parse(args.document_type),
        process=ProcessId.parse(args.process),
        country_c1=args.country_c1,
        # The CLI is where the clock and the id generator are chosen (the library takes both).
        instance_id=args.instance_id if args.instance_id is not None else str(uuid.uuid4()),
        created=args.created if args.created is not None else datetime.now(UTC),
    )
    write_output(args.output, build_sbd(header, payload))
    return 0


def header_fields(doc: SbdDocument) -> dict[str, Any]:
    """The header as docs/cli.md names its JSON keys."""
    h = doc.header
    return {
        "sender": str(h.sender),
        "receiver": str(h.receiver),
        "document_type": str(h.document_type),
        "process": str(h.process),
        "instance_id": h.instance_id,
        "country_c1": h.country_c1,
        "created": format_created(h.created),
        "standard": h.standard,
        "type_version": h.type_version,
        "type": h.type,
    }


def _describe(payload: Payload) -> str:
    if isinstance(payload, XmlPayload):
        return f"XML {{{payload.namespace}}}{payload.local_name}, {len(payload.data)} bytes"
    kind = "BinaryContent" if isinstance(payload, BinaryContent) else "TextContent"
    return f"{kind} {payload.mime_type}, {len(payload.data)} bytes"


def _read(args: argparse.Namespace) -> int:
    if args.json and args.payload_out == "-":
        raise UsageError("--payload-out - and --json would both write to standard output")
    doc = read_sbd(read_input(args.file, max_bytes=DEFAULT_LIMITS.max_xml_bytes, what="an SBD"))
    if args.payload_out is not None:
        write_output(args.payload_out, doc.payload.data)
    fields = header_fields(doc)
    if args.json:
        print_json(fields)
    elif args.payload_out != "-":
        fields["mls_to"] = str(doc.header.mls_to) if doc.header.mls_to else None
        fields["mls_type"] = doc.header.mls_type
        for scope in doc.header.scopes:
            fields[f"scope {scope.type}"] = scope.instance_identifier
        fields["payload"] = _describe(doc.payload)
        print_fields(fields)
    return 0
