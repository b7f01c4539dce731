"""peppol-dpi."""
