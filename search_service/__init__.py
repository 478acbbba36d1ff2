"""Full-text search for Chinese government information-disclosure notices."""

__version__ = "0.1.0"
