"""The reference access points: corner 2 (the DPI sender API) and corner 3 (the AS4 receiver).

See docs/transport.md. The modules: :mod:`.store` (the durable state, interface) and
:mod:`.sqlite_store` (its embedded backend), :mod:`.ports` (what the services need from the
format modules), :mod:`.corner2`, :mod:`.corner3`, :mod:`.inbox` (AS4 in), :mod:`.worker`
(AS4 out, delivery to corner 4), :mod:`.delivery` (the corner 4 HTTP interface),
:mod:`.config`, :mod:`.logs`, :mod:`.wire` and :mod:`.server`.
"""
