"""Our XML readers are never laxer than the JDK's XML Schema validator (Xerces).

A differential test beside the four "never laxer" tests that judge by libxml2 and the
pure-Python ``xmlschema`` (``differential.SchemaOracle``). The oracle here is the JDK's own
Xerces (``javax.xml.validation``, the engine phase4 and Oxalis validate with), run by
``tests/java/XsdOracle.java`` (namespace-aware DOM, DOCTYPE refused, a DOMSource validated):
one JVM per family, every case of the family in one batch. The cases, the documents and our
verdicts are those of the existing tests, imported from them; the schemas are the same official
ones (../shared/fixtures/xsd), laid out and driven as those tests' fixtures do:

* ebMS 3.0 (``test_ebms_never_laxer``): eb:Messaging as the root of a document of its own, against
  ``ebms-header-3_0-200704.xsd`` with ebbp-signals, XML Signature, xml.xsd, xlink, exc-c14n,
  SOAP 1.2 and the SOAP 1.1 stub (``_IMPORTS``); ours is the receiver's (user message) or the
  sender's reading the answer (signal), ``ebms.ours``;
* SBDH (``test_sbdh_never_laxer``): UN/CEFACT SBDH 1.3 with the Peppol envelope 1.2; ``read_sbd``
  (cold and warm header cache) against the whole SBD, ``read_sbdh`` against the header alone in
  an SBD with a fixed valid business message (the document ``Oracle.header_objections`` builds);
* SDP manifest and Innbyggerpost (``test_dpi_xml_never_laxer``): ``sdp-manifest.xsd`` (with
  ``sdp-felles.xsd`` and XML Signature) and ``innbyggerpost.xsd`` (with the envelope stub);
* ASiC ``META-INF/signatures.xml`` (``test_signatures_xml_never_laxer``): ETSI TS 102 918 (both
  namespaces) and XML Signature, read through ``read_package``.

Where Xerces refuses a document, ours must refuse it too, and ours must never crash. The
unchanged documents must be valid to Xerces (the harness works) and accepted by us. Where Xerces
accepts and we refuse, nothing is asserted (we may be stricter). Schemas load from the folder
only: ``javax.xml.accessExternalSchema`` and ``accessExternalDTD`` are ``file``
(``java_oracle.JVM_OPTIONS``), so a schema reaching for the network fails the run instead of
fetching (without them Xerces only warns and goes on). The fixtures' ``xmldsig-core-schema.xsd`` has no
DOCTYPE; W3C's original names ``XMLSchema.dtd`` and does compile under these settings with the
DTD beside it (``w3/`` is copied whole), and with the original's http:// system id it would fail.

FOUND (1360 cases in 5 families): no finding. Xerces refuses 234 of 331 eb:Messaging cases, 134
of 204 SBDs and 108 of their headers, 102 of 118 manifests, 30 of 39 Innbyggerpost payloads and
38 of 56 signatures.xml files, and we refuse each of them, without a crash. Xerces agrees with
the union of libxml2 and ``xmlschema`` (a document either refuses) on every case but two kinds:

* an SBDH CreationDateAndTime with white space around it (``created-padded``,
  ``created-space-padded``): libxml2 refuses it, Xerces and ``xmlschema`` collapse it as
  xs:dateTime's whiteSpace facet says and accept it. We refuse it: stricter than Xerces here
  (our ebMS reader accepts a Timestamp with white space, rightly);
* ``stricter-doctype-entity``: XsdOracle refuses every DOCTYPE, as we do (not a schema verdict).

Faults of the other engines that Xerces does not share, all refused by Xerces and by us: libxml2
accepts a ##other element before eb:UserMessage or between two eb:Error (the wildcard comes last),
and xs:base64Binary outside the alphabet ("%%%", "____", "QUJDé", "!!!!"); ``xmlschema`` accepts
U+00A0, U+3000 and U+2028 after an eb:Timestamp and U+00A0 or U+3000 as white space in
element-only content (it strips with ``str.strip()``), text in eb:Receipt (a lax wildcard), an
eb:mpc that is no xs:anyURI ("::", "http://a b/%zz["), and "0192:991_825827" as Iso6523Identitet
(``\\w`` excludes "_", a punctuation character). No Xerces fault was seen. Xerces joins the text
around a processing instruction (XSD 1.0 part 1, 3.3.4): ``m1@c2.test<?pi?>.evil`` is a valid
MessageId to it, as the ebMS test says other products read it; we refuse such values.

Stricter than Xerces (valid to it, refused by us), documented by the existing tests but for one
(by design, or since a value split by a PI was found read short): ebMS 48 cases (the Peppol
profile, empty or white-space values, one message per eb:Messaging, years outside 0001-9999 and
9999-12-31T24:00:00Z, values split by a PI), SBDH 124 (reader x case: Peppol Envelope 2.0 rules,
PI-split values, DOCTYPE, the padded date above), manifest 2 (an empty postkasseadresse, a PI in
tittel), Innbyggerpost 4 (a JWS that is empty or not compact, a PI in Dokumentpakke, an empty
Dokumentpakke to ``parse``) and signatures.xml 3: no KeyInfo, an empty X509Certificate, and
``object:duplicated``, which the signatures test does not list: two ds:Object each holding
xades:QualifyingProperties (no XAdES schema is loaded, the Object's content is lax), refused as
"one QualifyingProperties" (xades:malformed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import test_dpi_xml_never_laxer as dpi
import test_ebms_never_laxer as ebms
import test_sbdh_never_laxer as sbdh
import test_signatures_xml_never_laxer as signatures
from differential import Verdict, schema_driver
from java_oracle import JavaVerdict, run_batch
from lxml import etree
from test_as4_xsd import SOAP11_STUB

from peppol_dpi import ns

_DRIVER_NAMESPACE = "urn:peppol-dpi:test:xerces-driver"
_NOT_PRESENT = "third-party fixtures not present"

# What Xerces refuses and we accept: (family, case id) -> why we accept it. Each is a strict
# xfail, so that its fix turns it XPASS. None was found (see the module docstring).
FINDINGS: dict[tuple[str, str], str] = {}


# -- Xerces, once per family ----------------------------------------------------------------------


@dataclass(frozen=True)
class Xerces:
    """Xerces' verdicts on a family's documents, by the bytes it was given."""

    verdicts: Mapping[bytes, JavaVerdict]

    def of(self, document: bytes | None, absent: str = "nothing to validate") -> JavaVerdict:
        """The verdict on ``document``; ``None`` (nothing to validate) is refused, ``absent``."""
        return JavaVerdict(False, absent) if document is None else self.verdicts[document]


def _validated(schema: Path, documents: Iterable[bytes | None]) -> Xerces:
    """All ``documents`` validated against ``schema`` in one JVM (each distinct one once)."""
    unique = list(dict.fromkeys(d for d in documents if d is not None))
    verdicts = run_batch("XsdOracle", unique, str(schema))
    return Xerces(dict(zip(unique, verdicts, strict=True)))


def _required(shared: Path, *names: str) -> Path:
    xsd = shared / "xsd"
    for name in names:
        if not (xsd / name).is_file():
            pytest.skip(f"{_NOT_PRESENT}: {xsd / name}")
    return xsd


def assert_never_laxer(xerces: JavaVerdict, ours: Sequence[Verdict]) -> None:
    print(f"Xerces: {xerces.detail}\nours: {[verdict.detail for verdict in ours]}")
    for verdict in ours:
        assert not verdict.crashed, f"our reader crashed: {verdict.detail}"
        assert xerces.accepted or not verdict.accepted, (
            f"we accept ({verdict.detail}) what Xerces refuses: {xerces.detail}"
        )


def _marked(family: str, cases: Iterable[Any]) -> list[Any]:
    """``cases`` (pytest.param) with each of the family's FINDINGS a strict xfail."""
    findings = {case: why for (where, case), why in FINDINGS.items() if where == family}
    out = [
        pytest.param(
            *case.values,
            id=case.id,
            marks=[*case.marks, *_xfail(findings.get(case.id))],
        )
        for case in cases
    ]
    unknown = set(findings) - {case.id for case in out}
    assert not unknown, f"findings for no {family} case: {sorted(unknown)}"
    return out


def _xfail(reason: str | None) -> list[pytest.MarkDecorator]:
    return [] if reason is None else [pytest.mark.xfail(strict=True, reason=reason)]


# -- ebMS 3.0: eb:Messaging as the root of a document of its own ----------------------------------

_NO_MESSAGING = "no eb:Messaging"


def _messaging_alone(data: bytes) -> bytes | None:
    messaging = ebms._messaging(etree.fromstring(data))
    return None if messaging is None else etree.tostring(messaging, with_tail=False)


@pytest.fixture(scope="module")
def xerces_ebms(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Xerces:
    xsd = _required(shared, *(at for at in ebms._IMPORTS.values() if at != "ebms/soap11.xsd"))
    folder = tmp_path_factory.mktemp("xerces-ebms")
    shutil.copytree(xsd / "ebms", folder / "ebms")
    shutil.copytree(xsd / "w3", folder / "w3")
    (folder / "ebms" / "soap11.xsd").write_text(SOAP11_STUB)
    documents = [ebms.document(*case.values) for case in ebms.CASES]
    documents += [ebms.document(kind) for kind in ebms._MESSAGES]
    return _validated(
        schema_driver(folder, ebms._IMPORTS, _DRIVER_NAMESPACE),
        (_messaging_alone(data) for data in documents),
    )


@pytest.mark.parametrize("kind", list(ebms._MESSAGES))
def test_ebms_unmutated_valid_to_xerces(xerces_ebms: Xerces, kind: str) -> None:
    data = ebms.document(kind)
    verdict = xerces_ebms.of(_messaging_alone(data), _NO_MESSAGING)
    assert verdict.accepted, verdict.detail
    assert ebms.ours(kind, data).accepted


@pytest.mark.parametrize(("kind", "mutation"), _marked("ebms", ebms.CASES))
def test_ebms_never_laxer_than_xerces(
    xerces_ebms: Xerces, kind: str, mutation: ebms.Mutation
) -> None:
    data = ebms.document(kind, mutation)
    xerces = xerces_ebms.of(_messaging_alone(data), _NO_MESSAGING)
    assert_never_laxer(xerces, [ebms.ours(kind, data)])


# -- SBDH 1.3 and the Peppol envelope 1.2: the whole SBD, and the header alone --------------------

_NO_HEADER = "no sh:StandardBusinessDocumentHeader first in an sh:StandardBusinessDocument"


class _HeaderAlone(sbdh.Oracle):
    """``sbdh.Oracle.header_objections`` building its document (the header with a valid
    business message), which is kept instead of judged."""

    built: bytes | None = None

    def objections(self, data: bytes) -> list[str]:
        self.built = data
        return []


def _header_alone(data: bytes) -> bytes | None:
    holder = _HeaderAlone(None, None)  # type: ignore[arg-type]
    holder.header_objections(data)
    return holder.built


def _sbdh_document(reader: str, data: bytes) -> bytes | None:
    """What Xerces judges for ``reader``: the header alone or the whole SBD."""
    return _header_alone(data) if sbdh.READERS[reader][2] else data


_SBDH = "sbdh/StandardBusinessDocumentHeader.xsd"
_ENVELOPE = "peppol/PEPPOL-EDN-Business-Message-Envelope-1.2-2019-02-01.xsd"


@pytest.fixture(scope="module")
def xerces_sbdh(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Xerces:
    xsd = _required(shared, _SBDH, _ENVELOPE)
    folder = tmp_path_factory.mktemp("xerces-sbdh")
    shutil.copytree(xsd / "sbdh", folder / "sbdh")
    shutil.copytree(xsd / "peppol", folder / "peppol")
    documents = [*sbdh.BASES.values(), *(data for _, data in sbdh.MUTATIONS)]
    return _validated(
        schema_driver(folder, {ns.SBDH: _SBDH, ns.PEPPOL_ENVELOPE: _ENVELOPE}, _DRIVER_NAMESPACE),
        [*documents, *map(_header_alone, documents)],
    )


@pytest.mark.parametrize("name", list(sbdh.BASES))
def test_sbdh_unmutated_valid_to_xerces(xerces_sbdh: Xerces, name: str) -> None:
    data = sbdh.BASES[name]
    for reader in sbdh.READERS:
        verdict = xerces_sbdh.of(_sbdh_document(reader, data), _NO_HEADER)
        assert verdict.accepted, (reader, verdict.detail)
        assert sbdh.run(reader, data).accepted, reader


@pytest.mark.parametrize(("reader", "data"), _marked("sbdh", sbdh.CASES))
def test_sbdh_never_laxer_than_xerces(xerces_sbdh: Xerces, reader: str, data: bytes) -> None:
    xerces = xerces_sbdh.of(_sbdh_document(reader, data), _NO_HEADER)
    assert_never_laxer(xerces, [sbdh.run(reader, data)])


# -- SDP manifest and Innbyggerpost: Digdir's XSDs ------------------------------------------------


def _documents(cases: Iterable[Any]) -> list[bytes]:
    """The document of each case (a pytest.param of one value)."""
    return [case.values[0] for case in cases]


@dataclass(frozen=True)
class DpiXerces:
    manifest: Xerces
    payload: Xerces


@pytest.fixture(scope="module")
def xerces_dpi(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> DpiXerces:
    xsd = _required(shared, "w3/xmldsig-core-schema.xsd")
    # Laid out as the includes and imports expect: dpi/*.xsd, dpi/w3/xmldsig-core-schema.xsd.
    manifest = tmp_path_factory.mktemp("xerces-sdp") / "dpi"
    for name in ("sdp-manifest.xsd", "sdp-felles.xsd"):
        dpi._copy(shared, f"dpi/{name}", manifest / name)
    shutil.copytree(xsd / "w3", manifest / "w3")
    payload = tmp_path_factory.mktemp("xerces-innbyggerpost")
    dpi._copy(shared, "dpi/innbyggerpost.xsd", payload / "innbyggerpost.xsd")
    (payload / "businessMessageEnvelope.xsd").write_text(dpi._ENVELOPE_STUB)
    manifests = [*dpi.MANIFESTS.values(), *_documents(dpi.MANIFEST_CASES)]
    payloads = [dpi.PAYLOAD, *_documents(dpi.PAYLOAD_CASES)]
    return DpiXerces(
        _validated(manifest / "sdp-manifest.xsd", manifests),
        _validated(payload / "innbyggerpost.xsd", payloads),
    )


@pytest.mark.parametrize("name", list(dpi.MANIFESTS))
def test_manifest_unmutated_valid_to_xerces(xerces_dpi: DpiXerces, name: str) -> None:
    data = dpi.MANIFESTS[name]
    verdict = xerces_dpi.manifest.of(data)
    assert verdict.accepted, verdict.detail
    assert all(outcome.accepted for outcome in dpi.read_manifest(data))


def test_payload_unmutated_valid_to_xerces(xerces_dpi: DpiXerces) -> None:
    verdict = xerces_dpi.payload.of(dpi.PAYLOAD)
    assert verdict.accepted, verdict.detail
    assert all(outcome.accepted for outcome in dpi.read_payload(dpi.PAYLOAD))


@pytest.mark.parametrize("data", _marked("manifest", dpi.MANIFEST_CASES))
def test_manifest_never_laxer_than_xerces(xerces_dpi: DpiXerces, data: bytes) -> None:
    assert_never_laxer(xerces_dpi.manifest.of(data), dpi.read_manifest(data))


@pytest.mark.parametrize("data", _marked("payload", dpi.PAYLOAD_CASES))
def test_payload_never_laxer_than_xerces(xerces_dpi: DpiXerces, data: bytes) -> None:
    assert_never_laxer(xerces_dpi.payload.of(data), dpi.read_payload(data))


# -- ASiC signatures.xml: ETSI TS 102 918 and XML Signature ---------------------------------------

_ASIC = {
    signatures._ASIC_LEGACY: "asic/ts_102918v010201.xsd",
    ns.ASIC: "asic/ts_102918v010201_2.xsd",
}


@pytest.fixture(scope="module")
def xerces_signatures(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Xerces:
    xsd = _required(shared, *_ASIC.values(), "w3/xmldsig-core-schema.xsd")
    folder = tmp_path_factory.mktemp("xerces-asic")
    shutil.copytree(xsd / "asic", folder / "asic")
    shutil.copytree(xsd / "w3", folder / "w3")
    documents = [signatures.BASE, *(data for _, data in signatures.CASES)]
    return _validated(schema_driver(folder, _ASIC, _DRIVER_NAMESPACE), documents)


def test_signatures_unmutated_valid_to_xerces(xerces_signatures: Xerces) -> None:
    verdict = xerces_signatures.of(signatures.BASE)
    assert verdict.accepted, verdict.detail
    assert signatures._ours(signatures.BASE).accepted


_SIGNATURE_CASES = [pytest.param(data, id=name) for name, data in signatures.CASES]


@pytest.mark.parametrize("data", _marked("signatures", _SIGNATURE_CASES))
def test_signatures_never_laxer_than_xerces(xerces_signatures: Xerces, data: bytes) -> None:
    assert_never_laxer(xerces_signatures.of(data), [signatures._ours(data)])
