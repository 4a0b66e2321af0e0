"""Rule packs, text normalization, matchers and the scanner."""
