"""Refusals no other test drove: lookup clients (SML, SMP, KRR, Maskinporten), the SBDH model and
reader, and the access points' receiving side, each fed one crafted bad input and held to the
exact error class and rule (and ebMS code where the module sets one)."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import pki
import pytest
import requests
import urllib3
from cryptography.hazmat.primitives.serialization import Encoding
from dns.rdtypes.IN.NAPTR import NAPTR
from lxml import etree
from sbdh_support import INVOICE, header_for
from transport_doubles import SENDER_ORG, letter, make_key, receipt_for, sign_as, utcnow
from transport_harness import Keys, as4_codec

from peppol_dpi import ns
from peppol_dpi.dpi.jws import decode_unverified
from peppol_dpi.dpi.message import parse_business_message
from peppol_dpi.errors import SignatureError, UsageError, ValidationError
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.jose import encode_compact
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.lookup.cache import TtlCache
from peppol_dpi.lookup.discovery import EndpointFinder, discover_endpoint
from peppol_dpi.lookup.errors import (
    KrrError,
    LookupTimeoutError,
    MaskinportenError,
    NotRegisteredError,
    SmlError,
    SmpError,
)
from peppol_dpi.lookup.krr import KrrClient, parse_person
from peppol_dpi.lookup.maskinporten import (
    JwtGrant,
    MaskinportenClient,
    MaskinportenEnvironment,
    parse_token_claims,
)
from peppol_dpi.lookup.naptr import NaptrRecord, parse_substitution
from peppol_dpi.lookup.sml import (
    SmlZone,
    legacy_cname_name,
    naptr_name,
    resolve_legacy_smp_url,
    resolve_smp_url,
    select_smp_url,
    sml_zone,
)
from peppol_dpi.lookup.smp import (
    Endpoint,
    ProcessMetadata,
    Redirect,
    ServiceGroup,
    ServiceMetadata,
    SmpFlavour,
    TransportProfile,
    select_endpoint,
    service_group_url,
    wildcard_candidates,
)
from peppol_dpi.lookup.smp_client import SmpClient
from peppol_dpi.lookup.smp_verify import signer_matches_uid, verify_service_metadata
from peppol_dpi.lookup.smp_write import SmpWriteClient
from peppol_dpi.lookup.smp_xml import (
    build_service_group,
    build_service_metadata,
    parse_service_group,
    read_service_metadata,
)
from peppol_dpi.sbdh import (
    BinaryContent,
    Scope,
    TextContent,
    XmlPayload,
    build_sbd,
    read_sbd,
    read_sbdh,
)
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.dns import DnsZone, serve_dns
from peppol_dpi.services.smp import sign_service_metadata
from peppol_dpi.transport.auth import TokenClaims
from peppol_dpi.transport.corner2 import Corner2Api
from peppol_dpi.transport.corner3 import Corner3Receipts, delivery_sink, receipt_sink
from peppol_dpi.transport.delivery import encode_form_data
from peppol_dpi.transport.dpi_formats import DpiPayloads
from peppol_dpi.transport.http import HttpError, Request
from peppol_dpi.transport.inbox import As4Inbox, Sink
from peppol_dpi.transport.ports import ReadBusinessMessage
from peppol_dpi.transport.sqlite_store import SqliteStore
from peppol_dpi.transport.wire import WireMessage
from peppol_dpi.xmldsig import C14nMethod, ReferenceSpec, Transform, sign
from peppol_dpi.xmlparse import parse_xml, to_bytes

NOW = datetime(2026, 6, 1, tzinfo=UTC)
RECEIVER = ParticipantId.parse("0192:984661185")
OTHER = ParticipantId.parse("0192:974760673")
DIGITAL = DocumentTypeId.parse(
    "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost"
    "##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0"
)
DIGITAL_PROCESS = ProcessId.parse(
    "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0"
)
OASIS_NS = (
    'xmlns="http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceMetadata"'
    ' xmlns:cac="http://docs.oasis-open.org/bdxr/ns/SMP/2/AggregateComponents"'
    ' xmlns:cbc="http://docs.oasis-open.org/bdxr/ns/SMP/2/BasicComponents"'
)
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]


# -- shared helpers ----------------------------------------------------------------------------


def _app(
    status: str, body: bytes, content_type: str = "application/json", **headers: str
) -> WsgiApp:
    """A WSGI application answering every request with the same response."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", content_type), *headers.items()])
        return [body]

    return app


def _endpoint(**changes: Any) -> Endpoint:
    values: dict[str, Any] = {
        "transport_profile": TransportProfile.PEPPOL_AS4_V2,
        "url": "https://ap.example/as4",
        "certificate": pki.ap_key("c3").certificate,
        "description": "corner 3",
        "technical_contact": "mailto:ops@example.test",
    }
    return Endpoint(**(values | changes))


def _metadata(
    *endpoints: Endpoint, participant: ParticipantId = RECEIVER, processes: int = 1
) -> ServiceMetadata:
    process_ids = [DIGITAL_PROCESS, ProcessId.parse("urn:other:process")][:processes]
    return ServiceMetadata(
        participant=participant,
        document_type=DIGITAL,
        processes=tuple(
            ProcessMetadata(process=p, endpoints=endpoints or (_endpoint(),)) for p in process_ids
        ),
    )


def _cert_b64(key: LocalPrivateKey) -> str:
    return base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode()


def _sign_oasis(document: bytes, key: LocalPrivateKey) -> bytes:
    """Sign an OASIS SMP 2.0 document as such an SMP does (enveloped, C14N 1.1), as the OASIS
    test in test_lookup_smp.py does."""
    root = parse_xml(document)
    key_info = etree.Element(f"{{{ns.DS}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{ns.DS}}}X509Data")
    etree.SubElement(x509_data, f"{{{ns.DS}}}X509Certificate").text = _cert_b64(key)
    sign(
        parent=root,
        references=[
            ReferenceSpec(
                uri="", transforms=(Transform.ENVELOPED_SIGNATURE, Transform.INCLUSIVE_C14N_11)
            )
        ],
        key=key,
        c14n_method=C14nMethod.INCLUSIVE_11,
        key_info=key_info,
    )
    return etree.tostring(root)


# -- lookup/cache.py ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs", [{"ttl": timedelta(0)}, {"ttl": timedelta(seconds=-1)}, {"max_entries": 0}]
)
def test_a_cache_without_a_positive_ttl_and_size_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        TtlCache(**kwargs)


def test_a_full_cache_drops_its_oldest_entry_first() -> None:
    cache: TtlCache[int] = TtlCache(max_entries=2, clock=lambda: NOW)
    for number, key in enumerate("abc"):
        cache.put(key, number)
    assert [cache.get(k) for k in "abc"] == [None, 1, 2]


def test_the_default_clock_is_utc_and_keeps_a_fresh_entry() -> None:
    cache: TtlCache[str] = TtlCache(ttl=timedelta(hours=1))
    cache.put("k", "v", expires=datetime.now(UTC) + timedelta(minutes=5))
    assert cache.get("k") == "v"
    cache.put("old", "v", expires=datetime.now(UTC) - timedelta(seconds=1))
    assert cache.get("old") is None  # compared with the default (aware, UTC) clock


def test_clearing_the_smp_client_cache_fetches_the_metadata_again() -> None:
    hits: list[str] = []
    signed = sign_service_metadata(_metadata(), pki.smp_key())

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        hits.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [signed]

    with serve_wsgi_in_thread(app) as server, requests.Session() as session:
        client = SmpClient(session=session, trust=pki.peppol_trust())
        client.service_metadata(server.url, RECEIVER, DIGITAL, at=NOW)
        client.service_metadata(server.url, RECEIVER, DIGITAL, at=NOW)
        assert len(hits) == 1  # the second answer came from the cache
        client.clear_cache()
        client.service_metadata(server.url, RECEIVER, DIGITAL, at=NOW)
        assert len(hits) == 2


# -- lookup/discovery.py -----------------------------------------------------------------------


def test_discovery_without_an_smp_url_nor_a_zone_and_resolver_is_refused() -> None:
    with requests.Session() as session:
        smp = SmpClient(session=session, trust=None)
        with pytest.raises(UsageError):
            discover_endpoint(RECEIVER, DIGITAL, process=None, smp=smp, zone=sml_zone("x.test"))
        with pytest.raises(UsageError):
            EndpointFinder(smp=smp, zone=sml_zone("x.test"))


# -- lookup/http.py ----------------------------------------------------------------------------


def test_an_exhausted_time_budget_is_a_lookup_timeout_before_any_request() -> None:
    with requests.Session() as session:
        client = SmpClient(session=session, trust=None, timeout=(1.0, 0.0))
        with pytest.raises(LookupTimeoutError):
            client.service_metadata("http://127.0.0.1:9", RECEIVER, DIGITAL)


def test_a_redirect_chain_longer_than_three_hops_is_refused() -> None:
    def chain(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        hop = int(m[1]) + 1 if (m := re.match(r"/hop(\d+)", environ["PATH_INFO"])) else 1
        start_response("302 Found", [("Location", f"/hop{hop}")])
        return [b""]

    with (
        serve_wsgi_in_thread(chain) as server,
        requests.Session() as session,
        pytest.raises(SmpError) as info,
    ):
        client = SmpClient(session=session, trust=None, timeout=(2.0, 5.0))
        client.service_metadata(server.url, RECEIVER, DIGITAL)
    assert info.value.rule == "smp:too-many-redirects"


def test_a_redirect_to_another_scheme_is_refused() -> None:
    app = _app("302 Found", b"", Location="ftp://files.example/metadata")
    with (
        serve_wsgi_in_thread(app) as server,
        requests.Session() as session,
        pytest.raises(SmpError) as info,
    ):
        SmpClient(session=session, trust=None).service_metadata(server.url, RECEIVER, DIGITAL)
    assert info.value.rule == "smp:bad-redirect"


class _RedirectingAdapter(requests.adapters.BaseAdapter):
    """A transport for https:// that answers every request with a redirect to ``location``
    (an HTTPS server that downgrades, without a TLS server in the test)."""

    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(b""),
            headers={"Location": self.location, "Content-Length": "0"},
            status=302,
            preload_content=False,
        )
        return requests.adapters.HTTPAdapter().build_response(request, raw)

    def close(self) -> None:
        pass


def test_a_redirect_from_https_to_http_is_refused() -> None:
    with requests.Session() as session:
        # Both schemes answered locally: nothing leaves the machine, whatever the client does.
        session.mount("https://", _RedirectingAdapter("http://smp.example/plain"))
        session.mount("http://", _RedirectingAdapter("http://smp.example/plain"))
        with pytest.raises(SmpError) as info:
            SmpClient(session=session, trust=None).service_metadata(
                "https://smp.example", RECEIVER, DIGITAL
            )
    assert info.value.rule == "smp:insecure-redirect"


# -- lookup/krr.py -----------------------------------------------------------------------------


def test_krr_times_are_read_with_their_offset_and_utc_when_they_name_none() -> None:
    person = parse_person(
        {
            "personidentifikator": "01017012345",
            "reservasjonstidspunkt": "2026-01-02T03:04:05+01:00",
            "kontaktinformasjon": {"epostadresse_oppdatert": "2026-01-02T03:04:05"},
        }
    )
    assert person.reservation_time == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1))
    )
    assert person.contact is not None
    assert person.contact.email_updated == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "entry",
    [
        {"reservasjonstidspunkt": "yesterday"},  # not a time
        {"kontaktinformasjon": {"mobiltelefonnummer_oppdatert": "2026-13-01T00:00:00"}},
        {"digital_post": {"postkasseleverandoeradresse": "984661185"}},  # no postkasseadresse
        {"digital_post": {"postkasseadresse": "a#1", "postkasseleverandoeradresse": "123"}},
        {"digital_post": {"postkasseadresse": "a#1"}},  # no provider at all
    ],
)
def test_bad_krr_person_fields_are_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(KrrError) as info:
        parse_person({"personidentifikator": "01017012345"} | entry)
    assert info.value.rule == "krr:answer"


@pytest.mark.parametrize(
    ("session", "base_url"),
    [("not a session", "https://kontaktregisteret.no"), ("session", "ftp://krr.example")],
)
def test_a_krr_client_needs_a_session_and_an_http_url(session: str, base_url: str) -> None:
    with requests.Session() as real, pytest.raises(UsageError):
        given: Any = real if session == "session" else session
        KrrClient(session=given, base_url=base_url)


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("person", b'{"personer": []}'),  # no entry for the person asked for
        (
            "person",  # two entries for one person
            b'{"personer": [{"personidentifikator": "01017012345"},'
            b' {"personidentifikator": "01017012345"}]}',
        ),
        ("print", b"[]"),  # not an object
        ("print", b'{"postkasseleverandoerAdresse": "971032146"}'),  # no certificate
    ],
)
def test_krr_answers_without_the_expected_entry_are_refused(call: str, body: bytes) -> None:
    with serve_wsgi_in_thread(_app("200 OK", body)) as server, requests.Session() as session:
        client = KrrClient(session=session, base_url=server.url)
        with pytest.raises(KrrError) as info:
            if call == "person":
                client.person("01017012345", token="t")
            else:
                client.print_certificate()
    assert info.value.rule == "krr:answer"


# -- lookup/maskinporten.py --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token_url", "issuer"),
    [("ftp://mp.example/token", "https://mp.example/"), ("https://mp.example/token", "mp")],
)
def test_a_maskinporten_environment_needs_http_urls(token_url: str, issuer: str) -> None:
    with pytest.raises(UsageError):
        MaskinportenEnvironment(name="x", token_url=token_url, issuer=issuer)


@pytest.mark.parametrize("changes", [{"client_id": ""}, {"jti": ""}])
def test_a_grant_without_client_id_or_jti_is_refused(changes: dict[str, str]) -> None:
    values: dict[str, Any] = {
        "client_id": "c",
        "audience": "a",
        "scopes": ("digitalpostinnbygger:send",),
        "issued_at": NOW,
        "jti": "j",
    }
    with pytest.raises(UsageError):
        JwtGrant(**(values | changes))


@pytest.mark.parametrize(
    "value", ["0192:991825827", {"authority": "iso6523-actorid-upis"}, {"ID": 991825827}]
)
def test_a_token_whose_consumer_is_not_an_organisation_object_is_refused(value: Any) -> None:
    # dpi.md 5: consumer is {"authority": "iso6523-actorid-upis", "ID": "0192:<orgnr>"}.
    token = encode_compact(
        header={"alg": "RS256"}, payload={"consumer": value}, key=pki.maskinporten_key()
    )
    with pytest.raises(MaskinportenError) as info:
        parse_token_claims(token)
    assert info.value.rule == "maskinporten:claims"


def test_a_maskinporten_client_needs_a_requests_session() -> None:
    environment = MaskinportenEnvironment(
        name="x", token_url="https://mp.example/token", issuer="https://mp.example/"
    )
    with pytest.raises(UsageError):
        MaskinportenClient(
            session=object(),  # type: ignore[arg-type]
            environment=environment,
            client_id="c",
            key=pki.business_key("sender"),
        )


@pytest.mark.parametrize(
    ("status", "body", "rule"),
    [
        ("400 Bad Request", b"<html>no</html>", "maskinporten:http-status"),  # not JSON
        ("200 OK", b"<html>maintenance</html>", "maskinporten:answer"),  # not JSON
        ("200 OK", b'{"token_type": "Bearer", "expires_in": 120}', "maskinporten:answer"),
        ("200 OK", b'{"access_token": "x"}', "maskinporten:answer"),  # no expires_in
        ("200 OK", b'{"access_token": "x", "expires_in": true}', "maskinporten:answer"),
        ("200 OK", b'{"access_token": "x", "expires_in": 0}', "maskinporten:answer"),
        ("200 OK", b'{"access_token": "x", "expires_in": "120"}', "maskinporten:answer"),
    ],
)
def test_unusable_token_answers_are_refused(status: str, body: bytes, rule: str) -> None:
    with serve_wsgi_in_thread(_app(status, body)) as server, requests.Session() as session:
        environment = MaskinportenEnvironment(
            name="local", token_url=f"{server.url}/token", issuer=f"{server.url}/"
        )
        client = MaskinportenClient(
            session=session,
            environment=environment,
            client_id="c",
            key=pki.business_key("sender"),
        )
        with pytest.raises(MaskinportenError) as info:
            client.token(["digitalpostinnbygger:send"])
    assert info.value.rule == rule


# -- lookup/naptr.py ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes", [{"order": 0x10000}, {"preference": -1}, {"order": "100"}, {"preference": 1.5}]
)
def test_naptr_order_and_preference_are_16_bit_numbers(changes: dict[str, Any]) -> None:
    # RFC 3403 4.1: ORDER and PREFERENCE are 16-bit unsigned integers.
    values: dict[str, Any] = {
        "order": 100,
        "preference": 10,
        "flags": "U",
        "service": "Meta:SMP",
        "regexp": "!.*!https://smp.example/!",
        "replacement": ".",
    }
    with pytest.raises(SmlError) as info:
        NaptrRecord(**(values | changes))
    assert info.value.rule == "sml:malformed-naptr"


@pytest.mark.parametrize(
    ("regexp", "why"),
    [
        # translated, but Python's re refuses the reversed range
        ("![z-a]!x!", "is not a valid regular expression"),
        ("!*a!x!", "quantifier '*' follows nothing"),
        ("!a|+!x!", "quantifier '+' follows nothing"),
        ("![[:word:]]!x!", "unsupported character class [:word:]"),  # not in the translation
        ("![[:alpha]!x!", "unsupported character class [::]"),  # never closed
        ("![[=a=]]!x!", "collating elements are not supported"),
        ("![[.a.]]!x!", "collating elements are not supported"),
    ],
)
def test_malformed_naptr_patterns_are_refused(regexp: str, why: str) -> None:
    with pytest.raises(SmlError) as info:
        parse_substitution(regexp)
    assert why in info.value.message
    assert info.value.rule == "sml:malformed-naptr"


@pytest.mark.parametrize(
    ("regexp", "subject", "expected"),
    [
        ("![^a-c]!x!", "abcd", "abcx"),  # a negated bracket expression
        ("![^a-c]!x!", "abc", None),
        ("!^n!a\\\\b!", "n.example", "a\\b.example"),  # an escaped backslash is a backslash
    ],
)
def test_negated_brackets_and_escaped_backslashes_substitute_exactly(
    regexp: str, subject: str, expected: str | None
) -> None:
    assert parse_substitution(regexp).apply(subject) == expected


# -- lookup/sml.py -----------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [".", "", ".".join(["a" * 60] * 4)])
def test_an_empty_or_overlong_sml_zone_is_refused(zone: str) -> None:
    with pytest.raises(UsageError):
        SmlZone(zone=zone)


def test_a_participant_name_beyond_253_characters_is_refused() -> None:
    zone = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 8])  # 200 characters: a valid zone
    with pytest.raises(UsageError):
        naptr_name(RECEIVER, zone)
    with pytest.raises(UsageError):
        legacy_cname_name(RECEIVER, zone)


def test_naptr_records_whose_regexp_matches_no_name_are_refused() -> None:
    record = NaptrRecord(
        order=100,
        preference=10,
        flags="U",
        service="Meta:SMP",
        regexp="!^other\\.example$!https://smp.example/!",
        replacement=".",
    )
    with pytest.raises(SmlError) as info:
        select_smp_url([record], "n.example")
    assert info.value.rule == "sml:malformed-naptr"


def test_a_legacy_name_with_no_cname_record_is_not_registered() -> None:
    zone_name = "sml.refusals.test"
    zone = DnsZone()
    # The name exists (it has a NAPTR record) but has no CNAME: NOERROR without data.
    zone.add_naptr(legacy_cname_name(RECEIVER, zone_name), regexp="!.*!https://smp.example/!")
    with serve_dns(zone) as server:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [server.host]
        resolver.port = server.port
        with pytest.raises(NotRegisteredError) as info:
            resolve_legacy_smp_url(RECEIVER, zone=sml_zone(zone_name), resolver=resolver)
    assert info.value.rule == "sml:no-record"


@pytest.fixture
def dns_responder() -> Iterator[
    Callable[[Callable[[dns.message.Message], dns.message.Message]], dns.resolver.Resolver]
]:
    """A UDP DNS server on loopback that answers each query with ``make(query)``."""
    running: list[tuple[socket.socket, threading.Event, threading.Thread]] = []

    def start(
        make: Callable[[dns.message.Message], dns.message.Message],
    ) -> dns.resolver.Resolver:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.1)
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                try:
                    query, peer = sock.recvfrom(4096)
                except OSError:
                    continue
                sock.sendto(make(dns.message.from_wire(query)).to_wire(), peer)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        running.append((sock, stop, thread))
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = sock.getsockname()[1]
        return resolver

    yield start
    for sock, stop, thread in running:
        stop.set()
        thread.join()
        sock.close()


def _rcode(code: dns.rcode.Rcode) -> Callable[[dns.message.Message], dns.message.Message]:
    def make(query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.set_rcode(code)
        return reply

    return make


@pytest.mark.parametrize(
    "code", [dns.rcode.SERVFAIL, dns.rcode.REFUSED], ids=["SERVFAIL", "REFUSED"]
)
def test_a_dns_server_that_fails_is_a_lookup_timeout(
    dns_responder: Callable[..., dns.resolver.Resolver], code: dns.rcode.Rcode
) -> None:
    resolver = dns_responder(_rcode(code))
    with pytest.raises(LookupTimeoutError) as info:
        resolve_smp_url(RECEIVER, zone=sml_zone("sml.local.test"), resolver=resolver, timeout=2)
    # Told apart from a timeout (also a LookupTimeoutError): the server's answer is named.
    assert f"no usable DNS answer for {naptr_name(RECEIVER, 'sml.local.test')}:" in str(info.value)
    assert f"answered {code.name}" in str(info.value)


def test_another_dns_error_is_a_malformed_answer(
    dns_responder: Callable[..., dns.resolver.Resolver],
) -> None:
    resolver = dns_responder(_rcode(dns.rcode.YXDOMAIN))  # dnspython raises YXDOMAIN for it
    with pytest.raises(SmlError) as info:
        resolve_smp_url(RECEIVER, zone=sml_zone("sml.local.test"), resolver=resolver, timeout=2)
    assert info.value.rule == "sml:malformed-answer"


def test_a_naptr_record_that_is_not_text_is_refused(
    dns_responder: Callable[..., dns.resolver.Resolver],
) -> None:
    def make(query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        rrset = dns.rrset.RRset(query.question[0].name, dns.rdataclass.IN, dns.rdatatype.NAPTR)
        regexp = b"!.*!https://smp\xff.example/!"  # not UTF-8
        rdata = NAPTR(
            dns.rdataclass.IN,
            dns.rdatatype.NAPTR,
            100,
            10,
            b"U",
            b"Meta:SMP",
            regexp,
            dns.name.root,
        )
        rrset.add(rdata, 60)
        reply.answer.append(rrset)
        return reply

    resolver = dns_responder(make)
    with pytest.raises(SmlError) as info:
        resolve_smp_url(RECEIVER, zone=sml_zone("sml.local.test"), resolver=resolver, timeout=2)
    assert info.value.rule == "sml:malformed-naptr"


# -- lookup/smp.py -----------------------------------------------------------------------------


def test_an_smp_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(UsageError):
        service_group_url("smp.example", RECEIVER)


@pytest.mark.parametrize("name", ["activation", "expiration"])
def test_endpoint_dates_must_be_timezone_aware(name: str) -> None:
    with pytest.raises(UsageError):
        _endpoint(**{name: datetime(2026, 1, 1)})


def test_endpoint_selection_at_a_naive_instant_is_refused() -> None:
    with pytest.raises(UsageError):
        select_endpoint(_metadata(), process=DIGITAL_PROCESS, at=datetime(2026, 6, 1))


def test_endpoint_selection_without_a_process_among_several_is_refused() -> None:
    with pytest.raises(SmpError) as info:
        select_endpoint(_metadata(processes=2), process=None, at=NOW)
    assert info.value.rule == "smp:process-ambiguous"


def test_several_active_endpoints_that_differ_are_refused() -> None:
    metadata = _metadata(_endpoint(), _endpoint(url="https://other.example/as4"))
    with pytest.raises(SmpError) as info:
        select_endpoint(metadata, process=DIGITAL_PROCESS, at=NOW)
    assert info.value.rule == "smp:endpoint-ambiguous"


def test_an_endpoint_without_a_certificate_is_refused() -> None:
    with pytest.raises(SmpError) as info:
        select_endpoint(_metadata(_endpoint(certificate=None)), process=DIGITAL_PROCESS, at=NOW)
    assert info.value.rule == "smp:no-certificate"


def test_a_wildcard_customization_with_an_inner_star_is_refused() -> None:
    # PFUOI 4.3 4.2.1: only a trailing '*' is a wildcard.
    wanted = DocumentTypeId.parse(
        "peppol-doctype-wildcard::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
        "##urn:peppol:pint:bil*ling-1::2.1"
    )
    with pytest.raises(SmpError) as info:
        wildcard_candidates(wanted)
    assert info.value.rule == "smp:bad-wildcard"


# -- lookup/smp_client.py, smp_write.py --------------------------------------------------------


@pytest.mark.parametrize("kind", [SmpClient, SmpWriteClient])
def test_smp_clients_need_a_requests_session(kind: type) -> None:
    kwargs: dict[str, Any] = (
        {"trust": None} if kind is SmpClient else {"smp_url": "https://s", "auth": ("u", "p")}
    )
    with pytest.raises(UsageError):
        kind(session=object(), **kwargs)


def test_a_redirect_without_participant_and_document_type_cannot_be_published() -> None:
    with requests.Session() as session:
        writer = SmpWriteClient(session=session, smp_url="http://127.0.0.1:9", auth=("u", "p"))
        with pytest.raises(UsageError):
            writer.put_service_metadata(Redirect(url="https://other.example/", certificate_uid="X"))


def test_a_service_group_of_another_participant_is_refused() -> None:
    body = build_service_group(ServiceGroup(participant=OTHER, document_types=()))
    app = _app("200 OK", body, "application/xml")
    with (
        serve_wsgi_in_thread(app) as server,
        requests.Session() as session,
        pytest.raises(SmpError) as info,
    ):
        SmpClient(session=session, trust=None).service_group(server.url, RECEIVER)
    assert info.value.rule == "smp:wrong-participant"


def test_signed_metadata_of_another_participant_is_refused() -> None:
    # A validly signed answer, but about someone else: the SMP (or a cache) mixed them up.
    signed = sign_service_metadata(_metadata(participant=OTHER), pki.smp_key())
    app = _app("200 OK", signed, "application/xml")
    with (
        serve_wsgi_in_thread(app) as server,
        requests.Session() as session,
        pytest.raises(SmpError) as info,
    ):
        SmpClient(session=session, trust=pki.peppol_trust()).service_metadata(
            server.url, RECEIVER, DIGITAL, at=NOW
        )
    assert info.value.rule == "smp:wrong-metadata"


# -- lookup/smp_verify.py ----------------------------------------------------------------------


def _signed_by_reference(uri: str, key_info: bool) -> bytes:
    root = etree.Element(
        f"{{{ns.SMP}}}SignedServiceMetadata",
        nsmap={None: ns.SMP, "ids": ns.BUSDOX_IDS, "wsa": ns.WSA},  # type: ignore[dict-item]
    )
    metadata = build_service_metadata(_metadata())
    metadata.set("Id", "metadata")
    root.append(metadata)
    info = None
    if key_info:
        info = etree.Element(f"{{{ns.DS}}}KeyInfo", nsmap={"ds": ns.DS})
        x509_data = etree.SubElement(info, f"{{{ns.DS}}}X509Data")
        etree.SubElement(x509_data, f"{{{ns.DS}}}X509Certificate").text = _cert_b64(pki.smp_key())
    transforms = (Transform.ENVELOPED_SIGNATURE,) if uri == "" else (Transform.EXCLUSIVE_C14N,)
    sign(
        parent=root,
        references=[ReferenceSpec(uri=uri, transforms=transforms)],
        key=pki.smp_key(),
        key_info=info,
    )
    return to_bytes(root)


def test_smp_signature_without_a_certificate_is_refused() -> None:
    with pytest.raises(SignatureError) as info:
        verify_service_metadata(_signed_by_reference("", key_info=False), trust=None)
    assert info.value.rule == "smp:no-signer-certificate"


def test_smp_signature_over_part_of_the_document_is_refused() -> None:
    # SMP 1.x 3.3: the signature covers the whole document (URI="", enveloped); one over the
    # ServiceMetadata element by id verifies cryptographically but leaves the rest unsigned.
    with pytest.raises(SignatureError) as info:
        verify_service_metadata(_signed_by_reference("#metadata", key_info=True), trust=None)
    assert info.value.rule == "smp:signature-scope"


@pytest.mark.parametrize("separator", [",", ", "])
def test_a_certificate_uid_naming_the_whole_subject_matches(separator: str) -> None:
    certificate = pki.smp_key().certificate
    subject = certificate.subject.rfc4514_string().replace(",", separator)
    assert signer_matches_uid(certificate, subject) is True
    assert signer_matches_uid(certificate, subject + "X") is False


def _oasis_redirect(publisher: str, certificate_b64: str) -> bytes:
    return f"""<ServiceMetadata {OASIS_NS}>
      <cbc:SMPVersionID>2.0</cbc:SMPVersionID>
      <cbc:ID schemeID="busdox-docid-qns">{DIGITAL.value}</cbc:ID>
      <cbc:ParticipantID schemeID="iso6523-actorid-upis">{RECEIVER.value}</cbc:ParticipantID>
      <cac:ProcessMetadata>
        <cac:Process>
          <cbc:ID schemeID="cenbii-procid-ubl">{DIGITAL_PROCESS.value}</cbc:ID>
        </cac:Process>
        <cac:Redirect>
          <cbc:PublisherURI>{publisher}</cbc:PublisherURI>
          <cac:Certificate><cbc:TypeCode>signing</cbc:TypeCode>
            <cbc:ContentBinaryObject mimeCode="application/base64"
              >{certificate_b64}</cbc:ContentBinaryObject>
          </cac:Certificate>
        </cac:Redirect>
      </cac:ProcessMetadata>
    </ServiceMetadata>""".encode()


def _oasis_metadata() -> bytes:
    return f"""<ServiceMetadata {OASIS_NS}>
      <cbc:SMPVersionID>2.0</cbc:SMPVersionID>
      <cbc:ID schemeID="busdox-docid-qns">{DIGITAL.value}</cbc:ID>
      <cbc:ParticipantID schemeID="iso6523-actorid-upis">{RECEIVER.value}</cbc:ParticipantID>
      <cac:ProcessMetadata>
        <cac:Process>
          <cbc:ID schemeID="cenbii-procid-ubl">{DIGITAL_PROCESS.value}</cbc:ID>
        </cac:Process>
        <cac:Endpoint>
          <cbc:TransportProfileID>peppol-transport-as4-v2_0</cbc:TransportProfileID>
          <cbc:AddressURI>https://ap.example/as4</cbc:AddressURI>
        </cac:Endpoint>
      </cac:ProcessMetadata>
    </ServiceMetadata>""".encode()


def test_an_oasis_redirect_is_read_with_its_certificate() -> None:
    expected = pki.ap_key("c3").certificate
    content = read_service_metadata(
        parse_xml(_oasis_redirect("https://next.example/smp", _cert_b64(pki.ap_key("c3"))))
    )
    assert content == Redirect(url="https://next.example/smp", certificate=expected)


def test_an_oasis_redirect_target_signed_by_another_certificate_is_refused() -> None:
    # OASIS SMP 2.0: the redirect names the target's signer certificate; the target here is
    # signed by the SMP key, the redirect named corner 3's certificate.
    answers: dict[str, bytes] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [answers[environ["PATH_INFO"].split("/")[1]]]

    with serve_wsgi_in_thread(app) as server, requests.Session() as session:
        answers["first"] = _sign_oasis(
            _oasis_redirect(f"{server.url}/target", _cert_b64(pki.ap_key("c3"))), pki.smp_key()
        )
        answers["target"] = _sign_oasis(_oasis_metadata(), pki.smp_key())
        client = SmpClient(session=session, trust=pki.peppol_trust(), flavour=SmpFlavour.OASIS_2)
        with pytest.raises(SmpError) as info:
            client.service_metadata(f"{server.url}/first", RECEIVER, DIGITAL, at=NOW)
    assert info.value.rule == "smp:redirect-signer"


# -- lookup/smp_xml.py -------------------------------------------------------------------------

_SMP_Q = f"{{{ns.SMP}}}"
_IDS_Q = f"{{{ns.BUSDOX_IDS}}}"
_WSA_Q = f"{{{ns.WSA}}}"


def _break_metadata(change: Callable[[etree._Element], None]) -> etree._Element:
    root = build_service_metadata(_metadata())
    change(root)
    return parse_xml(to_bytes(root))


def _remove(root: etree._Element, path: str) -> None:
    found = root.find(path)
    assert found is not None
    found.getparent().remove(found)


_ENDPOINT = "/".join(
    f"{_SMP_Q}{name}"
    for name in ("ServiceInformation", "ProcessList", "Process", "ServiceEndpointList", "Endpoint")
)


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda r: _remove(r, f"{_SMP_Q}ServiceInformation"), "smp:malformed"),
        (lambda r: r.find(_ENDPOINT).attrib.pop("transportProfile"), "smp:malformed"),
        (
            lambda r: setattr(
                r.find(f"{_ENDPOINT}/{_WSA_Q}EndpointReference/{_WSA_Q}Address"),
                "text",
                "ftp://ap.example/as4",
            ),
            "smp:bad-url",
        ),
        (
            lambda r: r.find(f"{_SMP_Q}ServiceInformation/{_IDS_Q}ParticipantIdentifier").set(
                "scheme", "bogus-scheme"
            ),
            "id:scheme",  # the identifier's own rule, under SmpError
        ),
    ],
)
def test_malformed_peppol_metadata_is_refused(
    change: Callable[[etree._Element], None], rule: str
) -> None:
    with pytest.raises(SmpError) as info:
        read_service_metadata(_break_metadata(change))
    assert info.value.rule == rule


def test_a_redirect_without_certificate_uid_is_refused() -> None:
    root = build_service_metadata(Redirect(url="https://next.example/", certificate_uid=None))
    with pytest.raises(SmpError) as info:
        read_service_metadata(parse_xml(to_bytes(root)))
    assert info.value.rule == "smp:malformed"


def test_a_document_that_is_not_service_metadata_is_refused() -> None:
    with pytest.raises(SmpError) as info:
        read_service_metadata(parse_xml(b'<ServiceGroup xmlns="urn:not-smp"/>'))
    assert info.value.rule == "smp:malformed"


def test_an_oasis_service_group_is_read() -> None:
    document = f"""<ServiceGroup xmlns="http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceGroup"
      xmlns:cac="http://docs.oasis-open.org/bdxr/ns/SMP/2/AggregateComponents"
      xmlns:cbc="http://docs.oasis-open.org/bdxr/ns/SMP/2/BasicComponents">
      <cbc:SMPVersionID>2.0</cbc:SMPVersionID>
      <cbc:ParticipantID schemeID="iso6523-actorid-upis">{RECEIVER.value}</cbc:ParticipantID>
      <cac:ServiceReference>
        <cbc:ID schemeID="busdox-docid-qns">{DIGITAL.value}</cbc:ID>
      </cac:ServiceReference>
    </ServiceGroup>""".encode()
    assert parse_service_group(document) == ServiceGroup(
        participant=RECEIVER, document_types=(DIGITAL,)
    )


def _peppol_group(href: str) -> bytes:
    return (
        f'<ServiceGroup xmlns="{ns.SMP}" xmlns:ids="{ns.BUSDOX_IDS}">'
        '<ids:ParticipantIdentifier scheme="iso6523-actorid-upis">0192:984661185'
        "</ids:ParticipantIdentifier><ServiceMetadataReferenceCollection>"
        f'<ServiceMetadataReference href="{href}"/>'
        "</ServiceMetadataReferenceCollection></ServiceGroup>"
    ).encode()


@pytest.mark.parametrize(
    "document",
    [
        b'<ServiceGroup xmlns="urn:not-smp"/>',  # another root element
        _peppol_group("https://smp.example/iso6523-actorid-upis%3A%3A0192%3A984661185"),
        _peppol_group("https://smp.example/p/services/%FF%FE"),  # not UTF-8
        _peppol_group("https://smp.example/p/services/no-document-type"),
    ],
)
def test_malformed_service_groups_are_refused(document: bytes) -> None:
    with pytest.raises(SmpError) as info:
        parse_service_group(document)
    assert info.value.rule == "smp:malformed"


def test_every_endpoint_field_survives_writing_and_reading() -> None:
    endpoint = _endpoint(
        activation=datetime(2026, 1, 1, tzinfo=UTC),
        expiration=datetime(2026, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=1))),
        minimum_authentication_level="2",
        technical_information_url="https://ap.example/info",
        require_business_level_signature=True,
    )
    written = build_service_metadata(_metadata(endpoint))
    assert written.find(f"{_ENDPOINT}/{_SMP_Q}ServiceActivationDate").text == (
        "2026-01-01T00:00:00Z"
    )
    assert written.find(f"{_ENDPOINT}/{_SMP_Q}ServiceExpirationDate").text == (
        "2026-12-31T22:00:00Z"  # written in UTC
    )
    assert read_service_metadata(parse_xml(to_bytes(written))) == _metadata(endpoint)


# -- sbdh/build.py, sbdh/model.py, sbdh/rules.py -----------------------------------------------

_PAYLOAD = XmlPayload(data=INVOICE)
_HEADER = header_for(_PAYLOAD)


def test_build_sbd_takes_only_a_header_and_a_payload() -> None:
    with pytest.raises(UsageError):
        build_sbd("not a header", _PAYLOAD)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        build_sbd(header_for(_PAYLOAD), INVOICE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Scope(type=1),  # type: ignore[arg-type]
        lambda: Scope(type="t", instance_identifier=None),  # type: ignore[arg-type]
        lambda: Scope(type="t", identifier=1),  # type: ignore[arg-type]
        lambda: header_for(_PAYLOAD, scopes=[Scope(type="t")]),  # a list, not a tuple
        lambda: header_for(_PAYLOAD, scopes=("t",)),
        lambda: _HEADER.with_identification(instance_id=1, created=NOW),  # type: ignore[arg-type]
        lambda: _HEADER.with_identification(instance_id="i", created="x"),  # type: ignore[arg-type]
        lambda: header_for(INVOICE),  # type: ignore[arg-type]
        lambda: XmlPayload(data=INVOICE.decode()),  # type: ignore[arg-type]
        lambda: BinaryContent(data="text"),  # type: ignore[arg-type]
        lambda: TextContent(text=b"bytes"),  # type: ignore[arg-type]
    ],
)
def test_values_of_the_wrong_type_are_usage_errors(make: Callable[[], object]) -> None:
    with pytest.raises(UsageError):
        make()


@pytest.mark.parametrize("key", ["", " ", "\t"])
def test_a_scope_with_an_empty_type_is_refused(key: str) -> None:
    # Envelope 2.0 2.4: an additional scope has a key of its own.
    with pytest.raises(ValidationError) as info:
        Scope(type=key, instance_identifier="v")
    assert info.value.rule == "sbdh:scope"


@pytest.mark.parametrize("encoding", ["", "  "])
def test_binary_content_with_an_empty_encoding_is_refused(encoding: str) -> None:
    with pytest.raises(ValidationError) as info:
        BinaryContent(data=b"%PDF", mime_type="application/pdf", encoding=encoding)
    assert info.value.rule == "sbdh:encoding"


def test_an_xml_payload_shows_its_root_and_size() -> None:
    assert repr(_PAYLOAD) == (
        f"XmlPayload({{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}}Invoice,"
        f" {len(INVOICE)} bytes)"
    )


# -- sbdh/header_reader.py, sbdh/read.py -------------------------------------------------------

_SH = f"{{{ns.SBDH}}}"


def _sbd(change: Callable[[etree._Element], None]) -> bytes:
    """A valid SBD with one change made to its tree."""
    root = parse_xml(build_sbd(header_for(_PAYLOAD), _PAYLOAD))
    change(root)
    return to_bytes(root)


def _header(root: etree._Element) -> etree._Element:
    found = root.find(f"{_SH}StandardBusinessDocumentHeader")
    assert found is not None
    return found


def _rules(data: bytes) -> set[str]:
    with pytest.raises(ValidationError) as info:
        read_sbd(data)
    return {p.rule for p in info.value.problems}


def test_an_sbd_without_sender_reports_the_count_not_a_crash() -> None:
    # Envelope 2.0 2: exactly one Sender.
    data = _sbd(lambda r: _remove(r, f"{_SH}StandardBusinessDocumentHeader/{_SH}Sender"))
    assert _rules(data) == {"sbdh:sender-count", "sbdh:schema"}  # schema: Receiver unexpected


def test_a_sender_without_identifier_is_left_to_the_schema() -> None:
    data = _sbd(
        lambda r: _remove(r, f"{_SH}StandardBusinessDocumentHeader/{_SH}Sender/{_SH}Identifier")
    )
    assert _rules(data) == {"sbdh:schema"}


def test_a_missing_document_identification_child_is_left_to_the_schema() -> None:
    path = f"{_SH}StandardBusinessDocumentHeader/{_SH}DocumentIdentification/{_SH}Standard"
    assert _rules(_sbd(lambda r: _remove(r, path))) == {"sbdh:schema"}


def test_an_sbd_without_header_is_refused() -> None:
    data = _sbd(lambda r: r.remove(_header(r)))
    assert _rules(data) == {"sbdh:missing-header"}


def test_a_header_that_is_not_the_first_element_is_refused_by_the_header_reader() -> None:
    def put_first(root: etree._Element) -> None:
        root.insert(0, etree.Element("{urn:x}Before"))

    with pytest.raises(ValidationError) as info:
        read_sbdh(_sbd(put_first))
    assert info.value.rule == "sbdh:schema"
    assert [p.message for p in info.value.problems] == ["the header is not the first element"]


# -- transport/corner2.py ----------------------------------------------------------------------


def _request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Request:
    return Request(
        method=method,
        path=path,
        query={},
        headers={k.lower(): v for k, v in (headers or {}).items()},
        body_file=io.BytesIO(body),
    )


class _Tokens:
    """A token verifier that accepts one token for one organisation."""

    def verify(self, token: str, *, now: datetime) -> TokenClaims:
        return TokenClaims(
            token=token,
            issuer="https://maskinporten.test/",
            scopes=frozenset({"digitalpostinnbygger:send"}),
            consumer=ParticipantId.norwegian(SENDER_ORG),
            supplier=None,
            client_id="c",
            expires_at=now + timedelta(minutes=2),
        )


class _ReaderWithoutSignerCheck:
    """A business message reader (the port can be another implementation than DpiReader)
    that reports the signer's organisation but does not compare it with the SBDH sender."""

    def __init__(self, package: bytes, signer_org: str) -> None:
        self.package, self.signer_org = package, signer_org

    def read_message(self, jws: str, *, now: datetime) -> ReadBusinessMessage:
        sender = ParticipantId.norwegian(SENDER_ORG)
        return ReadBusinessMessage(
            message_id=str(uuid.uuid4()),
            conversation_id=str(uuid.uuid4()),
            type="digital",
            sender=sender,
            receiver=RECEIVER,
            avsender=sender,
            avsenderidentifikator=None,
            fingerprint=hashlib.sha256(self.package).digest(),
            maskinportentoken="the-token",
            signer_org=self.signer_org,
            document_type=DIGITAL,
            process=DIGITAL_PROCESS,
        )

    def read_receipt(self, jws: str, *, now: datetime) -> Any:
        raise AssertionError("not used")


def _corner2(tmp_path: Path, reader: Any) -> Corner2Api:
    return Corner2Api(
        store=SqliteStore(tmp_path / "c2.sqlite3"), tokens=_Tokens(), reader=reader, clock=utcnow
    )


def test_corner2_answers_404_for_an_unknown_messages_path(tmp_path: Path) -> None:
    api = _corner2(tmp_path, _ReaderWithoutSignerCheck(b"CMS", SENDER_ORG))
    with pytest.raises(HttpError) as info:
        api(_request("GET", "/messages/nothing"))
    assert (info.value.status, info.value.rule) == (404, "http:not-found")


def test_corner2_refuses_a_letter_signed_by_another_organisation_whatever_the_reader(
    tmp_path: Path,
) -> None:
    # dpi.md 1.2/4: the letter is signed with the technical sender's business certificate.
    package = b"CMS"
    api = _corner2(tmp_path, _ReaderWithoutSignerCheck(package, "910076787"))
    content_type, body = encode_form_data(
        [
            ("forretningsmelding", "sbd.jwt", "application/jwt", b"a.b.c"),
            ("dokumentpakke", "asic.cms", "application/cms", package),
        ]
    )
    request = _request(
        "POST",
        "/messages/out",
        body,
        {"Content-Type": content_type, "Authorization": "Bearer the-token"},
    )
    with pytest.raises(HttpError) as info:
        api(request)
    assert (info.value.status, info.value.rule) == (403, "c2:signer")
    assert api.store.next_outbound_due() is None  # nothing was queued


# -- transport/corner3.py, transport/inbox.py --------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.make()


def _as4_message(keys: Keys, jws: str, package: bytes | None, routing_jws: str) -> WireMessage:
    """The AS4 message corner 2 sends for ``jws`` (and ``package``), routed as ``routing_jws``."""
    facts = keys.reader().read_message(routing_jws, now=utcnow())
    sbd = io.BytesIO()
    DpiPayloads().wrap(
        business_message=jws,
        package=None if package is None else io.BytesIO(package),
        sender=facts.sender,
        receiver=facts.receiver,
        document_type=facts.document_type,
        process=facts.process,
        instance_id=str(uuid.uuid4()),
        now=utcnow(),
        sink=sbd,
    )
    sbd.seek(0)
    sink = io.BytesIO()
    as4_codec("c2").build(
        payload=sbd,
        sender=facts.sender,
        receiver=facts.receiver,
        document_type=facts.document_type,
        process=facts.process,
        conversation_id=facts.conversation_id,
        receiver_certificate=pki.ap_key("c3").certificate,
        sink=sink,
    )
    return WireMessage.from_dump(sink.getvalue())


def _inbox(tmp_path: Path, sink: Callable[[SqliteStore], Sink]) -> As4Inbox:
    store = SqliteStore(tmp_path / "inbox.sqlite3")
    return As4Inbox(
        store=store, as4=as4_codec("c3"), payloads=DpiPayloads(), sink=sink(store), clock=utcnow
    )


def _receive(
    inbox: As4Inbox, headers: tuple[tuple[str, str], ...], body: bytes, caplog: Any
) -> tuple[str, str]:
    """(the ebMS errorCode answered, the rule logged) for a message the inbox refuses."""
    with caplog.at_level(logging.WARNING, logger="peppol_dpi.transport.inbox"):
        response = inbox(_request("POST", "/as4", body, dict(headers)))
    assert response.status == 200  # an ebMS error signal, answered on the back channel
    codes = re.findall(rb'errorCode="([^"]+)"', response.body)
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused AS4 message")]
    assert len(codes) == 1 and len(refusals) == 1
    return codes[0].decode(), refusals[0].rule  # type: ignore[attr-defined]


def _stranger_signed(jws: str) -> str:
    stranger = make_key("stranger", SENDER_ORG)  # right organisation, no trusted business CA
    key = LocalPrivateKey(key=stranger.key, certificate=stranger.certificate)
    return sign_as(parse_business_message(decode_unverified(jws)), key)


def test_corner3_refuses_a_message_without_a_package(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    # A receipt carries no Dokumentpakke; sent to corner 3 as if it were a letter, it is refused
    # with EBMS:0003 before its business message is even read.
    sent = letter(keys.sender, token=keys.maskinporten.token(), package=b"CMS")
    receipt, _ = receipt_for(sent.jws, keys.mailbox)
    wire = _as4_message(keys, receipt, None, sent.jws)
    inbox = _inbox(tmp_path, lambda _: delivery_sink(keys.reader()))
    assert _receive(inbox, wire.headers, wire.body, caplog) == ("EBMS:0003", "c3:no-package")


def test_corner3_answers_a_refused_business_message_with_ebms_0004(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    # The reader's CertificateError would be EBMS:0101 (an AS4 authentication failure); the
    # business message inside a valid AS4 message is content: EBMS:0004, the rule kept.
    sent = letter(keys.sender, token=keys.maskinporten.token(), package=b"CMS")
    wire = _as4_message(keys, _stranger_signed(sent.jws), b"CMS", sent.jws)
    inbox = _inbox(tmp_path, lambda _: delivery_sink(keys.reader()))
    assert _receive(inbox, wire.headers, wire.body, caplog) == ("EBMS:0004", "cert:untrusted")


def test_corner2_answers_a_refused_receipt_with_ebms_0004(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    sent = letter(keys.sender, token=keys.maskinporten.token(), package=b"CMS")
    receipt, _ = receipt_for(sent.jws, keys.mailbox)
    wire = _as4_message(keys, _stranger_signed(receipt), None, sent.jws)
    inbox = _inbox(tmp_path, lambda store: receipt_sink(keys.reader(), store))
    assert _receive(inbox, wire.headers, wire.body, caplog) == ("EBMS:0004", "cert:untrusted")


def test_an_as4_message_that_does_not_open_is_answered_with_its_ebms_error(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    inbox = _inbox(tmp_path, lambda _: delivery_sink(keys.reader()))
    headers = (("Content-Type", "application/soap+xml"),)
    assert _receive(inbox, headers, b"not a SOAP envelope", caplog) == (
        "EBMS:0009",
        "xml:not-well-formed",
    )


@pytest.mark.parametrize("body", [b"\xff\xfenot ascii", b"not.a.jws"])
def test_corner3_refuses_a_receipt_from_corner4_that_does_not_read(
    keys: Keys, tmp_path: Path, body: bytes
) -> None:
    store = SqliteStore(tmp_path / "c3.sqlite3")
    receipts = Corner3Receipts(store=store, reader=keys.reader(), clock=utcnow)
    with pytest.raises(HttpError) as info:
        receipts(_request("POST", "/receipts", body, {"Content-Type": "application/jwt"}))
    assert (info.value.status, info.value.rule) == (400, "c3:receipt")
    assert store.next_outbound_due() is None
