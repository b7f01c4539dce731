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

from ..errors import CertificateError, DecryptionError, InputError
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

    Raises :class:`~peppol_dpi.errors.DecryptionError` when it cannot be decrypted *or* the
    decrypted package does not verify (one answer for both: no padding oracle), and
    :class:`~peppol_dpi.errors.CertificateError` when the signer is not trusted.
    """
    plaintext = cms.decrypt(data, key, limits=limits)
    try:
        return read_package(plaintext, trust=trust, at=at, limits=limits)
    except CertificateError:
        raise  # only raised once the signature has verified: it reveals nothing about padding
    except InputError as exc:
        # CBC has no integrity of its own. If a damaged zip, manifest or signature answered
        # differently from bad padding, whoever sees the answer (a "feil" message back to a
        # sender) would hold a padding oracle (Vaudenay 2002) and could decrypt a package
        # block by block. Until the XAdES signature has verified, every failure is the one
        # DecryptionError; the detail stays in __cause__ for the receiver's own logs.
        raise DecryptionError() from exc
