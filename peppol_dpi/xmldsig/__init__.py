"""The one XML Signature core of peppol-dpi (W3C XMLDSig 1.1), shared by WS-Security (AS4),
XAdES (ASiC-E document packages) and SMP responses.

Only what those profiles need, and strictly:

* signature methods RSA-SHA256/384/512 (RSA-SHA1 only when a policy opts in);
* digests SHA-256/384/512 (SHA-1 only on opt-in);
* canonicalization: exclusive C14N 1.0 (with InclusiveNamespaces PrefixList), inclusive C14N
  1.0, and C14N 1.1 (for an element subtree it differs from 1.0 only in the ``xml:*``
  attributes the apex inherits: ``xml:id`` never, ``xml:base`` fixed up, which is refused
  here; none of these profiles uses either);
* transforms: enveloped-signature, the canonicalizations above, and the SwA
  Attachment-Content-Signature-Transform (WSS SwA profile 1.1 section 5.2), whose input the
  caller's resolver supplies;
* same-document references (``#id``) are resolved through an index that refuses duplicate ids
  (the signature-wrapping defence WSS4J calls "secure validation"); ``""`` is the whole document;
  any other URI (``cid:``, a zip entry name) must be supplied by the caller's resolver: nothing
  is ever fetched.

:func:`verify` returns what was verified (signxml's lesson): the references with their digests
and, for same-document references, the element that was covered. Callers must act on those
elements, not on what they find in the document by other means.
"""

from __future__ import annotations

from .model import (
    C14nMethod,
    DigestMethod,
    ExternalDigest,
    ObjectBuilder,
    ReferenceSpec,
    Resolver,
    SignatureMethod,
    SignaturePolicy,
    SignedInfoSpec,
    Transform,
    VerifiedReference,
    VerifiedSignature,
)
from .references import id_attributes, id_index, unique_ids
from .signing import complete_signature, sign, signature_xml, signed_info_xml
from .verifying import certificates_in, check_external, verify

__all__ = [
    "C14nMethod",
    "DigestMethod",
    "ExternalDigest",
    "ObjectBuilder",
    "ReferenceSpec",
    "Resolver",
    "SignatureMethod",
    "SignaturePolicy",
    "SignedInfoSpec",
    "Transform",
    "VerifiedReference",
    "VerifiedSignature",
    "certificates_in",
    "check_external",
    "complete_signature",
    "id_attributes",
    "id_index",
    "sign",
    "signature_xml",
    "signed_info_xml",
    "unique_ids",
    "verify",
]
