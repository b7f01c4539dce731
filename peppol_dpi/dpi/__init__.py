"""DPI (digital post to citizens): business messages, JWS, document package, recipes.

Submodules: ``message`` (the JSON business messages), ``jws`` (their signature),
``innbyggerpost`` (the corner 2 to corner 3 payload), ``asic``/``cms`` (the document package),
``recipes`` (sender and mailbox sides).
"""
