"""``peppol-dpi dpi sign`` and ``dpi verify``: signed business messages (docs/cli.md, "DPI")."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from ..dpi.bodies import (
    Adresse,
    Posttype,
    Retur,
    Returposthaandtering,
    Sikkerhetsnivaa,
    Utskriftstype,
)
from ..dpi.message import BusinessMessage
from ..dpi.sender import (
    DigitalOptions,
    DigitalRecipient,
    Ids,
    PrintRecipient,
    Sender,
    digital_message,
    outgoing,
    print_message,
)
from ..dpi.signed import verify_business_message
from ..errors import UsageError
from ..ids import ParticipantId
from ..limits import DEFAULT_LIMITS
from ..trust import subject_of
from .common import (
    add_key_options,
    add_trust_options,
    load_key,
    parse_at,
    print_json,
    print_trusted,
    read_input,
    trust_policy,
    write_output,
)

__all__ = ["register"]


def _read_package(path: str) -> bytes:
    return read_input(path, max_bytes=DEFAULT_LIMITS.max_dpi_package_bytes, what="a DPI package")


def _token(value: str) -> str:
    """``--token``: the token itself, or ``@FILE`` holding it (as large as the Maskinporten
    answer that held it may be)."""
    if not value.startswith("@"):
        return value
    path = value[1:]
    data = read_input(path, max_bytes=DEFAULT_LIMITS.max_http_response_bytes, what="a token")
    try:
        return data.decode("ascii").strip()  # (a JWT is base64url and dots)
    except UnicodeDecodeError:
        raise UsageError(f"{path} does not hold a token: it is not ASCII text") from None


def register(group: argparse._SubParsersAction[Any]) -> None:
    """Add ``sign`` and ``verify`` to the ``dpi`` command group."""
    _register_sign(group)
    _register_verify(group)


def _register_sign(group: argparse._SubParsersAction[Any]) -> None:
    parser = group.add_parser(
        "sign", help="build the business message for a package and sign it (JWS)"
    )
    parser.add_argument("--type", required=True, choices=["digital", "utskrift"])
    parser.add_argument("--package", required=True, help="the encrypted package (CMS)")
    parser.add_argument(
        "--sender", required=True, help="SBDH sender: the legal sender or its data processor"
    )
    parser.add_argument("--receiver", required=True, help="the mailbox or print provider")
    parser.add_argument(
        "--on-behalf-of", help="the legal sender (avsender) when --sender is its data processor"
    )
    parser.add_argument("--token", required=True, help="the Maskinporten access token (@FILE reads it)")  # fmt: skip
    parser.add_argument("--title", help="ikkesensitivtittel (digital)")
    add_key_options(parser)
    parser.add_argument("--message-id", help="UUID (default: a new one)")
    parser.add_argument("--conversation-id", help="UUID (default: a new one)")
    parser.add_argument("--sender-id", help="avsenderidentifikator")
    parser.add_argument("--security-level", type=int, choices=[3, 4], default=3)
    parser.add_argument("--language", default="no", help="spraak, ISO 639-1 (default no)")
    parser.add_argument("-o", "--output", help="the signed message (default: stdout)")
    digital = parser.add_argument_group("digital")
    digital.add_argument("--mailbox", help="the citizen's mailbox address (postkasseadresse)")
    printed = parser.add_argument_group("utskrift")
    printed.add_argument("--name")
    printed.add_argument("--address-line", action="append", default=[])
    printed.add_argument("--postcode")
    printed.add_argument("--city")
    printed.add_argument("--country")
    printed.add_argument("--country-code")
    printed.add_argument("--print-type", choices=[t.value for t in Utskriftstype], default="SORT_HVIT")  # fmt: skip
    printed.add_argument("--mail-class", choices=[p.value for p in Posttype])
    printed.add_argument("--return-name")
    printed.add_argument("--return-address-line", action="append", default=[])
    printed.add_argument("--return-postcode")
    printed.add_argument("--return-city")
    printed.add_argument(
        "--return-handling",
        choices=[h.value for h in Returposthaandtering],
        default="DIREKTE_RETUR",
    )
    parser.set_defaults(handler=_sign)


def _register_verify(group: argparse._SubParsersAction[Any]) -> None:
    parser = group.add_parser(
        "verify", help="verify a signed business message or receipt (and its package fingerprint)"
    )
    parser.add_argument("message", metavar="MESSAGE", help="the signed message (JWS)")
    add_trust_options(parser)
    parser.add_argument("--package", help="the encrypted package (CMS) to check the fingerprint of")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_verify)


def _uuid(text: str | None, option: str) -> uuid.UUID:
    if text is None:
        return uuid.uuid4()
    try:
        return uuid.UUID(text)
    except ValueError:
        raise UsageError(f"{option} takes a UUID, not {text!r}") from None


def _address(name: str | None, lines: list[str], **rest: str | None) -> Adresse:
    if len(lines) > 4:
        raise UsageError("an address has at most 4 address lines")
    fields = {f"adresselinje{i}": line for i, line in enumerate(lines, 1)}
    return Adresse(navn=name, **fields, **rest)


def _refuse(args: argparse.Namespace, names: list[str], kind: str) -> None:
    given = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) not in (None, [])]
    if given:
        raise UsageError(f"{', '.join(given)} do not apply to {kind}")


def _sign(args: argparse.Namespace) -> int:
    key = load_key(args)
    package = _read_package(args.package)
    token = _token(args.token)
    sbdh_sender = ParticipantId.parse(args.sender)
    legal = ParticipantId.parse(args.on_behalf_of) if args.on_behalf_of else sbdh_sender
    sender = Sender(
        key=key,
        organisation=legal,
        processor=sbdh_sender if legal != sbdh_sender else None,
        avsenderidentifikator=args.sender_id,
    )
    receiver = ParticipantId.parse(args.receiver)
    ids = Ids(
        message_id=_uuid(args.message_id, "--message-id"),
        conversation_id=_uuid(args.conversation_id, "--conversation-id"),
    )
    now = datetime.now(UTC)
    message: BusinessMessage
    printed = ["name", "address_line", "postcode", "city", "country", "country_code"]
    if args.type == "digital":
        _refuse(args, [*printed, "mail_class", "return_name", "return_address_line"], "digital")
        if args.mailbox is None or args.title is None:
            raise UsageError("--type digital needs --mailbox and --title")
        message = digital_message(
            sender=sender,
            recipient=DigitalRecipient(postkasseadresse=args.mailbox, provider=receiver),
            package=package,
            token=token,
            title=args.title,
            created=now,
            ids=ids,
            options=DigitalOptions(
                spraak=args.language, sikkerhetsnivaa=Sikkerhetsnivaa(args.security_level)
            ),
        )
    else:
        _refuse(args, ["mailbox", "title"], "utskrift (the title goes in the package)")
        recipient = PrintRecipient(
            adresse=_address(
                args.name,
                args.address_line,
                postnummer=args.postcode,
                poststed=args.city,
                land=args.country,
                landkode=args.country_code,
            ),
            provider=receiver,
            retur=Retur(
                mottaker=_address(
                    args.return_name,
                    args.return_address_line,
                    postnummer=args.return_postcode,
                    poststed=args.return_city,
                ),
                returposthaandtering=Returposthaandtering(args.return_handling),
            ),
            utskriftstype=Utskriftstype(args.print_type),
            posttype=Posttype(args.mail_class) if args.mail_class else None,
        )
        message = print_message(
            sender=sender, recipient=recipient, package=package, token=token, created=now, ids=ids
        )
    signed = outgoing(message, package, sender)
    write_output(args.output, signed.forretningsmelding)
    print(
        f"message_id: {signed.message_id}  conversation_id: {signed.conversation_id}",
        file=sys.stderr,
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    at = parse_at(args)
    trust = trust_policy(args)
    package = _read_package(args.package) if args.package else None
    jws = read_input(
        args.message, max_bytes=DEFAULT_LIMITS.max_jws_bytes, what="a business message"
    )
    signed = verify_business_message(jws, trust=trust, at=at, package=package)
    message = signed.message
    # The body exactly as it was signed (not re-serialized).
    body = json.loads(signed.jws.payload)["standardBusinessDocument"][message.type.value]
    result = {
        "type": message.type.value,
        "message_id": str(message.message_id),
        "conversation_id": str(message.conversation_id),
        "sender": str(message.sender),
        "receiver": str(message.receiver),
        "signer": subject_of(signed.signer),
        "trusted": signed.trusted,
        "body": body,
    }
    if args.json:
        print_json(result)
    else:
        print(f"verified {message.type.value} {message.message_id}")
        print(f"conversation: {message.conversation_id}")
        print(f"from {message.sender} to {message.receiver}, signed by {result['signer']}")
        print_trusted(trust)
        if package is not None:
            print("package fingerprint: matches")
    return 0
