"""Refusals of the lookup clients (SML and NAPTR over a DNS responder on 127.0.0.1, KRR,
Maskinporten, the HTTP layer and the cache), each fed one crafted bad input and held to the
exact error class and rule."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
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
from dns.rdtypes.IN.NAPTR import NAPTR
from lookup_support import (
    DIGITAL,
    NOW,
    RECEIVER,
    answering_app,
    smp_metadata,
    udp_dns,
)

from peppol_dpi.errors import UsageError
from peppol_dpi.jose import encode_compact
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
from peppol_dpi.lookup.http import exchange
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
from peppol_dpi.lookup.smp_client import SmpClient
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.dns import DnsZone, serve_dns
from peppol_dpi.services.smp import sign_service_metadata

# -- shared helpers ----------------------------------------------------------------------------


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
    signed = sign_service_metadata(smp_metadata(), pki.smp_key())

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
    app = answering_app("302 Found", b"", Location="ftp://files.example/metadata")
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


def _recording(seen: list[tuple[str, str | None, bytes]]) -> Any:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        seen.append((environ["REQUEST_METHOD"], environ.get("HTTP_AUTHORIZATION"), body))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    return app


@pytest.mark.parametrize(
    ("status", "same_origin", "expected"),
    [
        ("307 Temporary Redirect", True, ("POST", "Bearer secret", b"q=1")),
        ("308 Permanent Redirect", False, ("POST", None, b"q=1")),
        ("303 See Other", True, ("GET", "Bearer secret", b"")),
        ("303 See Other", False, ("GET", None, b"")),
        ("302 Found", False, ("POST", None, b"q=1")),
    ],
)
def test_a_redirect_keeps_credentials_to_their_origin_and_a_303_is_followed_with_get(
    status: str, same_origin: bool, expected: tuple[str, str | None, bytes]
) -> None:
    # RFC 9110 15.4: credentials are not sent on to another origin (requests and curl drop
    # them; a KRR or SMP redirecting elsewhere got the bearer token or the SMP password);
    # 15.4.4: what a 303 points at is retrieved with GET.
    seen: list[tuple[str, str | None, bytes]] = []
    with ExitStack() as stack:
        target = stack.enter_context(serve_wsgi_in_thread(_recording(seen)))

        def redirecting(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            if environ["PATH_INFO"] == "/final":
                return _recording(seen)(environ, start_response)
            base = "" if same_origin else target.url
            start_response(status, [("Location", f"{base}/final")])
            return [b""]

        first = stack.enter_context(serve_wsgi_in_thread(redirecting))
        session = stack.enter_context(requests.Session())
        answer = exchange(
            session,
            "POST",
            first.url + "/start",
            error=KrrError,
            area="krr",
            headers={"authorization": "Bearer secret"},
            data={"q": "1"},
        )
    assert answer.status == 200
    assert seen == [expected]


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
    with (
        serve_wsgi_in_thread(answering_app("200 OK", body)) as server,
        requests.Session() as session,
    ):
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
    with serve_wsgi_in_thread(answering_app(status, body)) as server, requests.Session() as session:
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
    with ExitStack() as servers:

        def start(
            make: Callable[[dns.message.Message], dns.message.Message],
        ) -> dns.resolver.Resolver:
            return servers.enter_context(
                udp_dns(lambda query: make(dns.message.from_wire(query)).to_wire())
            )

        yield start


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
