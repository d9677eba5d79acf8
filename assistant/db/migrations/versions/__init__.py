"""Append-only, named migration files: never edit one that has shipped, add the next one."""
