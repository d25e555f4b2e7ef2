"""polls: a self-hosted live polling and voting application."""

__version__ = "0.1.0"
