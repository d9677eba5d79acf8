"""Copydesk: an AI-assisted drafting desk for social media managers."""

__version__ = "0.1.0"
