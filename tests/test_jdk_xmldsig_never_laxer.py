"""Differential test: our XML signature verifier is never laxer than the JDK's.

The documents and mutations of ``test_xmldsig_never_laxer`` (AS4-like, SMP-like, XAdES-like, and
ones signed by xmlsec and by signxml; 253 cases) are verified by :func:`peppol_dpi.xmldsig.verify`
(``ours`` there: the hardened parser, then verify() on the first ds:Signature in document order)
and by the JDK's XML Signature implementation, ``javax.xml.crypto.dsig`` (Apache Santuario's, with
which phase4 and Oxalis verify), in ``tests/java/DsigOracle.java``: one JVM over every document.
Whenever the JDK refuses a signature, we must refuse it too, and our every refusal must be an
InputError (anything else is a crash).

The JDK's settings: the document parsed namespace-aware with any DOCTYPE refused
(``disallow-doctype-decl``); every wsu:Id, Id, ID, id and xml:id attribute marked as an ID (the
id attributes our index knows); the first ds:Signature in document order, as ``ours`` picks it;
a DOMValidateContext with the test signer's public key (from its certificate: KeyInfo is not used
to find the key, though it is unmarshalled); ``org.jcp.xml.dsig.secureValidation`` on, so that the
JDK's ``jdk.xml.dsig.secureValidationPolicy`` applies (on JDK 17: no SHA-1 or MD5, no XSLT, at
most 5 transforms and 30 references, no duplicate ids, no file, http or https reference URIs);
core validation (the SignatureValue and every Reference). References are dereferenced by the
JDK's own dereferencer without a base URI: nothing is fetched.

Left out: nothing. No document has an external reference (the SOAP sample is signed over ``#m1``
and ``#b1`` only, no ``cid:`` attachment), so no URIDereferencer is needed; the cases whose URI
does not resolve (an unknown id, a leading space, no URI, the signed Body removed) are about
exactly that, and their refusals count. The DOCTYPE cases are refused by both parsers.

Findings when this was written, all three accepted by xmlsec too:

* ``signxml: KeyInfo certificate replaced (unsigned)``: the JDK unmarshals KeyInfo and refuses an
  X509Certificate that is not a certificate (MarshalException "Cannot create X509Certificate").
  Given the key, ``verify`` did not read KeyInfo at all and verified. Fixed: ``verify`` reads the
  KeyInfo certificates (``certificates_in``) and refuses one that is none (``dsig:malformed``).
* ``soap: CDATA DigestValue`` and ``soap: SignatureValue as CDATA``: laxer by design
  (``test_cdata_in_signature_values_is_character_data_on_purpose``). The JDK reads DigestValue
  and SignatureValue as the concatenation of their Text children only
  (``XMLUtils.getFullTextChildrenFromNode``: a CDATASection is not a TEXT_NODE), so it sees an
  empty value and refuses (a digest mismatch; "Bad signature length: got 0"). We read the
  element's character data, CDATA included, as XML 1.0 (2.7) has it, and as xmlsec does: the
  values are the same characters either way, and C14N writes a CDATA section in SignedInfo as
  text, so the SignatureValue covers the DigestValue as before. Refusing it would need a parser
  that keeps CDATA sections apart, for a refusal that protects nothing.

Where we are stricter (the JDK verifies, we refuse; allowed), 21 cases when this was written:

* by policy, algorithms and transforms (9): the WithComments canonicalizations (exclusive and
  inclusive SignedInfo, an exclusive transform), DigestMethod SHA-224, an XPath transform, two
  exclusive C14N transforms, the enveloped-signature transform on a detached reference (twice),
  an ``#xpointer(id('b1'))`` URI;
* base64 (8): the JDK decodes DigestValue and SignatureValue with ``Base64.getMimeDecoder()``,
  which skips characters outside the alphabet (``!``, ``*``, U+00A0) and takes missing or extra
  padding; we want xs:base64Binary;
* the content model (3): text in SignedInfo, a foreign element in an exclusive C14N transform (the
  JDK reads the PrefixList attribute of whatever first child element it finds), SignatureValue
  split by a child element (the JDK joins the text around it);
* interoperability (1, fixed since): ``xades: xml:id on ds:Object, C14N 1.1 transform
  (re-signed)``, a valid signature (xmlsec verifies it too) that we refused: C14N 1.1 does not
  inherit xml:id (section 2.4), and we canonicalized C14N 1.1 as 1.0. ``c14n(version_1_1=True)``
  now inherits xml:lang and xml:space only (and refuses an xml:base that needs fixing up);
  ``test_xmldsig_never_laxer.test_valid_signatures_xmlsec_verifies_we_verify_too`` holds it.

Also compared: the PrefixList separators (the JDK splits ``#default`` and ``p`` at the XML white
space of ``xs:NMTOKENS`` only, as we do and as ``test_xmldsig_never_laxer`` says Santuario does:
here the two agree both ways), and SignedInfo with one or two characters flipped at random (seeded)
and signed again, so that what a flip does to the references is what is compared (of the 200,
when this was written: 15 verified by both, 175 by neither, 10 by the JDK only, all for the
content model or base64 reasons above).

Of the 253 cases, when this was written: 77 verified by both, 152 refused by both, 21 verified by
the JDK only, 3 (the findings) by us only.
"""

from __future__ import annotations

import contextlib
import random
import re
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from java_oracle import JavaVerdict, run_batch
from lxml import etree
from test_xmldsig_never_laxer import (
    _BUILDERS,
    _FLIP_TO,
    _PREFIX_DOC,
    _SIGNED_INFO,
    CASES,
    EXC,
    KEY,
    Case,
    _plain,
    _signed_by_xmlsec,
    document,
    ours,
    resign,
)

NAMES = sorted(_BUILDERS)
_CDATA = (
    "the JDK reads {} as its Text children only (XMLUtils.getFullTextChildrenFromNode skips a "
    "CDATASection), sees an empty value and refuses; we read the CDATA as character data"
)
#: Where we accept what the JDK refuses, on purpose (see the module docstring).
LAXER_BY_DESIGN = {
    "soap: CDATA DigestValue": _CDATA.format("DigestValue"),
    "soap: SignatureValue as CDATA": _CDATA.format("SignatureValue"),
}


def _mutations() -> dict[str, Case]:
    by_id: dict[str, Case] = {}
    for param in CASES:
        values: Any = param  # a pytest.param (its type, ParameterSet, is pytest-private)
        (mutation,) = values.values
        by_id[values.id] = mutation
    return by_id


MUTATIONS = _mutations()

# PrefixList separators: the one the list is written with, and the reading the digest was made
# under ("one": xmlsec's, which splits at spaces only; "two": "#default" and "p").
SEPARATORS = ["\u00a0", "\u2003", "\u3000", "\u0085", "\t", "\n", "\t\r\n"]


def _prefix_list(separator: str, reading: str) -> bytes:
    """xmlsec's signature over ``#d1`` with PrefixList ``#default<separator>p``, its digest made
    under ``reading`` and SignedInfo signed again."""
    signed_over = f"#default{separator}p" if reading == "one" else "#default p"
    root = _plain(_signed_by_xmlsec(_PREFIX_DOC, signed_over))
    (inclusive,) = root.iter(f"{{{EXC.decode()}}}InclusiveNamespaces")
    inclusive.set("PrefixList", f"#default{separator}p")
    return resign(etree.tostring(root))


def _flipped(count: int = 200, seed: int = 1105) -> list[bytes]:
    """SignedInfo of the documents with one or two characters replaced at random and signed
    again; a flip that leaves SignedInfo unreadable to the harness's signer is drawn again."""
    rng = random.Random(seed)
    out: list[bytes] = []
    while len(out) < count:
        data = bytearray(document(rng.choice(NAMES)))
        region = re.search(_SIGNED_INFO, data, re.S)
        assert region is not None
        for _ in range(rng.randint(1, 2)):
            data[rng.randrange(region.start(), region.end())] = rng.choice(_FLIP_TO)
        with contextlib.suppress(Exception):  # not well-formed, no algorithm, ...
            out.append(resign(bytes(data)))
    return out


@cache
def _inputs() -> dict[str, bytes]:
    inputs = {f"document {name}": document(name) for name in NAMES}
    inputs |= {label: mutation.data() for label, mutation in MUTATIONS.items()}
    for separator in SEPARATORS:
        for reading in ("one", "two"):
            inputs[f"prefix list {separator!r} {reading}"] = _prefix_list(separator, reading)
    inputs |= {f"flip {index}": data for index, data in enumerate(_flipped())}
    return inputs


@pytest.fixture(scope="module")
def jdk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, JavaVerdict]:
    """The JDK's verdict on every input, by label: one JVM run."""
    certificate = tmp_path_factory.mktemp("dsig-oracle") / "signer.pem"
    certificate.write_bytes(KEY.certificate.public_bytes(Encoding.PEM))
    inputs = _inputs()
    verdicts = run_batch("DsigOracle", list(inputs.values()), str(certificate))
    return dict(zip(inputs, verdicts, strict=True))


def _never_laxer(label: str, jdk: dict[str, JavaVerdict]) -> str | None:
    """What is wrong with our verdict on ``label`` next to the JDK's, or None."""
    mine, theirs = ours(_inputs()[label]), jdk[label]
    if mine.crashed:
        return f"{label}: our verifier crashed: {mine.detail}"
    if mine.accepted and not theirs.accepted:
        return f"{label}: we accepted what the JDK refused ({theirs.detail})"
    return None


# -- tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_jdk_and_we_verify_every_unmutated_document(name: str, jdk: dict[str, JavaVerdict]) -> None:
    # The harness is sound: the JDK's refusals below are about the signature, not about an id
    # it could not resolve, a key it could not use or a document it could not read.
    verdict = jdk[f"document {name}"]
    assert verdict.accepted, verdict.detail
    assert ours(document(name)).accepted, ours(document(name)).detail


@pytest.mark.parametrize("label", [label for label in MUTATIONS if label not in LAXER_BY_DESIGN])
def test_never_laxer_than_the_jdk(label: str, jdk: dict[str, JavaVerdict]) -> None:
    problem = _never_laxer(label, jdk)
    assert problem is None, problem


@pytest.mark.parametrize("label", sorted(LAXER_BY_DESIGN))
def test_cdata_in_signature_values_is_character_data_on_purpose(
    label: str, jdk: dict[str, JavaVerdict]
) -> None:
    mine, theirs = ours(_inputs()[label]), jdk[label]
    assert mine.accepted and not theirs.accepted, (LAXER_BY_DESIGN[label], theirs.detail)


@pytest.mark.parametrize("reading", ["one", "two"])
@pytest.mark.parametrize("separator", SEPARATORS)
def test_prefix_lists_are_split_as_the_jdk_splits_them(
    separator: str, reading: str, jdk: dict[str, JavaVerdict]
) -> None:
    # Exactly one reading of each list verifies with the JDK; we verify the same one.
    label = f"prefix list {separator!r} {reading}"
    other = f"prefix list {separator!r} {'two' if reading == 'one' else 'one'}"
    theirs, mine = jdk[label], ours(_inputs()[label])
    assert theirs.accepted != jdk[other].accepted, (theirs.detail, jdk[other].detail)
    assert not mine.crashed, mine.detail
    assert mine.accepted == theirs.accepted, (theirs.detail, mine.detail)


def test_re_signed_random_flips_in_signed_info_never_laxer(jdk: dict[str, JavaVerdict]) -> None:
    flips = [label for label in _inputs() if label.startswith("flip ")]
    assert sum(jdk[label].accepted for label in flips) > 0  # not all refused by the harness
    problems = [problem for label in flips if (problem := _never_laxer(label, jdk))]
    assert not problems, "\n".join(problems)
