"""The README's long-running blocks run: "Re-deriving Lion", "Tasks and baselines"
and "Running on Ray".

`test_readme_commands.py` only parses these; `test_readme_runs.py` runs the quick
ones. Here every line of the three blocks is run as written, in a fresh directory
laid out like a checkout, except the lines that take hours: each of those has its
short form beside it in the README (the same command plus the product's own
budget flags, `--smoke` for `optsearch run`, `--tasks` for `baselines`), and the
short form is what runs. The scripts of "Re-deriving Lion" are left out, each
with its reason (`NOT_RUN`). Placeholders (RUN_DIR, my_optimizer.py) are filled
as a reader would fill them.

The Ray block runs against real Ray: `scripts/local_cluster.py` starts its own
two-node cluster, and the `--address auto` and `ray job submit` lines join a
`ray start --head` this module starts on free ports and stops after. Every
command runs in a session of its own, and a command or cluster that leaves a
process of that session behind (a Ray server, agent or worker) fails its test.
Every test is slow: 16 minutes in all on a 2-core machine shared with other jobs
(the three lion.yaml smoke runs, embedded, `--address auto` and as a job, are
10 of them).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from proxy_tasks.baselines import BASELINE_PROGRAMS
from tests.test_readme_runs import _block_after, _commands

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LION = _commands(_block_after("## Re-deriving Lion"))
TASKS = _commands(_block_after("## Tasks and baselines"))
RAY = _commands(_block_after("## Running on Ray"))

#: Lines that take hours -> their short form, which the README shows beside them.
LONG = {
    "optsearch run configs/lion.yaml": "optsearch run configs/lion.yaml --smoke",
    "optsearch baselines": "optsearch baselines --tasks teacher-noisy --out my_table.md",
    "optsearch run configs/lion.yaml --address auto":
        "optsearch run configs/lion.yaml --smoke --address auto",
    "ray job submit --working-dir . -- python -m optsearch run configs/lion.yaml --address auto":
        "ray job submit --working-dir . -- python -m optsearch run configs/lion.yaml --smoke "
        "--address auto",
}
#: Lines no test here runs, and why.
NOT_RUN = {
    "python scripts/lion_golden.py configs/lion.yaml --seeds 0,1,2,3,4 --parallel 2":
        "five seeds of the whole lion.yaml pipeline: hours",
    "python scripts/lion_reachability.py configs/lion.yaml --walks 100000 --steps 4":
        "a measurement script, not part of the pipeline",
    "python scripts/tuning_cost.py configs/lion.yaml":
        "a measurement script, not part of the pipeline",
    "python scripts/tune_constants.py --tasks chars-mlp adamw lion rmsprop signsgd":
        "a measurement script (minutes per program), not part of the pipeline",
}
#: Placeholders, filled as a reader fills them (RUN_DIR: the lion smoke run).
PLACEHOLDERS = {"my_optimizer.py": "configs/programs/lion.py"}

#: Ray servers, agents and workers have this long to exit after their command.
GRACE_S = 60


# -- running a command as a user does, and what it leaves behind --------------------


@dataclass
class Ran:
    command: str
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"`{self.command}` exited {self.returncode}:\n{self.stderr[-3000:]}"


def _env(**extra: str) -> dict:
    """The environment of a shell with the virtualenv active and no Ray address set."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", RAY_USAGE_STATS_ENABLED="0", **extra)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for name in ("RAY_ADDRESS", "RAY_API_SERVER_ADDRESS"):
        env.pop(name, None)
    return env


def _session(sid: int) -> list[int]:
    """The live processes of session `sid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"


def _left_behind(sid: int) -> list[str]:
    """Wait up to GRACE_S for session `sid` to empty; end and name what stays."""
    deadline = time.monotonic() + GRACE_S
    while (pids := _session(sid)) and time.monotonic() < deadline:
        time.sleep(1)
    named = [f"{pid} {_cmdline(pid)[:150]}" for pid in pids]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return named


def run(command: str, cwd: Path, env: dict, timeout: float, fill=None) -> Ran:
    """`command` (one README line) in its own session; fails if it leaves processes."""
    words = shlex.split(command)
    for placeholder, value in (fill or {}).items():  # also inside a word (found=RUN_DIR/...)
        words = [re.sub(rf"\b{re.escape(placeholder)}\b", value, w) for w in words]
    redirect = words.index(">") if ">" in words else None
    argv = words[:redirect] if redirect else words
    # Output to files, not pipes (a straggler holding a pipe cannot hang the test),
    # beside the checkout, not in it (`ray job submit --working-dir .` uploads it).
    out, err = cwd.parent / f"{cwd.name}.stdout", cwd.parent / f"{cwd.name}.stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=stdout, stderr=stderr,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            _left_behind(proc.pid)
            pytest.fail(f"`{command}` ran longer than {timeout} s")
    ran = Ran(command, proc.returncode, out.read_text(), err.read_text())
    if redirect:
        (cwd / words[redirect + 1]).write_text(ran.stdout)
    stayed = _left_behind(proc.pid)
    assert not stayed, f"`{command}` left processes behind: {stayed}"
    return ran


def _checkout(home: Path) -> Path:
    """`home` laid out like a checkout. docs/ is a copy: `optsearch baselines`
    writes there by default, and the repository's table must stay as it is."""
    for name in ("configs", "scripts"):
        (home / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "docs", home / "docs")
    return home


def _run_dir(ran: Ran) -> str:
    found = re.search(r"^run directory: (\S+)$", ran.stdout, re.M)
    assert found, f"`{ran.command}` named no run directory:\n{ran.stdout}"
    return found.group(1)


def _assert_pipeline_finished(ran: Ran) -> None:
    """What `optsearch run --smoke` prints: the search's budget, a final program, a verdict."""
    assert ran.returncode == 0, ran
    assert re.search(r"^finished: 60 candidates", ran.stdout, re.M), ran.stdout
    assert re.search(r"^final program \(candidate \d+", ran.stdout, re.M), ran.stdout
    assert re.search(r"^verdict: ", ran.stdout, re.M), ran.stdout


# -- the README's lists are complete --------------------------------------------------


def test_every_long_line_has_its_short_form_beside_it_in_the_readme():
    for full, short in LONG.items():
        block = next(b for b in (LION, TASKS, RAY) if full in b)
        assert short in block, f"the README shows `{full}` without `{short}`"
    # Every line of the three blocks is run here, long, or not run for a reason.
    known = set(LONG) | set(NOT_RUN) | set(LION_RUN) | set(TASKS_RUN) | set(RAY_RUN)
    unknown = [c for c in LION + TASKS + RAY if c not in known]
    assert not unknown, f"README lines no test here knows: {unknown}"


# -- Re-deriving Lion ------------------------------------------------------------------

LION_RUN = [c for c in LION if c not in LONG and c not in NOT_RUN]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return _checkout(tmp_path_factory.mktemp("readme-long"))


@pytest.fixture(scope="module")
def lion_run(checkout):
    """The lion block's `optsearch run configs/lion.yaml --smoke`, as written."""
    command = LONG["optsearch run configs/lion.yaml"]
    assert command in LION_RUN
    ran = run(command, checkout, _env(), timeout=900)
    _assert_pipeline_finished(ran)
    run_dir = _run_dir(ran)
    assert run_dir.startswith("runs/lion-smoke-"), run_dir
    return run_dir, ran


def test_the_lion_smoke_run_runs_the_whole_pipeline(checkout, lion_run):
    run_dir, ran = lion_run
    report = checkout / run_dir / "report"
    for name in ("best.py", "final.py", "final.json", "fitness.png", "metaval.png"):
        assert (report / name).is_file(), name
    final = json.loads((report / "final.json").read_text())
    assert final["final_program"].startswith("def train(")
    assert [s["name"] for s in final["funnel"]["stages"]] == ["metaval-10x", "metaval-100x"]
    assert isinstance(final["lion_family"], bool)
    assert "funnel stage 2/2 metaval-100x" in ran.stdout


@pytest.mark.parametrize(
    "command", [c for c in LION_RUN if c != LONG["optsearch run configs/lion.yaml"]],
    ids=lambda c: c[:50],
)
def test_every_other_lion_command_runs_with_its_placeholders_filled(
    checkout, lion_run, command
):
    run_dir = lion_run[0]
    final_json = checkout / run_dir / "report" / "final.json"
    before = final_json.stat().st_mtime_ns
    ran = run(command, checkout, _env(), timeout=600, fill={**PLACEHOLDERS, "RUN_DIR": run_dir})
    assert ran.returncode == 0, ran
    verb, target = shlex.split(command)[1:3]
    if verb == "run":  # another config's smoke run: the whole pipeline, its own run
        _assert_pipeline_finished(ran)
        assert _run_dir(ran) != run_dir
    elif verb == "funnel":  # reruns the funnel: its stages, a verdict, the report again
        assert "funnel stage metaval-100x:" in ran.stdout, ran.stdout
        assert re.search(r"^verdict: ", ran.stdout, re.M), ran.stdout
        assert final_json.stat().st_mtime_ns > before
    elif verb == "show" and target == "RUN_DIR":
        shown = json.loads(ran.stdout)
        assert shown["generated"] == 60
        assert shown["final_program"].startswith("def train(")
        assert isinstance(shown["lion_family"], bool)
    elif verb == "show":
        lion = json.loads(ran.stdout)["lion"]
        assert lion["lion_family"] is True and (lion["b1"], lion["b2"]) == (0.9, 0.99)
        assert {"weight_decay", "lr_scale"} <= set(lion)
    else:  # simplify program4 --ablate: the ablation's table and the program left
        assert "ablation on heavy-tail-regression" in ran.stdout, ran.stdout
        assert "sign(" in ran.stdout, ran.stdout


# -- Tasks and baselines ---------------------------------------------------------------

TASKS_RUN = [c for c in TASKS if c not in LONG and c not in NOT_RUN]


@pytest.mark.parametrize("command", TASKS_RUN, ids=lambda c: c[:50])
def test_every_tasks_and_baselines_command_runs(checkout, lion_run, command):
    shipped = (ROOT / "docs" / "baselines.md").read_text()
    ran = run(command, checkout, _env(), timeout=600, fill={"RUN_DIR": lion_run[0]})
    assert ran.returncode == 0, ran
    words = shlex.split(command)
    if words[1] == "tasks":
        assert re.search(r"^teacher-noisy\s+proxy", ran.stdout, re.M), ran.stdout
    elif words[1] == "eval":
        assert re.search(r"^task +teacher-noisy \(proxy, 4 seeds\)$", ran.stdout, re.M), ran.stdout
        assert re.search(r"^status +ok", ran.stdout, re.M), ran.stdout
        assert re.search(r"^fitness +\d", ran.stdout, re.M), ran.stdout
    else:  # baselines: a table with the task's row, the programs asked for, a chart
        assert "wrote my_table.md, my_table.json and my_table.png" in ran.stdout, ran.stdout
        table = (checkout / "my_table.md").read_text()
        assert "| teacher-noisy | proxy |" in table
        programs = (words[words.index("--programs") + 1].split(",")
                    if "--programs" in words else BASELINE_PROGRAMS)
        header = next(line for line in table.splitlines() if line.startswith("| task |"))
        for program in programs:
            assert f" {program.split('=')[0]} |" in header, (program, header)
        assert (checkout / "my_table.png").stat().st_size > 0
        assert (ROOT / "docs" / "baselines.md").read_text() == shipped


# -- Running on Ray --------------------------------------------------------------------

RAY_RUN = [c for c in RAY if c not in LONG and c not in NOT_RUN]
RAY_EXPORTS = dict(
    shlex.split(c)[1].split("=", 1) for c in RAY_RUN if c.startswith("export ")
)
ADDRESS_FILE = Path("/tmp/ray/ray_current_cluster")  # where `ray start` records itself


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_checkout(tmp_path_factory):
    """A checkout of its own: `ray job submit --working-dir .` uploads all of it."""
    return _checkout(tmp_path_factory.mktemp("readme-ray"))


def test_the_ray_block_exports_the_token_mode():
    assert RAY_EXPORTS == {"RAY_AUTH_MODE": "token"}


def test_the_local_cluster_line_runs_a_two_node_search(ray_checkout):
    command = next(c for c in RAY_RUN if c.startswith("python scripts/local_cluster.py"))
    assert command == "python scripts/local_cluster.py configs/quickstart.yaml"
    ran = run(command, ray_checkout, _env(**RAY_EXPORTS), timeout=900)
    assert ran.returncode == 0, ran
    assert re.search(r"^finished: 1500 candidates", ran.stdout, re.M), ran.stdout
    shown = run(f"optsearch show {_run_dir(ran)} --json", ray_checkout, _env(), timeout=120)
    assert shown.returncode == 0, shown
    assert json.loads(shown.stdout)["nodes"] == 2


@pytest.fixture(scope="module")
def ray_head(ray_checkout):
    """`ray start --head` as the README's job check started it, on free loopback
    ports; stopped after, and nothing of its session may outlive it."""
    saved = ADDRESS_FILE.read_text() if ADDRESS_FILE.exists() else None
    port = _free_port()
    log = (ray_checkout.parent / "ray-head.log").open("w")
    head = subprocess.Popen(
        ["ray", "start", "--head", "--include-dashboard=true", "--dashboard-host=127.0.0.1",
         "--block", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
         f"--dashboard-port={_free_port()}", f"--ray-client-server-port={_free_port()}",
         f"--dashboard-agent-listen-port={_free_port()}", "--disable-usage-stats"],
        cwd=ray_checkout, env=_env(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not (ADDRESS_FILE.exists() and ADDRESS_FILE.read_text().endswith(f":{port}")):
            assert head.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "ray start did not come up in 240 s"
            time.sleep(0.5)
        logged = Path(log.name).read_text()
        while "--block" not in logged and time.monotonic() < deadline:  # up: it now blocks
            time.sleep(0.5)
            logged = Path(log.name).read_text()
        session = re.search(r"(/tmp/ray/session_[^/\s]+)/logs", logged)
        yield ADDRESS_FILE.read_text().strip(), Path(session.group(1)) if session else None
    finally:
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops its servers on SIGTERM
        try:
            head.wait(timeout=90)
        except subprocess.TimeoutExpired:
            head.kill()
        stayed = _left_behind(head.pid)
        log.close()
        if saved is None:
            ADDRESS_FILE.unlink(missing_ok=True)
        else:
            ADDRESS_FILE.write_text(saved)
        assert not stayed, f"the Ray head left processes behind: {stayed}"


def _head_node_id(cwd: Path) -> str:
    probe = ("import ray; ray.init(address='auto', log_to_driver=False); "
             "print(ray.get_runtime_context().get_node_id())")
    ran = run(f"python -c {shlex.quote(probe)}", cwd, _env(**RAY_EXPORTS), timeout=120)
    assert ran.returncode == 0, ran
    return ran.stdout.split()[-1]


def test_the_address_auto_line_joins_the_running_cluster(ray_checkout, ray_head):
    command = LONG["optsearch run configs/lion.yaml --address auto"]
    ran = run(command, ray_checkout, _env(**RAY_EXPORTS), timeout=900)
    _assert_pipeline_finished(ran)
    run_dir = ray_checkout / _run_dir(ran)
    assert (run_dir / "report" / "final.json").is_file()
    # Every evaluation ran on the head started above, not on a Ray of its own.
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        nodes = {n for (n,) in db.execute(
            "SELECT DISTINCT node FROM candidates WHERE node IS NOT NULL AND node != ''")}
    assert nodes == {_head_node_id(ray_checkout)}, nodes


def test_the_job_submit_line_runs_the_search_as_a_ray_job(ray_checkout, ray_head):
    session = ray_head[1]
    command = LONG[next(c for c in LONG if c.startswith("ray job submit"))]
    ran = run(command, ray_checkout, _env(**RAY_EXPORTS), timeout=900)
    assert ran.returncode == 0, ran
    logs = ran.stdout + ran.stderr  # the job's own output, streamed back
    assert re.search(r"Job 'raysubmit_\w+' succeeded", logs), logs[-3000:]
    assert re.search(r"^finished: 60 candidates", logs, re.M), logs[-3000:]
    assert re.search(r"^verdict: ", logs, re.M), logs[-3000:]
    # The run is written in the job's copy of the working directory, on the head.
    assert session is not None, "no session directory in the head's log"
    run_dir = re.search(r"^run directory: (\S+)$", logs, re.M).group(1)
    copies = f"{session}/runtime_resources/working_dir_files/*"
    written = glob.glob(f"{copies}/{run_dir}/report/final.json")
    assert written, f"no {run_dir}/report/final.json under {session}"
