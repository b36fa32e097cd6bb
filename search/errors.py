"""The error a user can cause: reported as one line and exit status 2 by the CLI."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user (file, program, config, argument); `str()` is one line."""
