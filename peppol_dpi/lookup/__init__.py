"""Lookups before sending: SML/BDXL (DNS), SMP (service metadata), Maskinporten tokens, KRR.

The pure parts (name construction, XML reading, endpoint selection, JWT grant building) take and
return typed values; the clients do I/O only through the ``requests.Session`` or DNS resolver the
caller hands them. Nothing here does I/O at import time. See docs/lookup.md.
"""

from .discovery import DiscoveredEndpoint, EndpointFinder, discover_endpoint
from .errors import (
    KrrError,
    LookupTimeoutError,
    MaskinportenError,
    NotRegisteredError,
    RegistryUnavailableError,
    SmlError,
    SmpError,
)
from .krr import KRR_PRESETS, KrrClient, Person, PrintCertificate
from .maskinporten import (
    MASKINPORTEN_PRESETS,
    AccessToken,
    JwtGrant,
    MaskinportenClient,
    MaskinportenEnvironment,
    TokenClaims,
)
from .sml import SML_PRESETS, SmlZone, naptr_name, resolve_smp_url, sml_zone
from .smp import (
    Endpoint,
    Redirect,
    ServiceGroup,
    ServiceMetadata,
    SmpFlavour,
    TransportProfile,
    select_endpoint,
)
from .smp_client import SmpClient
from .smp_verify import VerifiedServiceMetadata, verify_service_metadata
from .smp_write import SmpWriteClient

__all__ = [
    "KRR_PRESETS",
    "MASKINPORTEN_PRESETS",
    "SML_PRESETS",
    "AccessToken",
    "DiscoveredEndpoint",
    "Endpoint",
    "EndpointFinder",
    "JwtGrant",
    "KrrClient",
    "KrrError",
    "LookupTimeoutError",
    "MaskinportenClient",
    "MaskinportenEnvironment",
    "MaskinportenError",
    "NotRegisteredError",
    "Person",
    "PrintCertificate",
    "Redirect",
    "RegistryUnavailableError",
    "ServiceGroup",
    "ServiceMetadata",
    "SmlError",
    "SmlZone",
    "SmpClient",
    "SmpError",
    "SmpFlavour",
    "SmpWriteClient",
    "TokenClaims",
    "TransportProfile",
    "VerifiedServiceMetadata",
    "discover_endpoint",
    "naptr_name",
    "resolve_smp_url",
    "select_endpoint",
    "sml_zone",
    "verify_service_metadata",
]
