"""SML / BDXL: name construction (peppol.md 3.1 test vectors), NAPTR regexps, DNS on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lookup_support import udp_dns

from peppol_dpi.errors import UsageError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.lookup.errors import LookupTimeoutError, NotRegisteredError, SmlError
from peppol_dpi.lookup.naptr import NaptrRecord, parse_substitution
from peppol_dpi.lookup.sml import (
    SML_PRESETS,
    Stage,
    legacy_cname_name,
    naptr_name,
    resolve_legacy_smp_url,
    resolve_smp_url,
    select_smp_url,
    sml_zone,
)
from peppol_dpi.services.dns import DnsZone, serve_dns

# peppol.md 3.1: value -> (NAPTR label, legacy MD5), all matching published DNS data.
VECTORS = [
    (
        "9915:test",
        "eh5boavaktmbgzyh2a63dz4qov33fvp5nsdvqklucfraayoodw6a",
        "85008b8279e07ab0392da75fa55856a2",
    ),
    (
        "0208:0677424046",
        "yrudm3nqrm76uobzh4griobewmqd4mx574cfdtm75zphrex4ydya",
        "29478d732046175595e6396d1862c9aa",
    ),
    (
        "0242:001066",
        "tit36qle62y2yvwovq5nxg6rquymoabfh4ng7xvgtzmaehfre5pa",
        "4d7613aed796c44a12f759739541ea53",
    ),
    (
        "9930:DE298946909",
        "b3q5ak3dgc7jujjdfw5halimost5v5vembtiw3mhwfydauxo244q",
        "40e8abe94e9a400e1e63bd292502a587",
    ),
    (
        "0192:993467049",
        "j7mjp3pv3oh3yxozpehujq6mrap6j7c4bapbxqnq6hmbo5zonx3q",
        "9377fb89562abe7facc3ac77fd087772",
    ),
]
ZONE = "participant.sml.prod.tech.peppol.org"
LOCAL_ZONE = "sml.local.test"
OTHER = ParticipantId.parse("0192:974760673")


@pytest.mark.parametrize(("value", "label", "md5"), VECTORS)
def test_names_reproduce_the_reference_vectors(value: str, label: str, md5: str) -> None:
    participant = ParticipantId.parse(value)
    assert naptr_name(participant, ZONE) == f"{label}.iso6523-actorid-upis.{ZONE}"
    assert legacy_cname_name(participant, ZONE) == f"B-{md5}.iso6523-actorid-upis.{ZONE}"


def test_names_ignore_participant_case() -> None:
    upper = ParticipantId.parse("9930:DE298946909")
    lower = ParticipantId.parse("9930:de298946909")
    assert naptr_name(upper, ZONE) == naptr_name(lower, ZONE)


def test_presets() -> None:
    assert set(SML_PRESETS) == {"peppol-prod", "peppol-test", "elma-prod", "elma-test"}
    assert sml_zone("peppol-prod").zone == ZONE
    assert sml_zone("elma-test").zone == "participant.sml.test.tech.peppol.org"
    assert sml_zone("elma-prod").stage is Stage.PRODUCTION
    assert all(z.require_https for z in SML_PRESETS.values())
    custom = sml_zone("SML.Local.Test.")
    assert custom.zone == LOCAL_ZONE and not custom.require_https
    with pytest.raises(UsageError):
        sml_zone("bad..zone")


@pytest.mark.parametrize(
    ("regexp", "subject", "expected"),
    [
        ("!.*!https://smp.elma-smp.no/!", "abc.example", "https://smp.elma-smp.no/"),
        ("!^.*$!https://smp.example.org/!", "abc.example", "https://smp.example.org/"),
        # RFC 4848 / BDXL style with a backreference to a captured part of the name.
        (
            "!^([a-z0-9]+)\\.x\\.example$!https://smp.example/\\1!",
            "abc.x.example",
            "https://smp.example/abc",
        ),
        ("/^ABC/https:\\/\\/s.example\\/p/i", "abc.example", "https://s.example/p.example"),
        ("!^[[:alnum:]]{3}\\.!https://s!", "ab1.example", "https://sexample"),
    ],
)
def test_substitution(regexp: str, subject: str, expected: str) -> None:
    assert parse_substitution(regexp).apply(subject) == expected


def test_substitution_that_does_not_match() -> None:
    assert parse_substitution("!^nomatch$!https://x/!").apply("abc") is None


@pytest.mark.parametrize(
    ("regexp", "rule"),
    [
        ("", "sml:malformed-naptr"),
        ("!.*!https://x/", "sml:malformed-naptr"),  # two delimiters only
        ("!.*!https://x/!!", "sml:malformed-naptr"),  # four
        ("1.*1x1", "sml:malformed-naptr"),  # digit delimiter
        ("!.*!x!g", "sml:malformed-naptr"),  # unknown flag
        ("!!x!", "sml:malformed-naptr"),  # empty pattern
        ("!(a!x!", "sml:malformed-naptr"),
        ("!a)!x!", "sml:malformed-naptr"),
        ("![a!x!", "sml:malformed-naptr"),
        ("!.*!\\9!", "sml:malformed-naptr"),  # backreference to a missing group
        ("!.*!\\q!", "sml:malformed-naptr"),
        ("!(a+)+$!x!", "sml:unsafe-regexp"),  # catastrophic backtracking
        ("!(a*b*)*$!x!", "sml:unsafe-regexp"),
        ("!((a+)c)*!x!", "sml:unsafe-regexp"),
        ("!(a|aa)*$!x!", "sml:unsafe-regexp"),  # overlapping alternation, quantified
        ("!((a|b)c)+!x!", "sml:unsafe-regexp"),
        ("!.*.*.*x!y!", "sml:unsafe-regexp"),  # n^3 on a miss
        ("!a?a?a?aaa!y!", "sml:unsafe-regexp"),
        ("!(?=a).*!x!", "sml:unsafe-regexp"),  # Python extension
        ("!(a)\\1!x!", "sml:unsafe-regexp"),  # backreference in the pattern
        ("!.*?!x!", "sml:unsafe-regexp"),
        ("!a{1,9999}!x!", "sml:malformed-naptr"),
        ("!" + "a" * 300 + "!x!", "sml:malformed-naptr"),
    ],
)
def test_bad_substitutions_are_refused(regexp: str, rule: str) -> None:
    with pytest.raises(SmlError) as info:
        parse_substitution(regexp).apply("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")
    assert info.value.rule == rule


def test_python_escapes_are_literal_in_posix() -> None:
    # "\d" in POSIX ERE is a literal "d", not a digit class.
    expression = parse_substitution("!^\\d!x!")
    assert expression.apply("d1") == "x1"
    assert expression.apply("1d") is None


def _record(**kw: object) -> NaptrRecord:
    values: dict[str, object] = {
        "order": 100,
        "preference": 10,
        "flags": "U",
        "service": "Meta:SMP",
        "regexp": "!.*!https://smp.example/!",
        "replacement": ".",
    }
    values.update(kw)
    return NaptrRecord(**values)  # type: ignore[arg-type]


def test_selection_by_order_and_service() -> None:
    records = [
        _record(order=200, regexp="!.*!https://late.example/!"),
        _record(service="Meta:OTHER", order=1, regexp="!.*!https://other.example/!"),
        _record(flags="S", order=1),
        _record(order=100, preference=5, regexp="!.*!https://first.example/!"),
        _record(order=100, preference=20),
    ]
    assert select_smp_url(records, "n.example") == "https://first.example/"


@pytest.mark.parametrize(
    ("record", "rule"),
    [
        (_record(regexp="!.*!http://plain.example/!"), "sml:https-required"),
        (_record(regexp="!.*!ftp://x.example/!"), "sml:bad-smp-url"),
        (_record(regexp="!.*!https://user@x.example/!"), "sml:bad-smp-url"),
        (_record(regexp="!.*!https://x.example:99999/!"), "sml:bad-smp-url"),
        (_record(regexp="!.*!not a url!"), "sml:bad-smp-url"),
        (_record(replacement="other.example."), "sml:malformed-naptr"),
        (_record(service="Meta:OTHER"), "sml:no-smp-record"),
    ],
)
def test_bad_records_are_refused(record: NaptrRecord, rule: str) -> None:
    with pytest.raises(SmlError) as info:
        select_smp_url([record], "n.example")
    assert info.value.rule == rule


def test_http_allowed_on_private_zone() -> None:
    assert (
        select_smp_url([_record(regexp="!.*!http://x.example/!")], "n", require_https=False)
        == "http://x.example/"
    )


# -- against a real DNS server on loopback ---------------------------------------------------


@pytest.fixture(scope="module")
def dns_zone() -> Iterator[tuple[DnsZone, dns.resolver.Resolver]]:
    zone = DnsZone()
    participant = ParticipantId.parse("0192:993467049")
    zone.add_smp(naptr_name(participant, LOCAL_ZONE), "http://127.0.0.1:8080/smp")
    zone.add_naptr(naptr_name(OTHER, LOCAL_ZONE), regexp="!(a+)+$!x!")
    zone.add_cname(legacy_cname_name(participant, LOCAL_ZONE), "smp.local.test.")
    with serve_dns(zone) as server:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [server.host]
        resolver.port = server.port
        yield zone, resolver


def test_resolution_through_local_dns(dns_zone: tuple[DnsZone, dns.resolver.Resolver]) -> None:
    _, resolver = dns_zone
    participant = ParticipantId.parse("0192:993467049")
    zone = sml_zone(LOCAL_ZONE)
    assert resolve_smp_url(participant, zone=zone, resolver=resolver) == "http://127.0.0.1:8080/smp"
    legacy = resolve_legacy_smp_url(participant, zone=zone, resolver=resolver)
    assert legacy == f"http://{legacy_cname_name(participant, zone)}/"


def test_preset_zone_refuses_http_smp(dns_zone: tuple[DnsZone, dns.resolver.Resolver]) -> None:
    zone_table, resolver = dns_zone
    participant = ParticipantId.parse("0192:993467049")
    preset = SML_PRESETS["peppol-test"]
    zone_table.add_smp(naptr_name(participant, preset), "http://127.0.0.1:8080/smp")
    with pytest.raises(SmlError) as info:
        resolve_smp_url(participant, zone=preset, resolver=resolver)
    assert info.value.rule == "sml:https-required"


def test_unknown_participant_is_nxdomain(dns_zone: tuple[DnsZone, dns.resolver.Resolver]) -> None:
    _, resolver = dns_zone
    with pytest.raises(NotRegisteredError) as info:
        resolve_smp_url(
            ParticipantId.parse("0192:974761076"), zone=sml_zone(LOCAL_ZONE), resolver=resolver
        )
    assert info.value.rule == "sml:nxdomain"


def test_hostile_record_from_dns_is_refused(
    dns_zone: tuple[DnsZone, dns.resolver.Resolver],
) -> None:
    _, resolver = dns_zone
    with pytest.raises(SmlError) as info:
        resolve_smp_url(OTHER, zone=sml_zone(LOCAL_ZONE), resolver=resolver)
    assert info.value.rule == "sml:unsafe-regexp"


@pytest.mark.parametrize(
    "reply",
    [
        # Header claims one answer (QR set, NOERROR) but the message ends there: truncated.
        b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00",
        b"\xff" * 40,
        # TC set: the resolver retries over TCP, where nobody listens.
        b"\x83\x80\x00\x00\x00\x00\x00\x00\x00\x00",
        None,  # a server that never answers
    ],
)
def test_malformed_or_missing_dns_answers(reply: bytes | None) -> None:
    # dnspython drops unparseable UDP replies (they may be spoofed) and keeps waiting, so a
    # server that only sends garbage looks like one that does not answer: a timeout, bounded.
    def answer(query: bytes) -> bytes | None:
        return None if reply is None else query[:2] + reply  # the same id, garbage after

    with udp_dns(answer) as resolver, pytest.raises(LookupTimeoutError) as info:
        resolve_smp_url(OTHER, zone=sml_zone(LOCAL_ZONE), resolver=resolver, timeout=0.5)
    assert "no usable DNS answer" in str(info.value)


# -- property: any regexp field is either refused cleanly or applied, quickly ----------------

_REGEX_ALPHABET = st.sampled_from(list("!/ab.*+?()[]{},^$|\\\\1i:-x0"))


@settings(max_examples=300, deadline=None)
@given(st.text(_REGEX_ALPHABET, max_size=40), st.text(st.sampled_from(list("ab.x-")), max_size=253))
def test_any_regexp_is_refused_or_applied(regexp: str, subject: str) -> None:
    try:
        result = parse_substitution(regexp).apply(subject)
    except SmlError:
        return
    assert result is None or isinstance(result, str)
