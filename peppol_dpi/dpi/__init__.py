"""DPI (digital post to citizens): business messages, JWS, the document package, recipes."""
