"""DPI (digital post to citizens): business messages, JWS, document package, recipes.

Submodules: ``message``/``bodies``/``identifiers`` (the JSON business messages), ``jws`` and
``signed`` (their signature), ``token`` (the Maskinporten token they carry), ``innbyggerpost``
and ``peppol_payload`` (the corner 2 to corner 3 payload), ``asic``/``cms``/``package`` (the
document package), ``sender`` and ``mailbox`` (the two ends of the flow).
"""

__all__: list[str] = []  # the modules of the package are imported by name
