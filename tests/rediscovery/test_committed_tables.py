"""The committed benchmark tables are what the committed archives say:
`optsearch rediscover --report-only docs/rediscovery` rebuilds them exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from optsearch.rediscovery.report import TABLES_MD, archive_dirs
from tests.cli import optsearch

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rediscovery"


@pytest.mark.skipif(not (DOCS / TABLES_MD).is_file(), reason="no benchmark tables committed")
def test_the_committed_tables_are_rebuilt_from_the_committed_archives():
    assert archive_dirs(DOCS), "tables committed without their archives"
    rebuilt = optsearch("rediscover", "--report-only", str(DOCS), timeout=900)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout == (DOCS / TABLES_MD).read_text()


def test_the_tables_in_the_readme_and_the_benchmark_doc_are_the_archives():
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "scripts" / "sync_rediscovery_docs.py"
    checked = subprocess.run([sys.executable, str(script), "--check"],
                             capture_output=True, text=True, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
