"""Highlight finding and compliance-gated promo clips."""
