"""The bounded caches of the open path: decoded certificates by DER, trust paths per policy.

What may be cached is only what is a pure function of the exact bytes (decoding, signature
checks on a path); validity at the instant asked and revocation are checked on every call.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from peppol_dpi import keys, trust
from peppol_dpi.errors import CertificateError, UsageError
from peppol_dpi.keys import certificate_from_der
from peppol_dpi.lrucache import LruCache
from peppol_dpi.trust import KeyUsage, RevocationStatus, TrustPolicy

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


# -- LruCache ---------------------------------------------------------------------------------


def test_lru_cache_keeps_at_most_maxsize_and_drops_the_least_recently_used() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert len(cache) == 2
    assert "b" not in cache and cache.get("b") is None
    assert cache.get("a") == 1 and cache.get("c") == 3
    cache.put("a", 10)  # replacing keeps the size
    assert len(cache) == 2 and cache.get("a") == 10
    cache.clear()
    assert len(cache) == 0
    for bad in (0, -1, 1.5):
        with pytest.raises(UsageError):
            LruCache(bad)  # type: ignore[arg-type]


def test_lru_cache_stays_bounded_under_threads() -> None:
    cache: LruCache[int, int] = LruCache(16)

    def fill(start: int) -> None:
        for i in range(start, start + 2000):
            cache.put(i, i)
            cache.get(i - 1)

    threads = [threading.Thread(target=fill, args=(n * 10_000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 16


# -- certificates by DER ----------------------------------------------------------------------


def test_the_same_der_gives_the_same_decoded_certificate_and_other_bytes_do_not() -> None:
    c2, c3 = pki.ap_key("c2").certificate, pki.ap_key("c3").certificate
    first = certificate_from_der(_der(c2))
    assert certificate_from_der(bytearray(_der(c2))) is first  # equal bytes: served from cache
    other = certificate_from_der(_der(c3))
    assert other == c3 and other != first  # a changed certificate is never served for another
    # One byte changed in the signature: a different certificate, decoded on its own.
    tampered = bytearray(_der(c2))
    tampered[-1] ^= 0x01
    changed = certificate_from_der(bytes(tampered))
    assert changed is not first and changed.signature != first.signature
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(changed, at=NOW)
    assert err.value.rule == "cert:untrusted"  # its signature no longer verifies


def test_a_malformed_der_is_refused_every_time_and_never_cached() -> None:
    for _ in range(2):
        with pytest.raises(CertificateError) as err:
            certificate_from_der(b"\x30\x03\x02\x01\x01")
        assert err.value.rule == "cert:malformed"
    assert b"\x30\x03\x02\x01\x01" not in keys._FROM_DER


def test_the_certificate_caches_are_bounded() -> None:
    make = pki.factory()
    for serial in range(keys.CERTIFICATE_CACHE_SIZE + 5):
        issued = make.issue(
            subject=make.make_name(f"POP1{serial:05d}"),
            serial=0x20000 + serial,
            issuer=pki.ca_issued("ap-ca"),
            key=pki.spare_key(),
            not_before=make.LEAF_FROM,
            not_after=make.LEAF_UNTIL,
        )
        certificate_from_der(_der(issued.cert))
    assert len(keys._FROM_DER) == keys.CERTIFICATE_CACHE_SIZE
    assert len(keys._DECODED) == keys.CERTIFICATE_CACHE_SIZE


# -- trust paths ------------------------------------------------------------------------------


class _Counting:
    """Counts the signature checks path building makes (what the path cache saves)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = trust.verify_issued_by

        def counted(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
            self.calls += 1
            return real(cert, issuer)

        monkeypatch.setattr(trust, "verify_issued_by", counted)


def test_a_path_is_built_once_per_policy_and_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(monkeypatch)
    leaf = pki.ap_key("c2").certificate
    policy = pki.peppol_trust()
    first = policy.validate(leaf, at=NOW)
    built = counting.calls
    assert built > 0
    again = policy.validate(leaf, at=NOW + timedelta(days=1))
    assert counting.calls == built  # no signature checked again
    assert again.path == first.path == (leaf, pki.ap_ca(), pki.root_ca())
    # Another leaf, another policy (same settings) or another chain: built afresh.
    policy.validate(pki.ap_key("c3").certificate, at=NOW)
    assert counting.calls > built
    calls = counting.calls
    pki.peppol_trust().validate(leaf, at=NOW)
    assert counting.calls > calls


def test_validity_is_checked_at_every_instant_even_for_a_cached_path() -> None:
    leaf = pki.ap_key("c2").certificate
    policy = pki.peppol_trust()
    policy.validate(leaf, at=NOW)  # cached now
    for at, rule in (
        (leaf.not_valid_after_utc + timedelta(seconds=1), "cert:expired"),
        (leaf.not_valid_before_utc - timedelta(seconds=1), "cert:not-yet-valid"),
    ):
        with pytest.raises(CertificateError) as err:
            policy.validate(leaf, at=at)
        assert err.value.rule == rule
    assert policy.validate(leaf, at=NOW).path[0] == leaf


def test_a_cached_path_checks_its_intermediates_validity_too() -> None:
    # A leaf valid longer than its CA: past the CA's end only the CA's validity can refuse it.
    ca = pki.ca_issued("ap-ca")
    leaf = pki.issue_leaf(
        "POP009103",
        serial=0x9103,
        not_after=ca.cert.not_valid_after_utc + timedelta(days=365),
    )
    policy = pki.peppol_trust()
    assert policy.validate(leaf.certificate, at=NOW)
    with pytest.raises(CertificateError) as err:
        policy.validate(leaf.certificate, at=ca.cert.not_valid_after_utc + timedelta(days=1))
    assert err.value.rule == "cert:expired"
    assert "peppol-dpi TEST ACCESS POINT CA" in err.value.message


def test_an_expired_certificate_is_refused_the_first_time_and_every_time() -> None:
    policy = pki.peppol_trust()
    expired = pki.expired_key()
    for _ in range(2):
        with pytest.raises(CertificateError) as err:
            policy.validate(expired.certificate, chain=expired.chain, at=NOW)
        assert err.value.rule == "cert:expired"
    # Valid at an earlier instant: the path is cached then, and still refused at NOW.
    assert policy.validate(
        expired.certificate, chain=expired.chain, at=datetime(2021, 1, 1, tzinfo=UTC)
    )
    with pytest.raises(CertificateError) as err:
        policy.validate(expired.certificate, chain=expired.chain, at=NOW)
    assert err.value.rule == "cert:expired"


def test_revocation_is_asked_for_every_validation_of_a_cached_path() -> None:
    leaf = pki.issue_leaf("POP009101", serial=0x9101, crl_url="http://127.0.0.1:9/x.crl")

    class Flip:
        def __init__(self) -> None:
            self.answers = [RevocationStatus.GOOD, RevocationStatus.REVOKED]
            self.asked = 0

        def status(
            self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime
        ) -> RevocationStatus:
            self.asked += 1
            return self.answers[min(self.asked, len(self.answers)) - 1]

    checker = Flip()
    policy = pki.peppol_trust(revocation_checker=checker)
    assert policy.validate(leaf.certificate, at=NOW).revocation_checked
    with pytest.raises(CertificateError) as err:
        policy.validate(leaf.certificate, at=NOW)
    assert err.value.rule == "cert:revoked"
    assert checker.asked == 2


def test_failures_are_not_cached_and_key_usage_rules_make_a_new_cache() -> None:
    leaf = pki.issue_leaf("POP009102", serial=0x9102, key_usage=frozenset({"digital_signature"}))
    policy = pki.peppol_trust()
    assert policy.validate(leaf.certificate, at=NOW)
    strict = policy.with_key_usage(KeyUsage.KEY_ENCIPHERMENT)
    for _ in range(2):
        with pytest.raises(CertificateError) as err:
            strict.validate(leaf.certificate, at=NOW)
        assert err.value.rule == "cert:key-usage"
    assert len(strict._paths) == 0 and len(policy._paths) == 1
    untrusted = TrustPolicy(anchors=(pki.other_root_ca(),))
    for _ in range(2):
        with pytest.raises(CertificateError):
            untrusted.validate(leaf.certificate, at=NOW)
    assert len(untrusted._paths) == 0
    assert policy == pki.peppol_trust()  # the cache is no part of a policy's value


def test_the_path_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trust, "PATH_CACHE_SIZE", 3)
    policy = pki.peppol_trust()
    leaves = [pki.ap_key("c2"), pki.ap_key("c3"), pki.smp_key(), pki.ap_key("c2")]
    for leaf in leaves:
        policy.validate(leaf.certificate, at=NOW)
    policy.validate(pki.ap_key("c2").certificate, chain=pki.ap_key("c2").chain, at=NOW)
    assert len(policy._paths) == 3


# -- comparing certificates cheaply -----------------------------------------------------------


def _forged(cert: x509.Certificate) -> x509.Certificate:
    """``cert`` with one byte of its public key changed: another TBS, the same signature value."""
    der = bytearray(_der(cert))
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    der[der.index(spki[-40:])] ^= 0x01
    forged = x509.load_der_x509_certificate(bytes(der))
    assert forged.signature == cert.signature and forged != cert
    return forged


def test_same_certificates_answers_as_equality() -> None:
    leaf = pki.ap_key("c2").certificate
    twin = x509.load_der_x509_certificate(_der(leaf))
    candidates = (leaf, twin, pki.ap_ca(), _forged(leaf))
    for a in candidates:
        for b in candidates:
            assert keys.same_certificates((a,), (b,)) == (a == b)
    assert keys.same_certificates((leaf, pki.ap_ca()), (twin, pki.ap_ca()))
    assert not keys.same_certificates((leaf,), (leaf, pki.ap_ca()))


def test_a_cached_path_is_not_served_for_a_certificate_with_a_copied_signature() -> None:
    c2 = pki.ap_key("c2")
    policy = pki.peppol_trust()
    assert policy.validate(c2.certificate, chain=c2.chain, at=NOW)
    assert len(policy._paths) == 1
    for _ in range(2):
        with pytest.raises(CertificateError) as err:
            policy.validate(_forged(c2.certificate), chain=c2.chain, at=NOW)
        assert err.value.rule == "cert:untrusted"
    twin = x509.load_der_x509_certificate(_der(c2.certificate))
    assert policy.validate(twin, chain=c2.chain, at=NOW).path[0] == c2.certificate
