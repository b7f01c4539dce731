"""Every public function refuses an argument of the wrong Python type with ArgumentTypeError,
a UsageError and a TypeError that names the function and the parameter, before any work
(peppol_dpi/arguments.py). Before, such a slip surfaced as an AttributeError from deep inside,
was read as something else (an int has ``to_bytes``: it was signed as a business message), or
was blamed on the peer (a str key made ``open_package`` answer "decryption failed").

Each public function is called with valid arguments but one, which is replaced by text, None, a
number, a list, a bare object or bytes, unless that kind is one the parameter takes: every
parameter, those left at their defaults too (limits, profiles, id factories, optional texts)."""

from __future__ import annotations

import http.client
import importlib
import inspect
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import as4_support
import dns.resolver
import lookup_support
import pki
import pytest
import requests
import test_dpi_recipes as recipes
from cryptography.hazmat.primitives.serialization import Encoding

import peppol_dpi
from peppol_dpi.as4 import (
    check_message_id,
    error_signal,
    message_id_factory,
    read_dump,
    receipt_signal,
    receive_from,
    seat_id,
    write_dump,
    write_signal,
)
from peppol_dpi.dpi.mailbox import receive as mailbox_receive
from peppol_dpi.errors import ArgumentTypeError, PeppolDpiError, UsageError
from peppol_dpi.lookup import (
    naptr_name,
    resolve_smp_url,
    select_endpoint,
    sml_zone,
    verify_service_metadata,
)
from peppol_dpi.lookup.maskinporten import MASKINPORTEN_PRESETS
from peppol_dpi.revocation import revocation_checker
from peppol_dpi.sbdh import format_created, read_sbdh
from peppol_dpi.services.smp import sign_service_metadata

WRONG: dict[str, object] = {
    "text": "text",
    "none": None,
    "number": 7,
    "list": [b"x"],
    "object": object(),
    "bytes": b"\x00x",
}


def _entered(**arguments: Any) -> None:
    with peppol_dpi.read_dump_from(**arguments):
        pass


@cache
def _as4() -> dict[str, Any]:
    c2, c3 = pki.ap_key("c2"), pki.ap_key("c3")
    sbd = as4_support.make_sbd()
    headers, body, _ = peppol_dpi.build_message(
        sbd, key=c2, receiver_cert=c3.certificate, now=as4_support.NOW, message_id="m1@example"
    )
    trust = as4_support.trust()
    reception = peppol_dpi.receive(headers, body, key=c3, trust=trust, at=as4_support.NOW)
    status, answer_headers, answer_body = reception.answer(
        key=c3, now=as4_support.NOW, message_id="r1@example"
    )
    answer = peppol_dpi.read_answer(
        status, answer_headers, answer_body, trust=trust, at=as4_support.NOW
    )
    return {
        "c2": c2,
        "c3": c3,
        "sbd": sbd,
        "headers": headers,
        "body": body,
        "trust": trust,
        "status": status,
        "answer_headers": answer_headers,
        "answer_body": answer_body,
        "answer": answer,
    }


@cache
def _dpi() -> dict[str, Any]:
    return {"sent": recipes.send(), "pem": pki.business_key("digipost").certificate.public_bytes(Encoding.PEM)}  # fmt: skip


def _message_file(tmp: Path) -> Path:
    path = tmp / "message.bin"
    path.write_bytes(_as4()["body"])
    return path


def _cases(tmp: Path) -> dict[str, tuple[Callable[..., object], dict[str, Any], dict[str, set[str]]]]:  # fmt: skip
    """Public function name: (call, valid keyword arguments, kinds of WRONG a parameter takes)."""
    a, d = _as4(), _dpi()
    now = as4_support.NOW
    build = {"key": a["c2"], "receiver_cert": a["c3"].certificate, "now": now, "message_id": "m@x"}
    opening = {"key": a["c3"], "trust": a["trust"], "at": now}
    package = d["sent"].dokumentpakke
    mailbox = {"key": pki.business_key("digipost"), "trust": recipes.trust(), "at": recipes.NOW}
    paths = {"text"}  # a str is a path: a missing one is the OSError of open()
    optional = {"none"}
    text = {"text"}
    P = peppol_dpi
    return {
        "build_message": (P.build_message, {"sbd": a["sbd"], **build}, {"message_id": text}),
        "build_message_to": (
            P.build_message_to,
            {"sbd_source": io.BytesIO(a["sbd"]), "sink": io.BytesIO(), **build},
            {"sbd_source": paths, "message_id": text},
        ),
        "build_sbd": (
            P.build_sbd,
            {"header": P.read_sbd(a["sbd"]).header, "payload": P.read_sbd(a["sbd"]).payload},
            {},
        ),
        "check_receipt": (P.check_receipt, {"answer": a["answer"]}, {}),
        "inspect_message": (
            P.inspect_message,
            {"headers": a["headers"], "body": a["body"], "trust": a["trust"], "at": now},
            {"trust": optional, "at": optional},
        ),
        "inspect_message_from": (
            P.inspect_message_from,
            {"source": _message_file(tmp), "headers": a["headers"], "trust": a["trust"]},
            {"source": paths, "trust": optional},
        ),
        "load_certificate": (P.load_certificate, {"data": d["pem"]}, {}),
        "load_certificates": (P.load_certificates, {"data": d["pem"]}, {}),
        "load_key_file": (
            P.load_key_file,
            {"data": pki.path("ap-c2.p12").read_bytes(), "password": b"changeit"},
            {"password": optional},
        ),
        "load_trust_store": (
            P.load_trust_store,
            {"data": d["pem"], "password": b"unused"},
            {"password": optional},
        ),
        "open_message": (
            P.open_message,
            {"headers": a["headers"], "body": a["body"], **opening},
            {"at": optional},
        ),
        "open_message_from": (
            P.open_message_from,
            {
                "source": _message_file(tmp),
                "headers": a["headers"],
                "payload_sink": io.BytesIO(),
                **opening,
            },
            {"source": paths, "at": optional},
        ),
        "open_package": (
            P.open_package,
            {"data": package, **mailbox},
            {"trust": optional, "at": optional},
        ),
        "open_package_from": (
            P.open_package_from,
            {"source": io.BytesIO(package), **mailbox},
            {"source": paths, "trust": optional, "at": optional},
        ),
        "open_package_to": (
            P.open_package_to,
            {"source": io.BytesIO(package), "directory": tmp, **mailbox},
            {"source": paths, "directory": paths, "trust": optional, "at": optional},
        ),
        "package_fingerprint": (P.package_fingerprint, {"cms_bytes": package}, {}),
        "parse_business_message": (
            P.parse_business_message,
            {"data": d["sent"].message.to_bytes()},
            {},
        ),
        "read_answer": (
            P.read_answer,
            {
                "status": a["status"],
                "headers": a["answer_headers"],
                "body": a["answer_body"],
                "trust": a["trust"],
                "at": now,
            },
            {"status": {"number"}, "trust": optional, "at": optional},
        ),
        "read_dump_from": (_entered, {"source": _message_file(tmp)}, {"source": paths}),
        "read_sbd": (P.read_sbd, {"data": a["sbd"]}, {}),
        "receive": (
            P.receive,
            {"headers": a["headers"], "body": a["body"], **opening},
            {"at": optional},
        ),
        "seal": (
            P.seal,
            {
                "builder": recipes._builder(),
                "key": recipes.sender().key,
                "recipient": pki.business_key("digipost").certificate,
                "signing_time": recipes.NOW,
            },
            {},
        ),
        "send_digital": (
            P.send_digital,
            {
                "sender": recipes.sender(),
                "recipient": recipes.recipient(),
                "documents": recipes.DOCUMENTS,
                "token": recipes.token(),
                "title": "Vedtak",
                "created": recipes.NOW,
            },
            {"token": text, "title": text},
        ),
        "send_print": (
            P.send_print,
            {
                "sender": recipes.sender(),
                "recipient": _print_recipient(),
                "documents": recipes.DOCUMENTS[:1],
                "token": recipes.token(),
                "created": recipes.NOW,
            },
            {"token": text},
        ),
        "sign_business_message": (
            P.sign_business_message,
            {"message": d["sent"].message, "key": recipes.sender().key},
            {},
        ),
        "verify_business_message": (
            P.verify_business_message,
            {
                "token": d["sent"].forretningsmelding,
                "trust": recipes.trust(),
                "at": recipes.NOW,
                "package": package,
            },
            {"token": text, "trust": optional, "at": optional, "package": optional},
        ),
    }


def _print_recipient() -> peppol_dpi.PrintRecipient:
    from peppol_dpi.dpi.bodies import Adresse, Retur, Returposthaandtering

    address = Adresse(navn="Ola", adresselinje1="Vei 1", postnummer="1234", poststed="Nordby")
    return peppol_dpi.PrintRecipient(
        adresse=address,
        provider=recipes.PRINT,
        certificate=pki.business_key("eboks").certificate,
        retur=Retur(mottaker=address, returposthaandtering=Returposthaandtering.DIREKTE_RETUR),
    )


# -- the subpackages' entry points for input from outside ------------------------------------


def _subpackage_cases(tmp: Path) -> dict[str, tuple[Callable[..., object], dict[str, Any], dict[str, set[str]]]]:  # fmt: skip
    a, d = _as4(), _dpi()
    sent = d["sent"]
    optional = {"none"}
    dump = write_dump(a["headers"], a["body"])
    return {
        "as4.read_dump": (read_dump, {"data": dump}, {}),
        "as4.write_dump": (
            write_dump,
            {"headers": a["headers"], "body": a["body"]},
            {"body": {"list"}},  # an iterable of bytes, as build_message_chunks gives
        ),
        "as4.receive_from": (
            receive_from,
            {
                "source": _message_file(tmp),
                "headers": a["headers"],
                "key": a["c3"],
                "trust": a["trust"],
                "payload_sink": io.BytesIO(),
                "at": as4_support.NOW,
            },
            {"source": {"text"}, "at": optional},
        ),
        "sbdh.read_sbdh": (read_sbdh, {"data": a["sbd"]}, {}),
        "lookup.verify_service_metadata": (
            verify_service_metadata,
            {
                "data": sign_service_metadata(lookup_support.smp_metadata(), pki.smp_key()),
                "trust": pki.peppol_trust(),
                "at": as4_support.NOW,
            },
            {"trust": optional, "at": optional},
        ),
        "dpi.mailbox.receive": (
            mailbox_receive,
            {
                "forretningsmelding": sent.forretningsmelding,
                "dokumentpakke": sent.dokumentpakke,
                "trust": recipes.trust(),
                "open_package": recipes.opener(pki.business_key("digipost")),
                "maskinporten_keys": {"mp": pki.maskinporten_key().certificate.public_key()},
                "maskinporten_issuer": "https://test.maskinporten.no/",
                "at": recipes.NOW,
            },
            {"forretningsmelding": {"text"}, "at": optional},
        ),
    }


def _wrong_kinds(valid: object, takes: set[str]) -> list[str]:
    """The kinds of WRONG to try for a parameter: not those it takes, and not bytes where its
    valid value is bytes (a bytes parameter given other bytes is an input error, not a type
    error)."""
    return [k for k in WRONG if k not in takes and not (k == "bytes" and isinstance(valid, bytes))]


def _subpackage_wrong_calls() -> Iterator[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        cases = _subpackage_cases(Path(tmp))
    for name, (_, valid, takes) in cases.items():
        for parameter in ("data", "headers", "body", "source", "key", "trust", "at", "forretningsmelding", "dokumentpakke", "open_package", "payload_sink"):  # fmt: skip
            if parameter in valid:
                for kind in _wrong_kinds(valid[parameter], takes.get(parameter, set())):
                    yield name, parameter, kind


def _public_functions() -> list[str]:
    return sorted(n for n in peppol_dpi.__all__ if inspect.isfunction(getattr(peppol_dpi, n)))


def _taken_by(annotation: str) -> set[str]:
    """The kinds of WRONG a parameter's annotation admits (for those the table leaves out)."""
    kinds = {
        "none": r"\bNone\b",
        "text": r"\bstr\b|PathLike",
        "number": r"\b(?:int|float|bool)\b",
        "bytes": r"\bbytes\b",
        "list": r"Sequence|Iterable|Collection",
    }
    return {kind for kind, pattern in kinds.items() if re.search(pattern, annotation)}


def _wrong_calls() -> Iterator[tuple[str, str, str]]:
    """Every parameter of every public function: those the table gives a value, and those left
    at their defaults (limits, profiles, clocks, optional texts), by their annotations."""
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(Path(tmp))
    for name, (_, valid, takes) in cases.items():
        for parameter, spec in inspect.signature(getattr(peppol_dpi, name)).parameters.items():
            if parameter in valid:
                kinds = _wrong_kinds(valid[parameter], takes.get(parameter, set()))
            else:
                kinds = [k for k in WRONG if k not in _taken_by(str(spec.annotation))]
            for kind in kinds:
                yield name, parameter, kind


def test_every_public_function_is_covered(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    assert sorted(cases) == _public_functions()
    for name, (_, valid, _) in cases.items():
        function = getattr(peppol_dpi, name)
        required = {
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.default is inspect.Parameter.empty
        }
        assert required <= set(valid), f"{name}: {sorted(required - set(valid))} not exercised"


def _all_cases(tmp: Path) -> dict[str, tuple[Callable[..., object], dict[str, Any], dict[str, set[str]]]]:  # fmt: skip
    return _cases(tmp) | _subpackage_cases(tmp)


def _case_names() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        return sorted(_all_cases(Path(tmp)))


@pytest.mark.parametrize("name", _case_names())
def test_the_valid_arguments_are_valid(name: str, tmp_path: Path) -> None:
    call, valid, _ = _all_cases(tmp_path)[name]
    call(**valid)


@pytest.mark.parametrize(("name", "parameter", "kind"), [*_wrong_calls(), *_subpackage_wrong_calls()])  # fmt: skip
def test_a_wrong_type_is_refused_by_name(name: str, parameter: str, kind: str, tmp_path: Path) -> None:  # fmt: skip
    call, valid, _ = _all_cases(tmp_path)[name]
    with pytest.raises(ArgumentTypeError) as caught:
        call(**(valid | {parameter: WRONG[kind]}))
    error = caught.value
    assert isinstance(error, UsageError) and isinstance(error, TypeError)
    assert isinstance(error, PeppolDpiError)
    message = str(error)
    assert message.startswith(name.rsplit(".", 1)[-1]), message
    assert parameter in message or "TrustPolicy" in message, message


def test_nothing_is_written_before_the_refusal(tmp_path: Path) -> None:
    a = _as4()
    sink = io.BytesIO()
    with pytest.raises(ArgumentTypeError, match="build_message_to: key must be a PrivateKey"):
        peppol_dpi.build_message_to(
            io.BytesIO(a["sbd"]),
            sink,
            key=a["c2"].certificate,  # the certificate, not the key: the usual slip
            receiver_cert=a["c3"].certificate,
            now=as4_support.NOW,
            message_id="m@x",
        )
    assert sink.getvalue() == b""
    package = _dpi()["sent"].dokumentpakke
    with pytest.raises(ArgumentTypeError, match="open_package_to: key must be a PrivateKey"):
        peppol_dpi.open_package_to(io.BytesIO(package), pki.business_key("digipost").key, tmp_path)  # type: ignore[arg-type]  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_key_is_the_callers_error_not_the_peers() -> None:
    # Before: open_package answered DecryptionError "decryption failed" (EBMS:0102), which a
    # corner 4 reports to the sender; receive() raised an AttributeError from the decryption.
    package = _dpi()["sent"].dokumentpakke
    with pytest.raises(ArgumentTypeError):
        peppol_dpi.open_package(package, "digipost.p12")  # type: ignore[arg-type]
    a = _as4()
    with pytest.raises(ArgumentTypeError):
        peppol_dpi.receive(a["headers"], a["body"], key=None, trust=a["trust"])  # type: ignore[arg-type]


def test_an_int_is_no_business_message() -> None:
    # An int has to_bytes(): it was signed as the one-byte message b"\x07".
    with pytest.raises(ArgumentTypeError, match="message must be a BusinessMessage, not int"):
        peppol_dpi.sign_business_message(7, recipes.sender().key)  # type: ignore[arg-type]


def test_a_str_password_is_named() -> None:
    with pytest.raises(ArgumentTypeError, match=r"password must be bytes or None \(e.g. b'changeit'\), not str"):  # fmt: skip
        peppol_dpi.load_key_file(pki.path("ap-c2.p12").read_bytes(), "changeit")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_bytes_parameters_take_their_mutable_and_viewed_kin(kind: Callable[[bytes], Any]) -> None:
    a, d = _as4(), _dpi()
    assert peppol_dpi.read_sbd(kind(a["sbd"])).header == peppol_dpi.read_sbd(a["sbd"]).header
    opened = peppol_dpi.open_message(a["headers"], kind(a["body"]), key=a["c3"], trust=a["trust"], at=as4_support.NOW)  # fmt: skip
    assert opened.payload == a["sbd"]
    package = d["sent"].dokumentpakke
    assert peppol_dpi.package_fingerprint(kind(package)) == peppol_dpi.package_fingerprint(package)
    assert peppol_dpi.load_certificate(kind(d["pem"])) == pki.business_key("digipost").certificate
    message = d["sent"].message
    assert peppol_dpi.parse_business_message(kind(message.to_bytes())) == message


def test_headers_may_be_pairs_of_str_but_nothing_else() -> None:
    a = _as4()
    pairs = list(a["headers"].items())
    opened = peppol_dpi.open_message(pairs, a["body"], key=a["c3"], trust=a["trust"], at=as4_support.NOW)  # fmt: skip
    assert opened.payload == a["sbd"]
    # http.client's (and urllib's) headers: an email Message, which is no Mapping.
    head = "".join(f"{k}: {v}\r\n" for k, v in a["headers"].items()) + "\r\n"
    message = http.client.parse_headers(io.BytesIO(head.encode("latin-1")))
    opened = peppol_dpi.open_message(message, a["body"], key=a["c3"], trust=a["trust"], at=as4_support.NOW)  # fmt: skip
    assert opened.payload == a["sbd"]
    as_bytes = {k.encode(): v.encode() for k, v in a["headers"].items()}
    with pytest.raises(ArgumentTypeError, match="headers must pair str names with str values"):
        peppol_dpi.open_message(as_bytes, a["body"], key=a["c3"], trust=a["trust"])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: peppol_dpi.Sender(key="sender.p12", organisation=recipes.LEGAL), "Sender: key must be a PrivateKey"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.Sender(key=pki.business_key("sender"), organisation="991825827"), "Sender: organisation must be a ParticipantId"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.DigitalRecipient(postkasseadresse="ola#1", provider="0192:984661185"), "DigitalRecipient: provider must be a ParticipantId"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.DigitalRecipient(postkasseadresse=None, provider=recipes.DIGIPOST), "DigitalRecipient: postkasseadresse must be a str"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.DigitalRecipient(postkasseadresse="ola#1", provider=recipes.DIGIPOST, certificate=b"PEM"), "DigitalRecipient: certificate must be an x509.Certificate"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.PrintRecipient(adresse="Vei 1", provider=recipes.PRINT, retur=None), "PrintRecipient: adresse must be an Adresse"),  # type: ignore[arg-type]
        # A str is iterable: its letters became the anchors, and validate() an AttributeError.
        (lambda: peppol_dpi.TrustPolicy(anchors="root.pem"), "TrustPolicy: anchors must be certificates"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.TrustPolicy(anchors=(pki.root_ca(),), intermediates=(b"PEM",)), "TrustPolicy: intermediates must be x509.Certificate objects, not bytes"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.TrustPolicy(anchors=None), "TrustPolicy: anchors must be certificates"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.LocalPrivateKey(key=pki.ap_key("c2").key, certificate="c2.pem"), "LocalPrivateKey: certificate must be an x509.Certificate"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.Document(name=5, content=b"x"), "Document: name must be a str, not int"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.AsicBuilder().main_document("vedtak.pdf"), "AsicBuilder.main_document: document must be a Document"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.AsicBuilder().add_attachment(b"%PDF"), "AsicBuilder.add_attachment: document must be a Document"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.AsicBuilder().mailbox(5), "AsicBuilder.mailbox: address must be a str"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.AsicBuilder().mailbox("ola#1", person_identifier=5), "AsicBuilder.mailbox: person_identifier must be a str or None"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.AsicBuilder().sender(recipes.LEGAL, sender_identifier=5), "AsicBuilder.sender: sender_identifier must be a str or None"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.AsicBuilder().certificate_chain("chain.pem"), "AsicBuilder.certificate_chain: chain must be a tuple of x509.Certificate"),  # type: ignore[arg-type]
        (lambda: recipes._builder().build(pki.business_key("processor").certificate, signing_time=recipes.NOW), "AsicBuilder.build: key must be a PrivateKey"),  # type: ignore[arg-type]
        (lambda: recipes._builder().build(pki.business_key("processor"), signing_time="2026-03-16"), "AsicBuilder.build: signing_time must be a timezone-aware datetime"),  # type: ignore[arg-type]
        (lambda: recipes._builder().write("package.zip", pki.business_key("processor"), signing_time=recipes.NOW), "AsicBuilder.write: sink must be a binary file open for writing"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.SmpClient(session="https://smp.example", trust=None), "SmpClient: session must be a requests.Session, not str"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.SmpClient(session=requests.Session(), trust="ap-ca.pem"), "SmpClient: trust must be a TrustPolicy or None, not str"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.EndpointFinder(smp="https://smp.example"), "EndpointFinder: smp must be an SmpClient"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.KrrClient(session=requests.Session(), base_url=None), "KrrClient: base_url must be a str, not NoneType"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.MaskinportenClient(session=requests.Session(), environment=MASKINPORTEN_PRESETS["test"], client_id="c", key=pki.business_key("sender").certificate), "MaskinportenClient: key must be a PrivateKey"),  # type: ignore[arg-type]
        (lambda: peppol_dpi.MaskinportenClient(session=requests.Session(), environment="test", client_id="c", key=pki.business_key("sender")), "MaskinportenClient: environment must be a MaskinportenEnvironment, not str"),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_value_types_and_builders_check_their_fields(make: Callable[[], object], message: str) -> None:  # fmt: skip
    with pytest.raises(ArgumentTypeError, match=message):
        make()


class _NoTraffic(requests.Session):
    """A session that fails the test if anything is sent: the checks come before any I/O."""

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        raise AssertionError(f"a request was sent: {args[:2]}")


def _clients() -> dict[str, Any]:
    session = _NoTraffic()
    smp = peppol_dpi.SmpClient(session=session, trust=None)
    return {
        "smp": smp,
        "finder": peppol_dpi.EndpointFinder(smp=smp, smp_url="http://127.0.0.1:9"),
        "krr": peppol_dpi.KrrClient(session=session, base_url="http://127.0.0.1:9"),
        "maskinporten": peppol_dpi.MaskinportenClient(
            session=session,
            environment=MASKINPORTEN_PRESETS["test"],
            client_id="c",
            key=pki.business_key("sender"),
        ),
    }


_PARTICIPANT = peppol_dpi.ParticipantId.parse("0192:984661185")
_DOCUMENT = peppol_dpi.DocumentTypeId.parse("urn:x::y##urn:c::1.0")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # A str identifier was looked up under another name (no scheme in the URL).
        (lambda c: c["finder"].find("0192:984661185", _DOCUMENT, None), "EndpointFinder.find: participant must be a ParticipantId"),
        (lambda c: c["finder"].find(_PARTICIPANT, "urn:x::y##urn:c::1.0", None), "EndpointFinder.find: document_type must be a DocumentTypeId"),
        (lambda c: c["finder"].find(_PARTICIPANT, _DOCUMENT, "urn:p"), "EndpointFinder.find: process must be a ProcessId or None"),
        (lambda c: c["smp"].service_group("http://127.0.0.1:9", "0192:984661185"), "SmpClient.service_group: participant must be a ParticipantId"),
        (lambda c: c["smp"].service_group(5, _PARTICIPANT), "SmpClient.service_group: smp_url must be a str"),
        (lambda c: c["smp"].service_metadata("http://127.0.0.1:9", _PARTICIPANT, _DOCUMENT, at="2026-11-27"), "SmpClient.service_metadata: at must be a timezone-aware datetime"),
        (lambda c: c["smp"].endpoint("http://127.0.0.1:9", _PARTICIPANT, "urn:x", process=None), "SmpClient.endpoint: document_type must be a DocumentTypeId"),
        # A str is a sequence: it asked for the scopes d, i, g, d, i, r, ...
        (lambda c: c["maskinporten"].token("digdir:dpi"), "MaskinportenClient.token: scopes must be a list of str, not str"),
        (lambda c: c["maskinporten"].grant(["digdir:dpi"], resources="https://x"), "MaskinportenClient.grant: resources must be a list of str, not str"),
        (lambda c: c["maskinporten"].token(["digdir:dpi"], consumer_org=991825827), "MaskinportenClient.token: consumer_org must be a str, not int"),
        # One identifier as a str was eleven identifiers of one digit ("11 digits" error).
        (lambda c: c["krr"].persons("12345678901", token="t"), "KrrClient.persons: identifiers must be a list of str, not str"),
        (lambda c: c["krr"].person("12345678901", token=5), "KrrClient.person: token must be an AccessToken or a str, not int"),
        (lambda c: c["krr"].person(12345678901, token="t"), "KrrClient.person: identifier must be a str, not int"),
    ],
)  # fmt: skip
def test_client_methods_check_their_arguments_before_any_request(call: Callable[[dict[str, Any]], object], message: str) -> None:  # fmt: skip
    with pytest.raises(ArgumentTypeError, match=message):
        call(_clients())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"leaf": "ap-c2.pem"}, "TrustPolicy.validate: leaf must be an x509.Certificate, not str"),
        ({"leaf": None}, "TrustPolicy.validate: leaf must be an x509.Certificate, not NoneType"),
        ({"chain": "ca.pem"}, "TrustPolicy.validate: chain must be a tuple of x509.Certificate, not str"),
        ({"chain": (b"DER",)}, "TrustPolicy.validate: chain must be a tuple of x509.Certificate, not tuple"),
        ({"at": "2026-11-27"}, "TrustPolicy.validate: at must be a timezone-aware datetime, not str"),
    ],
)  # fmt: skip
def test_trust_policy_validate_checks_its_arguments(
    arguments: dict[str, Any], message: str
) -> None:
    leaf = pki.ap_key("c2").certificate
    with pytest.raises(ArgumentTypeError, match=message):
        pki.peppol_trust().validate(**({"leaf": leaf} | arguments))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a, d, p: peppol_dpi.open_message_from(p.open(encoding="latin-1"), a["headers"], key=a["c3"], trust=a["trust"], payload_sink=io.BytesIO()), r"open_message_from: source must be a binary file \(open it with 'rb'\)"),
        (lambda a, d, p: peppol_dpi.open_message_from(p, a["headers"], key=a["c3"], trust=a["trust"], payload_sink=io.StringIO()), r"open_message_from: payload_sink must be a binary file \(open it with 'wb'\)"),
        (lambda a, d, p: peppol_dpi.build_message_to(io.BytesIO(a["sbd"]), io.StringIO(), key=a["c2"], receiver_cert=a["c3"].certificate, now=as4_support.NOW, message_id="m@x"), "build_message_to: sink must be a binary file"),
        # A text file was a package that could not be decrypted: the peer's fault, EBMS:0102.
        (lambda a, d, p: peppol_dpi.open_package_from(io.StringIO("MIAG"), pki.business_key("digipost")), "open_package_from: source must be a binary file"),
        (lambda a, d, p: peppol_dpi.verify_business_message(d["sent"].forretningsmelding, trust=None, package=io.StringIO("x")), "verify_business_message: package must be a binary file"),
        (lambda a, d, p: read_sbdh(io.StringIO("<a/>")), "read_sbdh: data must be a binary file"),
    ],
)  # fmt: skip
def test_a_text_file_is_refused_where_a_binary_one_belongs(call: Callable[[dict[str, Any], dict[str, Any], Path], object], message: str, tmp_path: Path) -> None:  # fmt: skip
    with pytest.raises(ArgumentTypeError, match=message):
        call(_as4(), _dpi(), _message_file(tmp_path))


def test_scopes_may_be_any_collection_of_str_but_not_a_generator() -> None:
    clients = _clients()
    with pytest.raises(AssertionError, match="a request was sent"):  # the check passed
        clients["maskinporten"].token({"digdir:dpi", "krr:global/digitalpost.read"})
    # A generator was used up by token()'s cache key before grant() read it, which then
    # said "scopes must be non-empty words, got ()".
    with pytest.raises(ArgumentTypeError, match="scopes must be a list of str, not generator"):
        clients["maskinporten"].token(s for s in ["digdir:dpi"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_message_id(5), "check_message_id: value must be a str, not int"),
        # An int host made ids '<uuid>@5'.
        (lambda: message_id_factory(5), "message_id_factory: host must be a str, not int"),
        (lambda: seat_id("CN=POP000001"), "seat_id: cert must be an x509.Certificate"),
        (lambda: write_signal("receipt", key=pki.ap_key("c3")), "write_signal: signal must be a SignalMessage, not str"),
        (lambda: error_signal(ValueError("x"), ref_to_message_id=None, now=as4_support.NOW, message_id="e@x"), "error_signal: error must be an InputError, not ValueError"),
        (lambda: receipt_signal(ref_to_message_id="m@x", references=[b"ref"], now=as4_support.NOW, message_id="r@x"), "receipt_signal: references must be a tuple of SignedReference"),
        (lambda: receipt_signal(ref_to_message_id="m@x", references=(), now="2026-11-01", message_id="r@x"), "MessageInfo: timestamp must be a timezone-aware datetime, not str"),
        (lambda: format_created("2026-11-27"), "format_created: value must be a timezone-aware datetime, not str"),
        (lambda: sml_zone(5), "sml_zone: name_or_zone must be a str, not int"),
        (lambda: naptr_name("0192:991825827", "sml.example"), "naptr_name: participant must be a ParticipantId, not str"),
        (lambda: resolve_smp_url(_PARTICIPANT, zone="elma-prod", resolver=dns.resolver.Resolver(configure=False)), "resolve_smp_url: zone must be an SmlZone, not str"),
        (lambda: resolve_smp_url(_PARTICIPANT, zone=sml_zone("elma-prod"), resolver="8.8.8.8"), "resolve_smp_url: resolver must be a Resolver, not str"),
        (lambda: select_endpoint("metadata.xml", process=None, at=as4_support.NOW), "select_endpoint: metadata must be a ServiceMetadata, not str"),
        # A wrong session failed only at the first certificate naming a responder: an
        # AttributeError out of TrustPolicy.validate, in the middle of an open.
        (lambda: revocation_checker("https://ocsp.example"), "revocation_checker: session must be a requests.Session, not str"),
    ],
)  # fmt: skip
def test_the_subpackages_other_functions_check_their_arguments(call: Callable[[], object], message: str) -> None:  # fmt: skip
    with pytest.raises(ArgumentTypeError, match=message):
        call()


# -- every exported function, whatever comes next ----------------------------------------------

#: The supported surface: the curated API and the subpackages' own lists.
_SURFACES = ("peppol_dpi", "peppol_dpi.as4", "peppol_dpi.sbdh", "peppol_dpi.lookup", "peppol_dpi.transport", "peppol_dpi.revocation", "peppol_dpi.xmldsig")  # fmt: skip


def _exported_functions() -> list[tuple[str, str]]:
    found: dict[Callable[..., object], tuple[str, str]] = {}
    for module_name in _SURFACES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value) and value not in found:
                found[value] = (module_name, name)
    return sorted(found.values())


@pytest.mark.parametrize(("module_name", "name"), _exported_functions())
def test_every_exported_function_refuses_a_bare_object_for_each_required_argument(module_name: str, name: str) -> None:  # fmt: skip
    # A new exported function that forgets its checks fails here: with a bare object for every
    # argument it must take, the first check it makes must refuse it, before any work.
    function = getattr(importlib.import_module(module_name), name)
    required = {
        p.name: object()
        for p in inspect.signature(function).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD
    }
    if not required:
        assert name in ("random_nonce", "random_uuid"), f"{name} takes no argument: say so here"
        return
    with pytest.raises(ArgumentTypeError, match=rf"^{re.escape(name)}\b"):
        result = function(**required)
        if hasattr(result, "__enter__"):  # read_dump_from checks on entering
            with result:
                pass
