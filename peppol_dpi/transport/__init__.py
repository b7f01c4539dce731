"""The reference access points: corner 2 (the DPI sender API) and corner 3 (the AS4 receiver).

See docs/transport.md. Run one from its configuration::

    config = load_config(Corner2Config, Path("corner2.toml"), env=os.environ, prefix="PEPPOL_DPI_C2")
    service = build_corner2(config).start()

Modules: :mod:`.store` (the durable state, interface) and :mod:`.sqlite_store` (its embedded
backend), :mod:`.ports` (what the services need from the format modules) with
:mod:`.peppol_as4`, :mod:`.dpi_formats` and :mod:`.locate` implementing them, :mod:`.corner2`,
:mod:`.corner3`, :mod:`.inbox` (AS4 in), :mod:`.worker` (AS4 out, delivery to corner 4),
:mod:`.delivery` (the corner 4 HTTP interface), :mod:`.auth`, :mod:`.config`, :mod:`.build`,
:mod:`.server`, :mod:`.logs`, :mod:`.wire`, :mod:`.http`.
"""

from .build import Formats, build_corner2, build_corner3, formats_from_config
from .config import Corner2Config, Corner3Config, load_config
from .delivery import HttpCorner4
from .dpi_formats import DpiPayloads, DpiReader
from .locate import FixedLocator, SmpLocator
from .peppol_as4 import PeppolAs4
from .ports import As4Codec, BusinessMessageReader, Corner4, EndpointLocator, PayloadCodec
from .server import Service, WsgiServer, corner2_service, corner3_service
from .sqlite_store import SqliteStore
from .store import Status, Store
from .wire import WireDump, WireMessage

__all__ = [
    "As4Codec",
    "BusinessMessageReader",
    "Corner2Config",
    "Corner3Config",
    "Corner4",
    "DpiPayloads",
    "DpiReader",
    "EndpointLocator",
    "FixedLocator",
    "Formats",
    "HttpCorner4",
    "PayloadCodec",
    "PeppolAs4",
    "Service",
    "SmpLocator",
    "SqliteStore",
    "Status",
    "Store",
    "WireDump",
    "WireMessage",
    "WsgiServer",
    "build_corner2",
    "build_corner3",
    "corner2_service",
    "corner3_service",
    "formats_from_config",
    "load_config",
]
