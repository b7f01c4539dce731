"""``peppol-dpi as4 ...``: build, open, inspect AS4 messages and verify receipts (docs/cli.md)."""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from ..as4.dump import dump_head_bytes, read_dump, write_dump
from ..as4.inspection import Inspection, SignatureStatus, inspect_message_from
from ..as4.message_file import read_dump_from
from ..as4.mime import Headers, multipart_headers, new_boundary
from ..as4.model import UserMessage, check_message_id, message_id_factory
from ..as4.receipt import check_receipt
from ..as4.signals import read_answer
from ..as4.stream_receive import receive_from
from ..as4.stream_send import build_message_to
from ..errors import InputError, UsageError
from ..keys import load_certificate
from ..limits import DEFAULT_LIMITS
from ..spool import CHUNK_BYTES
from ..trust import subject_of
from .common import (
    add_key_options,
    add_trust_options,
    input_stream,
    load_key,
    output_stream,
    parse_at,
    print_json,
    read_input,
    read_key_file,
    trust_policy,
    write_output,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["register"]

_HOST = "peppol-dpi"


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("as4", help="Peppol AS4 messages: build, open, inspect, receipts")
    commands = group.add_subparsers(dest="as4_command", metavar="COMMAND")
    commands.required = True

    build = commands.add_parser(
        "build", help="sign, compress and encrypt an SBD into an AS4 message"
    )
    build.add_argument("sbd", metavar="SBD_FILE")
    add_key_options(build)
    build.add_argument("--receiver-cert", required=True, metavar="FILE")
    build.add_argument("--message-id")
    build.add_argument("--conversation-id")
    build.add_argument("-o", "--output", metavar="DUMP")
    build.set_defaults(handler=_build)

    open_ = commands.add_parser("open", help="verify, decrypt and decompress an AS4 message")
    open_.add_argument("dump", metavar="DUMP")
    add_key_options(open_)
    add_trust_options(open_, required=True)
    open_.add_argument("--payload-out", metavar="FILE")
    open_.add_argument("--receipt-out", metavar="DUMP")
    open_.add_argument("--json", action="store_true")
    open_.set_defaults(handler=_open)

    inspect = commands.add_parser("inspect", help="show an AS4 message and check it without a key")
    inspect.add_argument("dump", metavar="DUMP")
    add_trust_options(inspect)
    inspect.add_argument("--json", action="store_true")
    inspect.set_defaults(handler=_inspect)

    receipt = commands.add_parser(
        "verify-receipt", help="check a receipt (against the sent message)"
    )
    receipt.add_argument("receipt", metavar="RECEIPT_DUMP")
    add_trust_options(receipt, required=True)
    receipt.add_argument("--message", metavar="SENT_DUMP")
    receipt.add_argument("--json", action="store_true")
    receipt.set_defaults(handler=_verify_receipt)


def _now() -> datetime:
    return datetime.now(UTC)


def _build(args: argparse.Namespace) -> int:
    key = load_key(args)
    receiver_cert = load_certificate(read_key_file(args.receiver_cert))
    message_id = args.message_id or message_id_factory(_HOST)()
    try:
        check_message_id(message_id)
    except InputError as exc:
        raise UsageError(f"--message-id: {exc.message}") from None
    # Streamed (issue 8): the SBD is read and the body written in pieces, so memory does not
    # grow with the payload. The dump's headers depend only on the boundary: written first.
    boundary = new_boundary()
    with input_stream(args.sbd) as source, output_stream(args.output) as sink:
        sink.write(write_dump(multipart_headers(boundary), b""))
        build_message_to(
            source,
            sink,
            key=key,
            receiver_cert=receiver_cert,
            now=_now(),
            message_id=message_id,
            conversation_id=args.conversation_id,
            boundary=boundary,
        )
    return 0


def _typed(value: str, type_: str | None) -> str:
    return f"{type_}::{value}" if type_ else value


def _user_message_json(um: UserMessage) -> dict[str, Any]:
    original = um.find_property("originalSender")
    final = um.find_property("finalRecipient")
    return {
        "message_id": um.message_id,
        "conversation_id": um.conversation_id,
        "from_party": um.sender.id,
        "to_party": um.receiver.id,
        "service": _typed(um.service, um.service_type),
        "action": um.action,
        "original_sender": _typed(original.value, original.type) if original else None,
        "final_recipient": _typed(final.value, final.type) if final else None,
    }


def _open(args: argparse.Namespace) -> int:
    key = load_key(args)
    trust = trust_policy(args)
    if trust is None:  # pragma: no cover - argparse requires --trust
        raise UsageError("as4 open needs --trust")
    # Streamed (issue 8): the body stays in its file, the payload goes to --payload-out in
    # pieces (renamed into place only when the message opened), hashed on the way.
    with ExitStack() as stack:
        headers, body = stack.enter_context(_message_file(args.dump))
        target = stack.enter_context(output_stream(args.payload_out)) if args.payload_out else None
        digesting = _Digesting(target)
        # Closed before the target (the stack unwinds in reverse), so nothing is left to flush.
        payload = stack.enter_context(io.BufferedWriter(digesting, buffer_size=CHUNK_BYTES))
        reception = receive_from(
            body, headers, key=key, trust=trust, payload_sink=payload, at=parse_at(args)
        )
        payload.flush()
        if args.receipt_out:
            _, answer_headers, answer_body = reception.answer(
                key=key,
                now=_now(),
                message_id=message_id_factory(_HOST)(),
                new_id=lambda: str(uuid.uuid4()),
            )
            write_output(args.receipt_out, write_dump(answer_headers, answer_body))
        if reception.message is None:
            assert reception.error is not None
            raise reception.error
        received = reception.message
    summary = _user_message_json(received.user_message) | {
        "signer": subject_of(received.signer),
        "payload_sha256": digesting.sha256.hexdigest(),
    }
    _print_result(summary, as_json=args.json)
    return 0


class _Digesting(io.RawIOBase):
    """A payload sink: hashes what it is given (SHA-256) and passes it on to ``target``."""

    def __init__(self, target: BinaryIO | None) -> None:
        super().__init__()
        self.sha256 = hashlib.sha256()
        self._target = target

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data)
        self.sha256.update(view)
        if self._target is not None:
            self._target.write(view)
        return view.nbytes


def _inspection_json(result: Inspection) -> dict[str, Any]:
    message = result.message
    data: dict[str, Any] = {
        "kind": result.kind.value,
        "message_id": message.message_id,
        "ref_to_message_id": message.message_info.ref_to_message_id,
        "signature": result.signature.value,
        "trusted": result.trusted,
        "signer": subject_of(result.signer) if result.signer is not None else None,
        "timestamp": message.message_info.timestamp.isoformat(),
        "encrypted": result.encrypted,
        "attachments": result.attachment_count,
        "attachment_digests_checked": result.attachments_checked,
        "references": [r.uri for r in result.references],
    }
    if isinstance(message, UserMessage):
        data |= _user_message_json(message)
    else:
        data["errors"] = [
            {
                "code": e.code,
                "severity": e.severity,
                "short_description": e.short_description,
                "description": e.description,
                "detail": e.detail,
            }
            for e in message.errors
        ]
    if result.signature_error is not None:
        data["signature_error"] = str(result.signature_error)
    if result.trust_error is not None:
        data["trust_error"] = str(result.trust_error)
    if result.fault is not None:
        data["fault"] = {"code": result.fault.code, "reason": result.fault.reason}
    return data


@contextmanager
def _message_file(path: str) -> Iterator[tuple[Headers, IO[bytes]]]:
    """The dump at ``path`` (``-``: standard input, spooled): its headers, and its body as a
    seekable view of the file (:func:`.message_file.read_dump_from`), never read whole."""
    with input_stream(path) as dump, read_dump_from(dump) as (headers, body):
        yield headers, body


def _inspect(args: argparse.Namespace) -> int:
    # Streamed (issue 8): only the headers and the SOAP part are read into memory.
    with _message_file(args.dump) as (headers, body):
        result = inspect_message_from(body, headers, trust=trust_policy(args), at=parse_at(args))
    data = _inspection_json(result)
    _print_result(data, as_json=args.json)
    failure = result.signature_error or result.trust_error
    if result.signature is SignatureStatus.INVALID or result.trusted is False:
        reason = str(failure) if failure else "the signer is not trusted"
        print(f"peppol-dpi: {reason}", file=sys.stderr)
        return 1
    return 0


def _read_signal(path: str) -> bytes:
    """A signal message's dump (``-``: standard input): small, so read whole, but never more
    than an HTTP answer may hold (``Limits.max_http_response_bytes``, as the transport reads
    it) plus its headers; a larger file is refused before it is read to its end."""
    limit = DEFAULT_LIMITS.max_http_response_bytes + dump_head_bytes(DEFAULT_LIMITS)
    return read_input(path, max_bytes=limit, what="a receipt's dump")


def _verify_receipt(args: argparse.Namespace) -> int:
    trust = trust_policy(args)
    headers, body = read_dump(_read_signal(args.receipt))
    answer = read_answer(200, headers, body, trust=trust, at=parse_at(args))
    message_id = references = None
    if args.message:
        with _message_file(args.message) as (sent_headers, sent_body):
            sent = inspect_message_from(sent_body, sent_headers)
        if sent.signature is not SignatureStatus.VALID:
            raise UsageError(
                f"{args.message} is not a validly signed message: {sent.signature_error}"
            )
        message_id, references = sent.message.message_id, sent.references
    receipt = check_receipt(answer, message_id=message_id, signed_references=references)
    summary = {
        "message_id": receipt.message_id,
        "ref_to_message_id": receipt.signal.message_info.ref_to_message_id,
        "signer": receipt.signer_subject,
        "trusted": receipt.validated is not None,
        "acknowledges_message": bool(args.message),
    }
    _print_result(summary, as_json=args.json)
    return 0


def _print_result(fields: Mapping[str, object], *, as_json: bool) -> None:
    """One JSON object, or one ``name: value`` line per field."""
    if as_json:
        print_json(fields)
    else:
        for name, value in fields.items():
            print(f"{name}: {value}")
