"""Ray clusters that are not ours: the embedded default never joins one (a running
`ray start` cluster, or the address file a stopped one left), joining an address
where nothing answers is one line within the connect timeout, and a start prints
none of Ray's expected notices."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from search.config import EvaluatorConfig  # noqa: E402
from search.errors import UserError  # noqa: E402
from search.ray_evaluator import RayEvaluator  # noqa: E402
from search.scoring import ScorerSpec  # noqa: E402
from tests.cli import optsearch  # noqa: E402
from tests.search.test_ray_embedded import descendants  # noqa: E402
from tests.test_cli_runs import CONFIG  # noqa: E402

SPEC = ScorerSpec((("heavy-tail-regression", 1.0),), 1, 12, 10.0)
ADDRESS_FILE = Path("/tmp/ray/ray_current_cluster")  # where `ray start` records itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.format(budget=10))
    return path


def test_joining_an_address_where_nothing_listens_is_one_named_error():
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(UserError, match=f"no Ray cluster at {address}") as raised:
        RayEvaluator(SPEC, EvaluatorConfig(kind="ray", workers=1), address=address,
                     connect_timeout_s=1)
    assert "\n" not in str(raised.value)
    assert not ray.is_initialized(), "Ray must not be asked to dial a missing cluster"


def test_run_with_an_address_where_nothing_listens_is_one_line_and_creates_nothing(
    config, tmp_path
):
    address = f"127.0.0.1:{free_port()}"
    result = optsearch(
        "run", str(config), "--run-dir", str(tmp_path / "r"), "--address", address,
        "--connect-timeout", "2",
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"optsearch run: error: no Ray cluster at {address}")
    assert result.stderr.count("\n") == 1, result.stderr  # none of Ray's reconnect lines
    assert not (tmp_path / "r").exists()


def test_a_server_that_is_not_ray_at_the_address_is_one_line_within_the_timeout(
    config, tmp_path, monkeypatch
):
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    # Accepts connections (the kernel completes them) and never says a word.
    with socket.socket() as silent:
        silent.bind(("127.0.0.2", 0))  # loopback, under an address Ray leaves as is
        silent.listen(16)
        address = f"127.0.0.2:{silent.getsockname()[1]}"
        result = optsearch(
            "run", str(config), "--run-dir", str(tmp_path / "r"), "--address", address,
            "--connect-timeout", "2", timeout=120,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"optsearch run: error: no Ray cluster at {address}")
    assert "did not answer as Ray within 2 s" in result.stderr
    # Without token auth set, the likeliest cause (a `ray start` head) is named.
    assert "RAY_AUTH_MODE=token" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # Ray's retry lines stay hidden
    assert not (tmp_path / "r").exists()


def test_the_connect_timeout_must_be_a_positive_number(config):
    result = optsearch("run", str(config), "--address", "auto", "--connect-timeout", "nan")
    assert result.returncode == 2 and "positive number of seconds" in result.stderr


@pytest.mark.slow  # 17 s for console output only
def test_an_embedded_start_prints_none_of_rays_expected_notices(config, tmp_path):
    result = optsearch(
        "run", str(config), "--run-dir", str(tmp_path / "r"), "--quiet",
        "evaluator.kind=ray", "evaluator.workers=1",
    )
    assert result.returncode == 0, result.stderr
    assert "Token authentication" not in result.stderr
    assert "os.fork()" not in result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr


@pytest.fixture
def ray_start_cluster():
    """A cluster started by `ray start --head` on loopback, on a port of its own
    (stopped after: our own process group only, never `ray stop`)."""
    port = free_port()
    saved = ADDRESS_FILE.read_text() if ADDRESS_FILE.exists() else None
    head = subprocess.Popen(
        ["ray", "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
         "--num-cpus=1", "--include-dashboard=false", "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while not (ADDRESS_FILE.exists() and str(port) in ADDRESS_FILE.read_text()):
            assert head.poll() is None, "ray start exited"
            assert time.time() < deadline, "ray start did not come up"
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        ours = descendants(head.pid)
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        for pid in ours:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if saved is None:
            ADDRESS_FILE.unlink(missing_ok=True)
        else:
            ADDRESS_FILE.write_text(saved)


@pytest.mark.slow
def test_the_embedded_default_ignores_a_running_ray_start_cluster(
    ray_start_cluster, config, tmp_path
):
    args = ["--quiet", "evaluator.kind=ray", "evaluator.workers=1"]
    running = optsearch("run", str(config), "--run-dir", str(tmp_path / "a"), *args)
    assert running.returncode == 0, running.stderr
    assert "Connecting to existing Ray cluster" not in running.stderr


@pytest.mark.slow
def test_a_stale_address_file_is_ignored(config, tmp_path):
    saved = ADDRESS_FILE.read_text() if ADDRESS_FILE.exists() else None
    ADDRESS_FILE.parent.mkdir(parents=True, exist_ok=True)
    ADDRESS_FILE.write_text(f"127.0.0.1:{free_port()}")  # a cluster that has stopped
    try:
        result = optsearch(
            "run", str(config), "--run-dir", str(tmp_path / "r"), "--quiet",
            "evaluator.kind=ray", "evaluator.workers=1",
        )
    finally:
        if saved is None:
            ADDRESS_FILE.unlink(missing_ok=True)
        else:
            ADDRESS_FILE.write_text(saved)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_ray_processes_outliving_a_killed_driver_do_not_hold_the_run(config, tmp_path):
    import sqlite3
    import sys

    run_dir = tmp_path / "r"
    driver = subprocess.Popen(
        [sys.executable, "-m", "optsearch", "run", str(config), "max_candidates=100000",
         "--run-dir", str(run_dir), "--quiet", "evaluator.kind=ray", "evaluator.workers=1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def told() -> int:
        try:
            with sqlite3.connect(run_dir / "candidates.sqlite", timeout=1) as db:
                return db.execute("SELECT COUNT(told_seq) FROM candidates").fetchone()[0]
        except sqlite3.OperationalError:
            return 0

    deadline = time.time() + 300
    while told() < 3:
        assert driver.poll() is None and time.time() < deadline, "the run did not start"
        time.sleep(0.1)
    survivors = descendants(driver.pid) - {driver.pid}
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    try:
        # Ray's agents are still alive now; none holds the lock or the database.
        for pid in survivors:
            try:
                fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            assert not any(str(run_dir) in target for target in fds), (pid, fds)
        resumed = optsearch("run", "--resume", str(run_dir), f"max_candidates={told() + 3}",
                            "--quiet")
        assert resumed.returncode == 0, resumed.stderr
    finally:
        for pid in survivors:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
