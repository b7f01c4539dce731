"""The encrypted document package end to end: seal (ASiC-E + XAdES + CMS) and open.

:func:`seal` streams the zip straight into the CMS encryptor (BER with indefinite lengths, the
layout of BouncyCastle's streaming generator that Digdir's integrasjonspunkt uses, dpi.md 3.4),
so the plaintext zip is never held whole. :func:`open_package` decrypts and then verifies
everything :func:`~.asic.read_package` verifies. The business message's fingerprint is
:func:`~.cms.package_fingerprint` of the sealed bytes.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import BinaryIO

from cryptography import x509

from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy
from . import cms
from .asic import AsicBuilder, VerifiedPackage, read_package

__all__ = ["open_package", "seal", "seal_to"]


def seal_to(
    sink: BinaryIO,
    builder: AsicBuilder,
    key: PrivateKey,
    *,
    recipient: x509.Certificate,
    signing_time: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Sign the package with ``key``, encrypt it to ``recipient`` and write the CMS to ``sink``."""
    with cms.EnvelopedDataWriter(sink, recipient) as encrypted:
        builder.write(encrypted, key, signing_time=signing_time, limits=limits)


def seal(
    builder: AsicBuilder,
    key: PrivateKey,
    *,
    recipient: x509.Certificate,
    signing_time: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """The dokumentpakke: the signed ASiC-E encrypted to ``recipient`` (see :func:`seal_to`)."""
    sink = io.BytesIO()
    seal_to(sink, builder, key, recipient=recipient, signing_time=signing_time, limits=limits)
    return sink.getvalue()


def open_package(
    data: bytes,
    key: PrivateKey,
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedPackage:
    """Decrypt a dokumentpakke with ``key`` and verify it (see :func:`~.asic.read_package`).

    Raises :class:`~peppol_dpi.errors.DecryptionError` when it cannot be decrypted, then the
    errors of :func:`~.asic.read_package`.
    """
    return read_package(cms.decrypt(data, key, limits=limits), trust=trust, at=at, limits=limits)
