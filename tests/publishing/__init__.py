"""Tests of assistant/publishing."""
