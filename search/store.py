"""The run store: a run is a directory; every candidate is a row in SQLite.

Owns what a run leaves on disk and its durability:
- `config.yaml`: the resolved config the run was started with (resume reads it);
- `candidates.sqlite`: one row per generated candidate (valid or not) with its
  lineage, program text, hash, fingerprint, validity, result, cache hit, wall
  time, worker and node, and `told_seq`, the order in which results entered the
  population; plus an `events` table (restarts and later stages);
- `checkpoint.json`: the search state (population, RNG, counters, cache), written
  atomically (write a temporary file, then `os.replace`), stamped with the run id
  the database also holds (`meta` table), so a checkpoint from another run is
  recognised (`search.recovery` decides whether a checkpoint is trusted).

A database SQLite cannot read is a `DamagedRun` and a full disk is `DiskFull`:
both are one line for the user, never a traceback.

Rows are committed as results arrive (SQLite in WAL mode: a killed process loses
no committed row and never leaves a half-written one). A checkpoint may lag the
rows; resume replays the rows told after it, so nothing recorded is lost or
evaluated twice.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import yaml

from proxy_tasks.floats import WORST_FITNESS, from_nullable, nullable
from search.errors import UserError
from search.records import TUNED_CONSTANTS, Candidate, Result, tuned_program

_SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER,
    mutation TEXT NOT NULL,
    program TEXT NOT NULL,
    hash TEXT,
    fingerprint TEXT,
    valid INTEGER NOT NULL,
    reason TEXT,
    status TEXT,
    fitness REAL,
    metrics TEXT,
    cache_hit INTEGER,
    seconds REAL,
    worker TEXT,
    node TEXT,
    num_statements INTEGER,
    num_live INTEGER,
    attempts INTEGER,
    told_seq INTEGER UNIQUE,
    generated_at_tell INTEGER,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS candidates_fitness ON candidates (fitness);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    at_told INTEGER,
    detail TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stage_evaluations (
    stage TEXT NOT NULL,
    stage_index INTEGER NOT NULL,
    candidate_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    program TEXT NOT NULL,
    tasks TEXT NOT NULL,
    seeds INTEGER NOT NULL,
    status TEXT NOT NULL,
    fitness REAL,
    metrics TEXT,
    seconds REAL,
    worker TEXT,
    node TEXT,
    message TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (stage, candidate_id)
);
"""

#: Each table's column list as `_SCHEMA` creates it (a read-only open stands in
#: an empty TEMP table for one an older run lacks).
_TABLES = {
    m.group(1): m.group(2)
    for m in re.finditer(r"CREATE TABLE IF NOT EXISTS (\w+) (\(.*?\n\));", _SCHEMA, re.S)
}

CONFIG_FILE = "config.yaml"
DB_FILE = "candidates.sqlite"
CHECKPOINT_FILE = "checkpoint.json"
REPORT_DIR = "report"


@dataclass(frozen=True)
class StoredRow:
    """A told candidate as stored (what replay and inspection read back)."""

    id: int
    parent_id: int | None
    mutation: str
    text: str
    status: str
    fitness: float
    metrics: dict[str, Any]
    cache_hit: bool
    seconds: float
    worker: str
    node: str
    told_seq: int
    generated_at_tell: int
    message: str

    def result(self) -> Result:
        """The result as it was told."""
        return Result(
            self.status, self.fitness, self.metrics, self.seconds, self.message,
            self.cache_hit, self.worker, self.node,
        )


class DamagedRun(UserError):
    """A run directory whose files cannot be read back as a run."""


class DiskFull(UserError):
    """The disk filled up while the run was writing; what was committed is kept."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's or the OS's way of saying the disk is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc)


@contextmanager
def disk_full_as_user_error(run_dir: Path) -> Iterator[None]:
    """Turn a full disk inside the block into one line saying how to go on."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFull(
            f"{run_dir}: the disk is full ({exc}); everything committed is kept: "
            f"free some space and resume with --resume {run_dir}"
        ) from None


class RunStore:
    """One run directory: its database, checkpoint and report folder.

    `read_only` opens the database for reading alone (the inspection commands):
    nothing in the directory is created or changed, so an archived run, a run on
    a read-only disk and a run being written by a live search can all be read.
    """

    def __init__(self, run_dir: str | Path, read_only: bool = False):
        self.dir = Path(run_dir)
        self.read_only = read_only
        if read_only:
            self.db = _open_read_only(self.dir / DB_FILE)
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        report = self.dir / REPORT_DIR
        if report.is_symlink() or (report.exists() and not report.is_dir()):
            # Never replaced, never followed (a link would put the report's files
            # wherever it points): it is the user's, whatever put it there.
            raise DamagedRun(
                f"{report}: is a file or a link, not the run's report folder; move "
                "it away and run again"
            )
        report.mkdir(exist_ok=True)
        self.db = sqlite3.connect(self.dir / DB_FILE, timeout=30)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process (not a power cut) at far
            # lower cost per commit than FULL; a lost row is replayed from checkpoint.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if is_disk_full(exc):
                raise
            raise DamagedRun(
                f"{self.dir / DB_FILE}: not a readable run database ({exc})"
            ) from None

    @property
    def run_id(self) -> str:
        """This run's id, made when first asked (a checkpoint carries it too)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'run_id'").fetchone()
        if row is not None or self.read_only:
            return row[0] if row is not None else ""
        self.db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('run_id', ?)", (uuid.uuid4().hex,)
        )
        self.db.commit()
        return self.run_id

    # -- config and checkpoint ----------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.dir / CONFIG_FILE

    @property
    def report_dir(self) -> Path:
        return self.dir / REPORT_DIR

    def write_config(self, config_dict: dict[str, Any]) -> None:
        atomic_write_text(self.config_path, yaml.safe_dump(config_dict, sort_keys=False))

    def record_config(self, config_dict: dict[str, Any]) -> None:
        """Record the config a session runs with, from the rows told so far on, in
        the database, where an edit of `config.yaml` does not reach it (a resume
        is checked against it, and a replay tells each row under its session's
        config: `search.resume_config`)."""
        self.record_event("config", self.last_told(), config_dict)

    def session_configs(self) -> list[tuple[int, dict[str, Any]]]:
        """(rows told before the session began, its config) of every recorded
        session, oldest first."""
        rows = self.db.execute(
            "SELECT at_told, detail FROM events WHERE kind = 'config' ORDER BY seq"
        ).fetchall()
        sessions = []
        for at, detail in rows:
            try:
                config = json.loads(detail or "")
            except (ValueError, RecursionError):  # an edited record is no record
                continue
            if isinstance(at, int) and isinstance(config, dict):
                sessions.append((at, config))
        return sessions

    def recorded_config(self) -> dict[str, Any] | None:
        """The config the run last ran with, or None if none was recorded (a run
        from before configs were recorded)."""
        sessions = self.session_configs()
        return sessions[-1][1] if sessions else None

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Write the search state atomically (a reader sees the old or the new one),
        stamped with this run's id."""
        atomic_write_text(
            self.dir / CHECKPOINT_FILE, json.dumps({**state, "run_id": self.run_id})
        )

    def load_checkpoint(self, max_bytes: int | None = None) -> dict[str, Any] | None:
        """The checkpoint as written, or None if there is none.

        Args:
            max_bytes: refuse a larger file before reading it (a checkpoint's size
                is bounded by its run's config: `search.checkpoint_shape`).

        Raises:
            ValueError: the file is larger than `max_bytes`, cannot be read, is
                nested too deeply to parse, or is not a JSON object (truncated,
                garbage, empty).
        """
        path = self.dir / CHECKPOINT_FILE
        if not path.exists():
            return None
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                raise ValueError(
                    f"{size} bytes, more than a checkpoint of this run takes "
                    f"(at most {max_bytes})"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read it: {exc.strerror or exc}") from None
        try:
            state = json.loads(data)
        except RecursionError:
            raise ValueError("nested too deeply to be a checkpoint") from None
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
        return state

    def told_summary(self, told_seq: int) -> dict[str, Any]:
        """What the rows told up to `told_seq` add up to (a checkpoint must agree).

        Keys: told, cache_hits, failed (rows with told_seq 1..told_seq), and best:
        (id, fitness) of the first-told row of the highest ok fitness, or None.
        """
        told, hits, failed = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(cache_hit), 0),"
            " COALESCE(SUM(status != 'ok'), 0) FROM candidates"
            " WHERE told_seq BETWEEN 1 AND ?",
            (told_seq,),
        ).fetchone()
        best = self.db.execute(
            "SELECT id, fitness FROM candidates WHERE told_seq BETWEEN 1 AND ?"
            " AND status = 'ok' AND fitness IS NOT NULL"
            " ORDER BY fitness DESC, told_seq ASC LIMIT 1",
            (told_seq,),
        ).fetchone()
        return {"told": told, "cache_hits": hits, "failed": failed, "best": best}

    def last_told(self) -> int:
        """The highest `told_seq` recorded (0 for none)."""
        return self.db.execute("SELECT COALESCE(MAX(told_seq), 0) FROM candidates").fetchone()[0]

    # -- rows -----------------------------------------------------------------

    def record_invalid(self, child) -> None:
        """Record a child that failed abstract execution (committed with the next tell)."""
        self.db.execute(
            "INSERT OR IGNORE INTO candidates (id, parent_id, mutation, program, valid, reason,"
            " status, created_at) VALUES (?, ?, ?, ?, 0, ?, 'invalid', ?)",
            (child.id, child.parent_id, child.mutation, child.program.to_text(), child.reason,
             time.time()),
        )

    def record_told(
        self, candidate: Candidate, result: Result, told_seq: int, generated: int
    ) -> None:
        """Record a candidate with its result and commit (idempotent on replay)."""
        self.db.execute(
            "INSERT OR IGNORE INTO candidates (id, parent_id, mutation, program, hash,"
            " fingerprint, valid, reason, status, fitness, metrics, cache_hit, seconds, worker,"
            " node, num_statements, num_live, attempts, told_seq, generated_at_tell, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                candidate.id, candidate.parent_id, candidate.mutation, candidate.text,
                candidate.hash, candidate.fingerprint, result.message or None, result.status,
                nullable(result.fitness), json.dumps(result.metrics), int(result.cache_hit),
                result.seconds, result.worker, result.node, candidate.num_statements,
                candidate.num_live, candidate.attempts, told_seq, generated, time.time(),
            ),
        )
        self.db.commit()

    def record_event(self, kind: str, at_told: int, detail: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO events (kind, at_told, detail, created_at) VALUES (?, ?, ?, ?)",
            (kind, at_told, json.dumps(detail), time.time()),
        )
        self.db.commit()

    def has_event(self, kind: str, at_told: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM events WHERE kind = ? AND at_told = ?", (kind, at_told)
        ).fetchone()
        return row is not None

    def told_after(self, told_seq: int) -> Iterator[StoredRow]:
        """Told rows with `told_seq` greater than the given one, in told order."""
        cursor = self.db.execute(
            "SELECT id, parent_id, mutation, program, status, fitness, metrics, cache_hit,"
            " seconds, worker, node, told_seq, generated_at_tell, reason FROM candidates"
            " WHERE told_seq > ? ORDER BY told_seq",
            (told_seq,),
        )
        for row in cursor.fetchall():
            yield StoredRow(
                id=row[0], parent_id=row[1], mutation=row[2], text=row[3], status=row[4],
                fitness=from_nullable(row[5]), metrics=json.loads(row[6] or "{}"),
                cache_hit=bool(row[7]), seconds=row[8] or 0.0, worker=row[9] or "",
                node=row[10] or "", told_seq=row[11], generated_at_tell=row[12],
                message=row[13] or "",
            )

    def evaluated_up_to(
        self, told_seq: int, key_column: str
    ) -> Iterator[tuple[str, Result, str]]:
        """(cache key, result, program text) of rows evaluated (not cache hits) up
        to `told_seq`, in told order: what the evaluation cache held at that point."""
        if key_column not in ("hash", "fingerprint"):
            raise ValueError(f"unknown key column {key_column!r}")
        cursor = self.db.execute(
            f"SELECT {key_column}, status, fitness, metrics, program FROM candidates"
            " WHERE told_seq <= ? AND cache_hit = 0 ORDER BY told_seq",
            (told_seq,),
        )
        for key, status, fitness, metrics, text in cursor:
            result = Result(status, from_nullable(fitness), json.loads(metrics or "{}"))
            yield key, result, text

    def program_text(self, candidate_id: int) -> str | None:
        """The stored program text of a candidate (valid or not), or None if unknown."""
        row = self.db.execute(
            "SELECT program FROM candidates WHERE id = ?", (candidate_id,)
        ).fetchone()
        return row[0] if row else None

    # -- reading a run back (inspection, report, funnel) ---------------------------

    def counts(self) -> dict[str, Any]:
        """Headline counts over the rows (what `search.summary.run_summary` reports).

        Keys: told, evaluated, cache_hits, failed (valid rows), invalid, nodes (distinct
        nodes that evaluated), first_at and last_at (row times), sizes
        ((num_statements, num_live) of each valid row, in id order), restarts, and
        session_seconds (wall time of each finished session).
        """
        told, evaluated, hits, failed, first, last = self.db.execute(
            "SELECT COUNT(*), SUM(cache_hit = 0), SUM(cache_hit = 1),"
            " SUM(status != 'ok'), MIN(created_at), MAX(created_at)"
            " FROM candidates WHERE valid = 1"
        ).fetchone()
        (invalid,) = self.db.execute("SELECT COUNT(*) FROM candidates WHERE valid = 0").fetchone()
        (nodes,) = self.db.execute(
            "SELECT COUNT(DISTINCT node) FROM candidates WHERE valid = 1 AND cache_hit = 0"
            " AND node IS NOT NULL AND node != ''"
        ).fetchone()
        sizes = self.db.execute(
            "SELECT num_statements, num_live FROM candidates WHERE valid = 1 ORDER BY id"
        ).fetchall()
        return {
            "told": told or 0, "evaluated": evaluated or 0, "cache_hits": hits or 0,
            "failed": failed or 0, "invalid": invalid or 0, "nodes": nodes,
            "first_at": first, "last_at": last, "sizes": sizes,
            "restarts": len(self.events("restart")),
            "session_seconds": [d["wall_s"] for _, d in self.events("session")],
        }

    def top_rows(self, count: int) -> list[tuple[int, float, str, dict[str, Any]]]:
        """(id, fitness, program text, metrics) of the `count` fittest distinct
        programs (by cache key), best first.

        Cache hits repeat their program's key, so the fittest key can fill hundreds
        of rows; grouping by key keeps one row per program (SQLite takes the other
        columns from the row that gives MIN(id): the program's first appearance).
        """
        rows = self.db.execute(
            "SELECT MIN(id), fitness, program, metrics FROM candidates"
            " WHERE valid = 1 AND status = 'ok' AND fitness IS NOT NULL"
            " GROUP BY COALESCE(fingerprint, hash) ORDER BY fitness DESC, MIN(id) ASC LIMIT ?",
            (count,),
        ).fetchall()
        # The program as the search kept it: tuned constants written in.
        kept = [(i, f, *self._kept(i, text, m)) for i, f, text, m in rows]
        return [(i, f, text, m) for i, f, text, m in kept]

    def failures_by_status(self) -> dict[str, int]:
        """How many valid candidates failed, by status (nonfinite, diverged, timeout,
        error, ...), most frequent first; cache hits of a failure count too."""
        rows = self.db.execute(
            "SELECT status, COUNT(*) FROM candidates WHERE valid = 1 AND status != 'ok'"
            " GROUP BY status ORDER BY COUNT(*) DESC, status"
        ).fetchall()
        return {status or "unknown": n for status, n in rows}

    def invalid_by_reason(self, limit: int = 3) -> list[tuple[str, int]]:
        """The `limit` most frequent reasons the checker rejected a child, with counts."""
        return [tuple(r) for r in self.db.execute(
            "SELECT reason, COUNT(*) FROM candidates WHERE valid = 0"
            " GROUP BY reason ORDER BY COUNT(*) DESC, reason LIMIT ?", (limit,)
        ).fetchall()]

    def candidate_result(self, candidate_id: int) -> tuple[float | None, dict[str, Any]] | None:
        """(fitness or None if it failed, metrics) of a candidate, or None if unknown."""
        row = self.db.execute(
            "SELECT fitness, metrics FROM candidates WHERE id = ?", (candidate_id,)
        ).fetchone()
        if row is None:
            return None
        return row[0], json.loads(row[1] or "{}")

    def row(self, candidate_id: int) -> tuple[int, int | None, str, float | None, str, str] | None:
        """(id, parent_id, mutation, fitness or None, status, program text), or None."""
        found = self.db.execute(
            "SELECT id, parent_id, mutation, fitness, status, program FROM candidates"
            " WHERE id = ?",
            (candidate_id,),
        ).fetchone()
        if found is None:
            return None
        id_, parent, mutation, fitness, status, text = found
        return id_, parent, mutation, fitness, status or "", text

    def told_series(self) -> list[tuple[float, int, int, int]]:
        """(fitness, cache_hit, num_statements, num_live) of every told row, in told
        order (fitness -inf for a failure)."""
        rows = self.db.execute(
            "SELECT fitness, cache_hit, num_statements, num_live FROM candidates"
            " WHERE told_seq IS NOT NULL ORDER BY told_seq"
        ).fetchall()
        return [(from_nullable(f), hit, n, live) for f, hit, n, live in rows]

    def mutation_outcomes(self) -> list[tuple[str, int, int, int]]:
        """(mutation, children, invalid children, cache hits) per mutation, over
        every generated child (the seed left out)."""
        return self.db.execute(
            "SELECT mutation, COUNT(*), SUM(valid = 0), SUM(COALESCE(cache_hit, 0))"
            " FROM candidates WHERE mutation != 'seed' GROUP BY mutation ORDER BY mutation"
        ).fetchall()

    def told_ok(self) -> list[tuple[int, str, int, float, str]]:
        """(id, program text, told_seq, seconds of search up to it, cache key) of
        every successfully evaluated told row, in told order.

        Seconds of search count from the run's first row and leave out the pauses
        between sessions (a run resumed the next day did not search overnight).
        """
        (start,) = self.db.execute("SELECT MIN(created_at) FROM candidates").fetchone()
        rows = self.db.execute(
            "SELECT id, program, told_seq, created_at, COALESCE(fingerprint, hash)"
            " FROM candidates WHERE status = 'ok' AND told_seq IS NOT NULL ORDER BY told_seq"
        ).fetchall()
        pauses = self.pauses()
        return [
            (i, text, told, created - start - sum(p for at, p in pauses if at <= created), key)
            for i, text, told, created, key in rows
        ]

    def told_keys_and_times(self) -> dict[int, tuple[str | None, float]]:
        """{told_seq: (cache key, seconds of search up to it)} of every told row,
        seconds counted as `told_ok` counts them."""
        (start,) = self.db.execute("SELECT MIN(created_at) FROM candidates").fetchone()
        rows = self.db.execute(
            "SELECT told_seq, COALESCE(fingerprint, hash), created_at FROM candidates"
            " WHERE told_seq IS NOT NULL ORDER BY told_seq"
        ).fetchall()
        pauses = self.pauses()
        return {
            told: (key, created - start - sum(p for at, p in pauses if at <= created))
            for told, key, created in rows
        }

    def pauses(self) -> list[tuple[float, float]]:
        """(time the search resumed, seconds it was stopped) of every later session.

        A session starts `wall_s` before its "session" event. Its pause runs from
        the last row recorded before it, so a killed session (which recorded no
        event) still counts as searching up to its last row.
        """
        sessions = self.db.execute(
            "SELECT created_at, detail FROM events WHERE kind = 'session'"
        ).fetchall()
        pauses = []
        for ended, detail in sessions:
            began = ended - float(json.loads(detail or "{}").get("wall_s", 0.0))
            (before,) = self.db.execute(
                "SELECT MAX(created_at) FROM candidates WHERE created_at < ?", (began,)
            ).fetchone()
            if before is not None:
                pauses.append((began, began - before))
        return pauses

    def kept_program(self, candidate_id: int) -> str | None:
        """A candidate's program as the search kept it: with the constants that
        constant tuning wrote in (its stored text is what was generated)."""
        row = self.db.execute(
            "SELECT program, metrics FROM candidates WHERE id = ?", (candidate_id,)
        ).fetchone()
        if row is None:
            return None
        return self._kept(candidate_id, row[0], row[1])[0]

    def _kept(self, candidate_id: int, text: str, metrics: str | None) -> tuple[str, dict]:
        """(kept program text, metrics) of a stored row.

        Raises:
            DamagedRun: the metrics do not read back, or their tuned constants do
                not fit the program (an edited row: NaN, too few, not numbers).
        """
        try:
            decoded = json.loads(metrics or "{}")
            if not isinstance(decoded, dict):
                raise ValueError("the metrics are not a mapping")
            return kept_text(text, decoded), decoded
        except (ValueError, TypeError, RecursionError) as exc:
            raise DamagedRun(
                f"{self.dir / DB_FILE}: candidate {candidate_id} cannot be read back "
                f"({' '.join(str(exc).split())[:100]}); was the database edited?"
            ) from None

    def evaluations_up_to(self, told_seq: int) -> int:
        """How many candidates told up to `told_seq` were evaluated (not cache hits)."""
        return self.db.execute(
            "SELECT COUNT(*) FROM candidates WHERE told_seq <= ? AND cache_hit = 0",
            (told_seq,),
        ).fetchone()[0]

    def eval_seconds_up_to(self, told_seq: int) -> float:
        """Seconds the workers spent scoring the candidates told up to `told_seq`
        (cache hits cost none): the search's CPU time, whatever the worker count."""
        return self.db.execute(
            "SELECT COALESCE(SUM(seconds), 0.0) FROM candidates"
            " WHERE told_seq <= ? AND cache_hit = 0",
            (told_seq,),
        ).fetchone()[0]

    def told_fitness(self, told_seq: int) -> dict[int, float]:
        """The fitness a member holds for each candidate told up to `told_seq`
        (its recorded fitness if it scored ok, else -inf)."""
        rows = self.db.execute(
            "SELECT id, status, fitness FROM candidates WHERE told_seq BETWEEN 1 AND ?",
            (told_seq,),
        ).fetchall()
        return {
            i: from_nullable(f) if status == "ok" else WORST_FITNESS
            for i, status, f in rows
        }

    def invalid_below(self, candidate_id: int) -> int:
        """How many children the checker rejected among ids below `candidate_id`."""
        return self.db.execute(
            "SELECT COUNT(*) FROM candidates WHERE valid = 0 AND id < ?", (candidate_id,)
        ).fetchone()[0]

    def told_seq_of(self, candidate_id: int) -> int:
        """When a candidate was told (its `told_seq`), 0 if it was not."""
        row = self.db.execute(
            "SELECT told_seq FROM candidates WHERE id = ?", (candidate_id,)
        ).fetchone()
        return row[0] if row and row[0] is not None else 0

    def max_told_id(self, told_seq: int) -> int:
        """The highest id among the candidates told up to `told_seq` (-1 for none)."""
        return self.db.execute(
            "SELECT COALESCE(MAX(id), -1) FROM candidates WHERE told_seq BETWEEN 1 AND ?",
            (told_seq,),
        ).fetchone()[0]

    def told_count(self) -> int:
        """How many candidates were told (the seed included)."""
        return self.db.execute(
            "SELECT COUNT(*) FROM candidates WHERE told_seq IS NOT NULL"
        ).fetchone()[0]

    def events(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        """(at_told, detail) of every event of `kind`, in candidate order."""
        rows = self.db.execute(
            "SELECT at_told, detail FROM events WHERE kind = ? ORDER BY at_told, seq", (kind,)
        ).fetchall()
        return [(told, json.loads(detail or "{}")) for told, detail in rows]

    # -- funnel stages ------------------------------------------------------------

    def record_stage_evaluation(
        self, stage: str, stage_index: int, candidate_id: int, role: str, text: str,
        tasks: dict[str, float], seeds: int, result: Result,
    ) -> None:
        """Record one funnel-stage evaluation and commit (a rerun replaces it)."""
        self.db.execute(
            "INSERT OR REPLACE INTO stage_evaluations (stage, stage_index, candidate_id, role,"
            " program, tasks, seeds, status, fitness, metrics, seconds, worker, node, message,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                stage, stage_index, candidate_id, role, text, json.dumps(dict(tasks)), seeds,
                result.status, nullable(result.fitness), json.dumps(result.metrics),
                result.seconds, result.worker, result.node, result.message or None, time.time(),
            ),
        )
        self.db.commit()

    def stage_metrics(self, stage: str) -> dict[int, dict]:
        """Metrics of every candidate evaluated in funnel stage `stage`."""
        rows = self.db.execute(
            "SELECT candidate_id, metrics FROM stage_evaluations WHERE stage = ?", (stage,)
        ).fetchall()
        return {cid: json.loads(m or "{}") for cid, m in rows}

    def stage_fitness(self, stage: str) -> dict[int, float]:
        """Fitness of every candidate evaluated in funnel stage `stage` (-inf: failed)."""
        rows = self.db.execute(
            "SELECT candidate_id, fitness FROM stage_evaluations WHERE stage = ?", (stage,)
        ).fetchall()
        return {cid: from_nullable(f) for cid, f in rows}

    def close(self) -> None:
        if not self.read_only:
            self.db.commit()
        self.db.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that only reads `path` and creates no file next to it.

    With a `-wal` file present (a live run, or one killed before its last
    checkpoint) the rows committed there count, so SQLite reads it (`mode=ro`,
    which needs the `-shm` file the writer left). Without one, every committed
    row is in the database file itself and it is opened `immutable` (no locks, no
    `-shm`/`-wal` created): a `mode=ro` reader would leave both files behind, and
    cannot create them in a read-only directory at all. A `-wal` that cannot be
    read that way (its `-shm` gone from a read-only directory) falls back to the
    database file alone.

    Raises:
        DamagedRun: no such file, unreadable, or not an SQLite database.
    """
    uri = "file:" + quote(os.fsencode(path.absolute()), safe="/")
    has_wal = path.with_name(path.name + "-wal").exists()
    attempts = [f"{uri}?mode=ro", f"{uri}?mode=ro&immutable=1"][0 if has_wal else 1 :]
    for i, attempt in enumerate(attempts):
        db = sqlite3.connect(attempt, uri=True, timeout=30)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            # A run from before a table existed reads as one with that table empty.
            for name, columns in _TABLES.items():
                if name not in tables:
                    db.execute(f"CREATE TEMP TABLE {name} {columns}")
            return db
        except sqlite3.DatabaseError as exc:
            db.close()
            if i + 1 < len(attempts) and "unable to open" in str(exc):
                continue
            raise DamagedRun(f"{path}: not a readable run database ({exc})") from None
    raise AssertionError("unreachable")


def kept_text(text: str, metrics: dict) -> str:
    """`text` with the tuned constants in `metrics` written in, if any."""
    if not metrics.get(TUNED_CONSTANTS):
        return text
    from dsl.parser import parse

    return tuned_program(parse(text), metrics).to_text()


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so that a killed process leaves the old or the new file.

    No fsync: a rename is atomic against a process being killed, which is the
    failure we guard; an fsync per checkpoint (~10 ms here) would guard power
    loss at a cost the search feels, and the database is the ground truth anyway.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
    except OSError:
        tmp.unlink(missing_ok=True)  # a half-written copy must not fill the disk further
        raise
    os.replace(tmp, path)

