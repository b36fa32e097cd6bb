"""`optsearch --version` names the installed version and exits 0."""

from __future__ import annotations

from importlib import metadata

from tests.cli import optsearch


def test_version_prints_the_installed_version():
    result = optsearch("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"optsearch {metadata.version('optsearch')}"
