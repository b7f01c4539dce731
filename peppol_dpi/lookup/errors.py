"""Errors of the lookup clients, all under the package's one hierarchy (``peppol_dpi.errors``).

Bad answers from a registry are :class:`~peppol_dpi.errors.InputError` subclasses naming a rule;
a registry that cannot be reached (timeout, refused connection) is a
:class:`~peppol_dpi.errors.TransportError`.
"""

from __future__ import annotations

from ..errors import InputError, RemoteError, TransportError

__all__ = [
    "KrrError",
    "LookupTimeoutError",
    "MaskinportenError",
    "NotRegisteredError",
    "RegistryUnavailableError",
    "SmlError",
    "SmpError",
]


class SmlError(InputError):
    """The SML (DNS) answer is unusable: malformed NAPTR record, unsafe regexp, bad URL."""


class NotRegisteredError(SmlError):
    """The participant (or its document type) is not registered: NXDOMAIN, no record, HTTP 404."""


class SmpError(InputError):
    """The SMP answered something unusable: HTML, wrong XML, no matching endpoint, bad redirect."""


class MaskinportenError(RemoteError):
    """Maskinporten refused the grant, or answered something that is not a token."""


class KrrError(RemoteError):
    """The contact register (KRR) refused the request or answered something unusable."""


class LookupTimeoutError(TransportError):
    """A registry (DNS server, SMP, Maskinporten, KRR) did not answer in time or at all."""


class RegistryUnavailableError(TransportError):
    """A registry answered with a server error (HTTP 5xx): worth trying again later."""
