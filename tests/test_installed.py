"""A non-editable install works away from the source tree (slow: builds and installs).

`pip install .` into a fresh virtual environment, then, from a directory that is
not the checkout, `optsearch bench --quick` must find the quickstart config and
`optsearch show adamw` the built-in programs, both under <prefix>/share/optsearch,
where every file of configs/ (found programs and task mixes too) must be.
The environment borrows this one's dependencies through a .pth file, so nothing
is downloaded but the build backend.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_non_editable_install_finds_its_configs_and_programs(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    # Dependencies (jax, ray, ...) from this environment, after the new one's own.
    borrowed = "\n".join(site.getsitepackages()) + "\n"
    (Path(purelib) / "borrowed_deps.pth").write_text(borrowed)
    # Build from a copy: setuptools writes build/ into the tree it builds.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "runs", "__pycache__", ".pytest_cache"))
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", str(source)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    optsearch = env_dir / "bin" / "optsearch"

    installed = subprocess.run(
        [python, "-c", "import search, dsl.library as l; print(search.__file__); "
                       "print(l.configs_dir())"],
        cwd=away, env=env, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    assert str(ROOT) not in installed[0]  # the installed copy, not the checkout
    assert installed[1] == str(env_dir / "share" / "optsearch" / "configs")
    # Every config and program file of the checkout, found rivals and task
    # mixes included: the docs' commands name them by path under configs/.
    shipped = {p.relative_to(ROOT / "configs") for p in (ROOT / "configs").rglob("*")
               if p.is_file() and p.suffix in (".yaml", ".py")}
    share = Path(installed[1])
    missing = sorted(str(p) for p in shipped if not (share / p).is_file())
    assert shipped and not missing, missing

    shown = subprocess.run(
        [optsearch, "show", "adamw", "--json"], cwd=away, env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["statements"] > 0

    bench = subprocess.run(
        [optsearch, "bench", "--quick", "--json"], cwd=away, env=env,
        capture_output=True, text=True, timeout=900,
    )
    assert bench.returncode == 0, bench.stderr
    assert json.loads(bench.stdout)["search_candidates"] == 30
