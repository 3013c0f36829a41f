"""minprow: Prow's core as one Python process."""

__version__ = "0.1.0"
