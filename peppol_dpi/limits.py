"""Size, count and depth limits: one documented place, safe defaults.

Every parser in the package takes a :class:`Limits` (defaulting to :data:`DEFAULT_LIMITS`) and
refuses input beyond it with an :class:`~peppol_dpi.errors.InputError` naming the limit, before
doing the expensive work. Raise a limit deliberately with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError

__all__ = ["DEFAULT_LIMITS", "Limits"]

MiB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class Limits:
    #: Largest XML document accepted by the hardened parser (an SBD may carry a large base64
    #: attachment, hence generous).
    max_xml_bytes: int = 512 * MiB
    #: Deepest element nesting accepted (Peppol documents are far shallower; UBL is ~10).
    max_xml_depth: int = 100
    #: Most elements in one XML document.
    max_xml_elements: int = 1_000_000
    #: Most namespace declarations in scope of one element (shadowed ones count). Real
    #: documents have under 30 (SOAP + SBDH + UBL); inclusive C14N costs the square of this
    #: number per element, so it bounds the CPU an attacker-chosen transform can burn.
    max_xml_namespaces_in_scope: int = 64
    #: Largest HTTP/MIME message accepted.
    max_message_bytes: int = 1024 * MiB
    #: Most MIME parts in one message (Peppol needs 2: the SOAP part and one payload).
    max_mime_parts: int = 16
    #: Largest SOAP envelope part (its content), in memory or streamed from a file (the
    #: payload travels as an attachment; a Peppol envelope is a few KiB).
    max_envelope_bytes: int = 16 * MiB
    #: How far into a streamed SBD its header must end (the SBDH precedes the payload).
    max_sbdh_bytes: int = 1 * MiB
    #: Largest MIME header block of one part.
    max_mime_header_bytes: int = 16 * 1024
    #: Largest payload after gzip decompression (bomb guard).
    max_decompressed_bytes: int = 1024 * MiB
    #: Largest ratio of decompressed to compressed size accepted (bomb guard).
    max_compression_ratio: int = 1000
    #: Most members in one gzip stream. RFC 1952 2.2 allows several, and every AS4 sender
    #: (phase4, Oxalis, the ``as4`` package, this one) writes one. The JDK's GZIPInputStream,
    #: with which phase4 and Oxalis read a payload, decides whether another member follows by
    #: ``InputStream.available()`` and may end after the first, silently, depending on how the
    #: bytes arrived (JDK-7036144): a payload of several members can be read as two documents.
    #: Raise it to read such streams (parallel compressors write one member per block).
    max_gzip_members: int = 1
    #: Most entries in an ASiC-E zip (DPI: main document + up to 200 attachments + metadata).
    max_zip_entries: int = 210
    #: Largest total uncompressed size of an ASiC-E package.
    max_package_bytes: int = 1024 * MiB
    #: Largest DPI document package a sender may build: the documents together (DOCS
    #: dokumentpakke_index and integrasjonspunkt's upload-size-limit say 50 MB; another DOCS
    #: page says 30 MB, dpi.md 3.1).
    max_dpi_package_bytes: int = 50 * MiB
    #: Largest JWS (compact) accepted.
    max_jws_bytes: int = 16 * MiB
    #: Largest HTTP response body read from SMP, KRR or Maskinporten.
    max_http_response_bytes: int = 8 * MiB
    #: Largest key or certificate file read (PEM, DER, PKCS#12, JKS; real ones are a few KiB).
    max_key_file_bytes: int = 4 * MiB
    #: Most entries in one keystore (JKS) or certificates in one PEM bundle.
    max_keystore_entries: int = 1000
    # -- time: every network exchange has a wall-clock budget, not only a per-read timeout
    #: Seconds to open a TCP/TLS connection to an SMP, KRR, Maskinporten (phase4 uses 5).
    max_connect_seconds: int = 5
    #: Seconds for one whole HTTP exchange of a lookup client, body included (a server
    #: dripping one byte at a time never trips a per-read timeout).
    max_http_seconds: int = 30
    #: Seconds for one whole CRL download or OCSP exchange.
    max_revocation_seconds: int = 10
    #: Seconds for one DNS query (SML/BDXL NAPTR, legacy CNAME).
    max_dns_seconds: int = 5

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or value <= 0:
                raise UsageError(f"limit {name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = Limits()
