"""Refusals of the DPI business layer no other test drove: identifiers, the JSON model, JWS,
the mailbox and sender recipes, signed messages and Maskinporten tokens, each held to the exact
error class and rule."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import dpi_samples
import jwt
import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from test_dpi_recipes import LEGAL, recipient, sender, token

from peppol_dpi.dpi.bodies import Epostvarsel, Feiltype, Varslingskanal
from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.dpi.innbyggerpost import Innbyggerpost
from peppol_dpi.dpi.jsonmodel import parse_datetime
from peppol_dpi.dpi.jws import JwsError, verify_jws
from peppol_dpi.dpi.mailbox import receipt, receive
from peppol_dpi.dpi.message import BusinessMessage, parse_business_message
from peppol_dpi.dpi.sender import Sender, digital_message, outgoing, send_digital
from peppol_dpi.dpi.signed import check_fingerprint
from peppol_dpi.dpi.token import TokenError, acting_party, verify_maskinporten_token
from peppol_dpi.errors import (
    UsageError,
    ValidationError,
)
from peppol_dpi.lookup.maskinporten import parse_token_claims

NOW = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
SIGNER = pki.business_key("sender")


# -- identifiers, innbyggerpost --------------------------------------------------------------------


@pytest.mark.parametrize("message_type", [t for t in MessageType if t.is_receipt])
def test_a_receipt_starts_no_process(message_type: MessageType) -> None:
    with pytest.raises(UsageError, match="travels in the process of the message it answers"):
        DpiProcess.for_message(message_type)


def test_innbyggerpost_takes_bytes() -> None:
    with pytest.raises(UsageError, match="takes the JWS and the package as bytes"):
        Innbyggerpost(forretningsmelding="a.b.c", dokumentpakke=b"x")  # type: ignore[arg-type]


# -- jsonmodel: formats and the typed JSON objects -------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "2026-03-16T24:16:08.903+01:00",
        "2026-03-16T14:60:08.903+01:00",
        "2026-03-16T14:16:60.903+01:00",
    ],
)
def test_a_date_time_out_of_range_breaks_the_format(bad: str) -> None:
    # RFC 3339 5.6 (JSON Schema draft-07 7.3.1 date-time); no leap second, as Java's client.
    data = dpi_samples.message(MessageType.DIGITAL).to_bytes()
    assert b'"creationDateAndTime":"2026-03-16T14:16:08.903+01:00"' in data
    data = data.replace(b"2026-03-16T14:16:08.903+01:00", bad.encode(), 1)
    with pytest.raises(ValidationError) as caught:
        parse_business_message(data)
    assert [(p.rule, p.location) for p in caught.value.problems] == [
        (
            "dpi-schema:format",
            "$.standardBusinessDocument.standardBusinessDocumentHeader"
            ".documentIdentification.creationDateAndTime",
        )
    ]


def test_parse_datetime_refuses_text_that_is_no_date_time() -> None:
    with pytest.raises(UsageError, match="is not an RFC 3339 date-time"):
        parse_datetime("2026-03-16 14:16:08")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"virkningstidspunkt": datetime(2026, 3, 16, 12, 0)}, "has no time zone"),
        (
            {
                "virkningstidspunkt": datetime(
                    2026, 3, 16, 12, 0, tzinfo=timezone(timedelta(seconds=90))
                )
            },
            "DPI times carry offsets in whole minutes",
        ),
        ({"ikkesensitivtittel": 5}, "expected text, got int"),
        ({"virkningstidspunkt": "2026-03-16T12:00:00Z"}, "expected datetime, got str"),
        ({"sikkerhetsnivaa": 3}, "expected Sikkerhetsnivaa, got 3"),
        ({"aapningskvittering": "yes"}, "expected a boolean, got 'yes'"),
        ({"avsender": "0192:991825827"}, "expected Avsender, got str"),
    ],
)
def test_a_body_built_with_values_of_the_wrong_type_is_refused(
    change: dict[str, Any], why: str
) -> None:
    with pytest.raises(UsageError, match=why):
        dataclasses.replace(dpi_samples.digital(), **change)


def test_repetitions_must_be_integers() -> None:
    varsel = Epostvarsel(
        epostadresse="ola@example.no", varslingstekst="Du har post", repetisjoner=(0,)
    )
    with pytest.raises(UsageError, match="expected an integer, got True"):
        dataclasses.replace(varsel, repetisjoner=(0, True))


# -- jws -------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _forge(x5c: list[Any]) -> bytes:
    header = _b64url(json.dumps({"alg": "RS256", "x5c": x5c}).encode())
    signing_input = header + b"." + _b64url(b"{}")
    signature = SIGNER.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input + b"." + _b64url(signature)


def _leaf_b64(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()


def test_an_x5c_entry_that_is_not_a_string_is_refused() -> None:
    # RFC 7515 4.1.6: x5c is an array of base64 strings.
    with pytest.raises(JwsError) as caught:
        verify_jws(_forge([_leaf_b64(SIGNER.certificate), 7]), trust=None)
    assert caught.value.rule == "jws:x5c"


# -- mailbox, sender, signed, message --------------------------------------------------------------


def test_receive_needs_a_trust_policy() -> None:
    with pytest.raises(UsageError, match="corner 4 must check the signer"):
        receive(
            b"a.b.c",
            b"cms",
            trust=None,  # type: ignore[arg-type]
            open_package=lambda _: None,  # type: ignore[arg-type,return-value]
            maskinporten_keys=pki.maskinporten_key().certificate,
        )


def _receipt(original: BusinessMessage, message_type: MessageType, **kwargs: Any) -> Any:
    return receipt(
        original,
        message_type=message_type,
        provider=dpi_samples.EBOKS,
        created=NOW,
        message_id=uuid.UUID(int=7),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("original", "message_type", "kwargs", "why"),
    [
        (MessageType.DIGITAL, MessageType.DIGITAL, {}, "digital is not a receipt"),
        (
            MessageType.LEVERINGSKVITTERING,
            MessageType.LEVERINGSKVITTERING,
            {},
            "receipts answer digital, utskrift or flyttet messages",
        ),
        (
            MessageType.DIGITAL,
            MessageType.VARSLINGFEILETKVITTERING,
            {},
            "a varslingfeiletkvittering names its varslingskanal",
        ),
        (MessageType.DIGITAL, MessageType.FEIL, {}, "a feil names its feiltype"),
    ],
)
def test_a_receipt_is_refused_without_what_it_needs(
    original: MessageType, message_type: MessageType, kwargs: dict[str, Any], why: str
) -> None:
    with pytest.raises(UsageError, match=why):
        _receipt(dpi_samples.message(original), message_type, **kwargs)


def test_receipts_with_their_parts_are_made() -> None:
    original = dpi_samples.message(MessageType.DIGITAL)
    failed = _receipt(
        original, MessageType.VARSLINGFEILETKVITTERING, varslingskanal=Varslingskanal.SMS
    )
    assert failed.body.varslingskanal is Varslingskanal.SMS
    feil = _receipt(original, MessageType.FEIL, feiltype=Feiltype.KLIENT)
    assert feil.body.feiltype is Feiltype.KLIENT


def _digital(package: bytes) -> BusinessMessage:
    return digital_message(
        sender=sender(),
        recipient=recipient(),
        package=package,
        token=token(),
        title="t",
        created=NOW,
    )


def test_outgoing_refuses_a_package_the_message_does_not_name() -> None:
    with pytest.raises(UsageError, match="the message's fingerprint is not that of this package"):
        outgoing(_digital(b"package one"), b"package two", sender())


def test_outgoing_refuses_a_sender_that_is_not_the_sbdh_sender() -> None:
    itself = Sender(key=pki.business_key("sender"), organisation=LEGAL)  # no data processor
    with pytest.raises(UsageError, match="the message's SBDH sender is not this sender"):
        outgoing(_digital(b"package"), b"package", itself)


def test_send_digital_needs_a_main_document() -> None:
    with pytest.raises(UsageError, match="a package needs a main document"):
        send_digital(
            sender=sender(),
            recipient=recipient(),
            documents=(),
            token=token(),
            title="t",
            created=NOW,
        )


@pytest.mark.parametrize(
    "message_type", [MessageType.LEVERINGSKVITTERING, MessageType.FEIL], ids=str
)
def test_a_receipt_has_no_package_fingerprint_to_check(message_type: MessageType) -> None:
    with pytest.raises(UsageError, match="message refers to no document package"):
        check_fingerprint(dpi_samples.message(message_type), b"cms")


def test_a_header_naming_no_dpi_message_type_is_refused() -> None:
    message = dpi_samples.message(MessageType.DIGITAL)
    identification = dataclasses.replace(message.header.document_identification, type="brev")
    header = dataclasses.replace(message.header, document_identification=identification)
    with pytest.raises(ValidationError) as caught:
        BusinessMessage(header=header, body=message.body)
    assert [(p.rule, p.location) for p in caught.value.problems] == [
        (
            "dpi:message-type",
            "$.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.type",
        )
    ]


def test_a_body_of_another_type_than_the_header_says_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="a digital message needs a Digital"):
        BusinessMessage(header=dpi_samples.header(MessageType.DIGITAL), body=dpi_samples.utskrift())


# -- token (dpi.md 5) ------------------------------------------------------------------------------


def _token_claims(**extra: Any) -> dict[str, Any]:
    claims = {
        "scope": "digitalpostinnbygger:send",
        "iss": "https://test.maskinporten.no/",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(seconds=120)).timestamp()),
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:991825827"},
    }
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def _maskinporten_token(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, pki.maskinporten_key().key, algorithm="RS256")


def test_acting_party_needs_a_consumer_or_supplier() -> None:
    claims = parse_token_claims(_maskinporten_token(_token_claims(consumer=None)))
    with pytest.raises(TokenError) as caught:
        acting_party(claims)
    assert caught.value.rule == "token:claims"


def test_maskinporten_signs_with_rsa_keys() -> None:
    with pytest.raises(UsageError, match="Maskinporten signs its tokens with RSA keys"):
        verify_maskinporten_token(
            _maskinporten_token(_token_claims()), keys=pki.ec_certificate(), at=NOW
        )


@pytest.mark.parametrize("missing", ["iat", "exp"])
def test_a_token_without_iat_or_exp_is_refused(missing: str) -> None:
    with pytest.raises(TokenError) as caught:
        verify_maskinporten_token(
            _maskinporten_token(_token_claims(**{missing: None})),
            keys=pki.maskinporten_key().certificate,
            at=NOW,
        )
    assert caught.value.rule == "token:claims"
    assert caught.value.message == "the token needs iat and exp"
