"""clipguard: make recorded live streams safe to publish and cheap to promote."""

__version__ = "0.1.0"
