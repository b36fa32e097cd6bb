"""Scoring candidates on Ray worker actors: the one module that imports `ray`.

Owns the distributed evaluator. It honours the same contract as
`search.evaluators.SerialEvaluator` (capacity / submit / collect / close) and gives
the same results for the same candidates, so the search loop is unchanged:

- a pool of `ScoringWorker` actors, each of which builds and compiles its scorer
  once and then scores programs sent to it as *text*, parsed by the DSL parser
  (nothing is ever `eval`ed);
- a candidate may carry its own `ScorerSpec` (funnel stages score on larger
  tasks through the same workers); a worker builds one scorer per spec, once;
- `pipeline_depth` candidates in flight per worker (the next call waits in the
  actor's queue, so no worker idles through a driver round trip); results are
  integrated as they arrive (asynchronous steady state, no barrier);
- each worker pins its JAX/XLA thread pool to its CPU share, so N workers on N
  cores do not fight;
- a worker that dies (process killed, node lost) is replaced and its candidate
  re-sent; a candidate that has killed `max_worker_deaths` workers is reported
  as failed ("worker_lost") instead of looping forever;
- with no address our own local Ray is started (never a cluster that `ray start`
  left running, nor one a stale address file names), sized to the machine, with
  no dashboard, bound to 127.0.0.1, and shut down at close; with an address
  ("auto", "HOST:PORT", or RAY_ADDRESS) an existing cluster is joined, and a
  cluster that does not answer within `connect_timeout_s` is one line
  ("no Ray cluster at ADDRESS"), before Ray is asked to connect (Ray itself
  retries for minutes, printing reconnect lines);
- Ray's start-up notices that are expected and harmless are silenced: the token
  authentication notice (token auth stays on) and the JAX warning
  that `os.fork()` was called (Ray forks only to exec its own servers).
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import socket
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import ray
from ray.exceptions import RayActorError

from search.config import EvaluatorConfig
from search.errors import UserError
from search.records import WORST_FITNESS, Candidate, Result
from search.scoring import ScorerSpec


def _single_node_on_loopback() -> tuple[str | None, bool]:
    """Make the next `ray.init` start a single-node instance bound to 127.0.0.1.

    Ray takes the loopback address as the node IP when multi-node clusters are
    disabled (its own default on macOS and Windows), so GCS, raylet and agents
    then listen on loopback only. Child processes read the variable; this process
    read it when `ray` was imported, so its cached copy is updated too.
    """
    from ray._private import ray_constants

    previous = (os.environ.get(_CLUSTER_ENV), ray_constants.ENABLE_RAY_CLUSTER)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ[_CLUSTER_ENV] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False
    return previous


def _restore_cluster_mode(previous: tuple[str | None, bool]) -> None:
    from ray._private import ray_constants

    env, flag = previous
    if env is None:
        os.environ.pop(_CLUSTER_ENV, None)
    else:
        os.environ[_CLUSTER_ENV] = env
    ray_constants.ENABLE_RAY_CLUSTER = flag


_CLUSTER_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

#: How long joining a cluster may take before it is reported missing.
DEFAULT_CONNECT_TIMEOUT_S = 15.0


class NoCluster(UserError):
    """No Ray cluster answers at the address the user gave."""


def cluster_address(address: str) -> str:
    """The HOST:PORT `ray.init(address=...)` would dial for `address`.

    Raises:
        NoCluster: "auto" finds no cluster, or the address is malformed.
    """
    from ray._private import services

    try:
        resolved = services.canonicalize_bootstrap_address(address)
    except (ConnectionError, ValueError) as exc:
        raise NoCluster(f"no Ray cluster at {address} ({exc_line(exc)})") from None
    if resolved is None:
        raise NoCluster(f"no Ray cluster at {address}")
    return resolved


def wait_for_cluster(address: str, timeout_s: float) -> str:
    """Check that something listens at `address` within `timeout_s`, before Ray dials.

    Returns:
        the HOST:PORT that answered.

    Raises:
        NoCluster: nothing accepted a connection in time (one line, no Ray output).
    """
    target = cluster_address(address)
    host, _, port = target.rpartition(":")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(
                (host.strip("[]"), int(port)), timeout=max(0.1, min(2.0, timeout_s))
            ):
                return target
        except (OSError, ValueError) as exc:
            if time.monotonic() >= deadline:
                shown = address if target == address else f"{address} ({target})"
                raise NoCluster(
                    f"no Ray cluster at {shown}: {exc_line(exc)} "
                    f"(waited {timeout_s:g} s; see --connect-timeout)"
                ) from None
        time.sleep(0.5)


def exc_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


class _Quiet(logging.Filter):
    """Drops Ray's notices that ask nothing of the user: a new local cluster uses
    token auth (it does; we keep it), and `ray.init` off the main thread sets no
    SIGTERM handler (the search loop sets its own)."""

    EXPECTED = ("Token authentication is enabled for", "SIGTERM handler is not set")

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.EXPECTED)


@contextmanager
def _quiet_start():
    """Around `ray.init`: drop the expected, harmless notices, keep every other.

    JAX warns "os.fork() was called" on every fork; Ray forks only to exec its own
    servers, so no JAX state is used in the child.
    """
    loggers = [
        logging.getLogger("ray._private.authentication.authentication_token_setup"),
        logging.getLogger("ray._private.worker"),
    ]
    quiet = _Quiet()
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning
            )
            yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def join_cluster(address: str, timeout_s: float) -> None:
    """`ray.init` on the cluster at `address`, or one line within `timeout_s`.

    Nothing listening is found by `wait_for_cluster` before Ray dials. Something
    listening that never answers as Ray (another server on the port) would keep
    `ray.init` retrying for minutes, so it runs in a thread we stop waiting for,
    with Ray's reconnect lines (written by its C++ core straight to file
    descriptor 2) sent to /dev/null meanwhile.

    Raises:
        NoCluster: no Ray cluster answered in time.
    """
    started = time.monotonic()
    target = wait_for_cluster(address, timeout_s)
    done = threading.Event()
    failure: list[BaseException] = []

    def connect() -> None:
        try:
            ray.init(address=target, log_to_driver=False, configure_logging=False)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            failure.append(exc)
        finally:
            done.set()

    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    answered = False
    try:
        threading.Thread(target=connect, name="ray-connect", daemon=True).start()
        answered = done.wait(max(0.1, timeout_s - (time.monotonic() - started)))
    finally:
        if answered:
            os.dup2(saved, 2)
            os.close(saved)
        else:
            # The abandoned connect keeps retrying until the process exits (now,
            # with our one line): its lines stay on /dev/null, ours go to the
            # real stderr.
            sys.stderr.flush()
            sys.stderr = os.fdopen(saved, "w", buffering=1)
            # Ray's exit hook would wait for the abandoned connect to give up.
            atexit.unregister(ray.shutdown)
        os.close(devnull)
    if not answered:
        # A `ray start` head of Ray 2.60 turns token authentication on, and a
        # client without it hangs instead of being refused: say so.
        hint = (
            "" if os.environ.get("RAY_AUTH_MODE")
            else "; a `ray start` cluster needs RAY_AUTH_MODE=token in this shell"
        )
        raise NoCluster(
            f"no Ray cluster at {address}: {target} accepts connections but did not "
            f"answer as Ray within {timeout_s:g} s (see --connect-timeout{hint})"
        )
    if failure:
        raise failure[0]


def _thread_env(cpus: float) -> dict[str, str]:
    threads = str(max(1, int(math.floor(cpus))))
    return {
        # One XLA compute thread per CPU the worker was given; no eigen pool fan-out.
        "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={threads}",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
    }


@ray.remote
class ScoringWorker:
    """A Ray actor that compiles a scorer once and scores programs sent as text.

    It also keeps time: seconds parsing and scoring since the last `stats()`, so
    the overhead benchmark can split a candidate's cost on Ray into the worker's
    own work and everything around the call.
    """

    def __init__(self, spec: ScorerSpec, name: str):
        from search.scoring import build_scorer

        self.name = name
        self.node = ray.get_runtime_context().get_node_id()
        self.spec = spec
        self.scorers = {spec: build_scorer(spec)}
        self._times = {"calls": 0, "parse_s": 0.0, "score_s": 0.0}

    def score(self, text: str, spec: ScorerSpec | None = None) -> Result:
        from dsl.parser import parse
        from search.scoring import build_scorer, score

        spec = spec or self.spec
        if spec not in self.scorers:
            self.scorers[spec] = build_scorer(spec)
        started = time.perf_counter()
        program = parse(text)
        parsed = time.perf_counter()
        result = score(self.scorers[spec], program, worker=self.name, node=self.node)
        times = self._times
        times["calls"] += 1
        times["parse_s"] += parsed - started
        times["score_s"] += time.perf_counter() - parsed
        return result

    def stats(self) -> dict:
        """Calls, parse and score seconds since the last call (then reset)."""
        times, self._times = self._times, {"calls": 0, "parse_s": 0.0, "score_s": 0.0}
        return times

    def pid(self) -> int:
        return os.getpid()


@dataclass(eq=False)  # slots are compared by identity
class _Slot:
    worker: object
    name: str
    in_flight: int = 0


class RayEvaluator:
    """The evaluator contract over a pool of Ray actors."""

    def __init__(
        self,
        spec: ScorerSpec,
        config: EvaluatorConfig,
        address: str | None = None,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    ):
        self.spec = spec
        self.config = config
        self.started_ray = False
        address = address or os.environ.get("RAY_ADDRESS") or None
        if not ray.is_initialized():
            with _quiet_start():
                if address:
                    join_cluster(address, connect_timeout_s)
                else:
                    self._cluster_mode = _single_node_on_loopback()
                    ray.init(
                        address="local",  # ours, never a running or stale cluster
                        num_cpus=os.cpu_count(),
                        include_dashboard=False,
                        log_to_driver=False,
                        configure_logging=False,
                    )
                    self.started_ray = True
        # Each actor gets `pipeline_depth` calls queued, so it starts the next
        # candidate as soon as one finishes instead of idling through the round
        # trip to the driver (a few ms per call, a visible share of a proxy run).
        self.depth = config.pipeline_depth
        self.capacity = config.workers * self.depth
        self._spawned = 0
        self.slots = [self._spawn() for _ in range(config.workers)]
        self.in_flight: dict[object, tuple[Candidate, ScorerSpec | None, _Slot]] = {}
        self.deaths: dict[tuple[int, ScorerSpec | None], int] = {}
        self.queue: list[tuple[Candidate, ScorerSpec | None]] = []

    def _spawn(self) -> _Slot:
        name = f"worker-{self._spawned}"
        self._spawned += 1
        worker = ScoringWorker.options(
            num_cpus=self.config.cpus_per_worker,
            runtime_env={"env_vars": _thread_env(self.config.cpus_per_worker)},
        ).remote(self.spec, name)
        return _Slot(worker, name)

    def submit(self, candidate: Candidate, spec: ScorerSpec | None = None) -> None:
        self.queue.append((candidate, spec))
        self._dispatch()

    def _dispatch(self) -> None:
        # Fill the least-loaded slots first, one call at a time.
        while self.queue:
            slot = min(self.slots, key=lambda s: s.in_flight)
            if slot.in_flight >= self.depth:
                return
            candidate, spec = self.queue.pop(0)
            slot.in_flight += 1
            ref = slot.worker.score.remote(candidate.text, spec)
            self.in_flight[ref] = (candidate, spec, slot)

    def collect(self) -> list[tuple[Candidate, Result]]:
        """Block until at least one result is ready; return all that are."""
        results: list[tuple[Candidate, Result]] = []
        while not results and (self.in_flight or self.queue):
            self._dispatch()
            refs = list(self.in_flight)
            # Block for one result, then take whatever else is already done.
            ready, rest = ray.wait(refs, num_returns=1)
            if rest:
                ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            for ref in ready:
                candidate, spec, slot = self.in_flight.pop(ref)
                try:
                    result = ray.get(ref)
                except RayActorError as exc:
                    outcome = self._worker_died(candidate, spec, slot, exc)
                    if outcome is not None:
                        results.append((candidate, outcome))
                    continue
                slot.in_flight -= 1
                results.append((candidate, result))
            self._dispatch()
        return results

    def _worker_died(
        self, candidate: Candidate, spec: ScorerSpec | None, slot: _Slot, exc: Exception
    ) -> Result | None:
        # Replace the worker (once, though several of its calls fail); re-send the
        # candidate unless it has been in flight on too many dying workers.
        if slot in self.slots:
            self.slots[self.slots.index(slot)] = self._spawn()
        deaths = self.deaths.get((candidate.id, spec), 0) + 1
        self.deaths[(candidate.id, spec)] = deaths
        if deaths >= self.config.max_worker_deaths:
            return Result(
                "worker_lost",
                WORST_FITNESS,
                {},
                0.0,
                f"the candidate's evaluation ended {deaths} workers ({type(exc).__name__})",
                worker=slot.name,
            )
        self.queue.insert(0, (candidate, spec))
        return None

    def worker_stats(self) -> list[dict]:
        """Each live worker's `ScoringWorker.stats()` (calls and seconds, then reset)."""
        return ray.get([s.worker.stats.remote() for s in self.slots])

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for fault-injection tests)."""
        return ray.get([s.worker.pid.remote() for s in self.slots])

    def close(self) -> None:
        for slot in self.slots:
            try:
                ray.kill(slot.worker)
            except Exception:  # already gone; nothing to release
                pass
        self.slots = []
        if self.started_ray:
            ray.shutdown()
            _restore_cluster_mode(self._cluster_mode)
            self.started_ray = False

