"""webcare: a self-hosted social-media webcare bot."""

__version__ = "0.1.0"
