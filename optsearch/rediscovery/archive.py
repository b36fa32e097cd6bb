"""A seed's run as compact, committable artefacts, and reading them back.

Owns the archive format. A seed's archive directory holds:

- `candidates.jsonl.gz`: one JSON object per told candidate, in told order:
  `told`, `id`, `parent`, `mutation`, `status`, `fitness`, `cache_hit`,
  `cpu_s` (scoring seconds; 0 for a cache hit), `wall_s` (seconds of search
  since the run's first candidate, pauses between sessions left out), `key`
  (a digest of the cache key) and, at the first row of each key, `program` (the
  program as scored: with its tuned constants written in). A later row with the
  same key behaves the same, so one program per key is all a verdict needs.
- `final.json`: the run's funnel result (`report/final.json`), if it ran;
- `config.yaml`: the config the run was started with;
- `meta.json`: target, arm, seed, overrides, commit, candidates told, finished.

Written deterministically (gzip without a timestamp, fixed key order), so a rerun
of a seed archives to the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from proxy_tasks.floats import exact, from_exact
from search.errors import UserError
from search.store import RunStore, atomic_write_text, kept_text

ROWS_FILE = "candidates.jsonl.gz"
FINAL_FILE = "final.json"
CONFIG_FILE = "config.yaml"
META_FILE = "meta.json"
#: Bytes of a cache key's digest kept: far beyond a collision among a run's keys.
KEY_BYTES = 10


@dataclass(frozen=True)
class Archive:
    """One seed's artefacts as read back."""

    path: Path
    meta: dict
    rows: list[dict]
    final: dict | None


def commit_of(where: Path) -> str:
    """The git commit of the checkout at `where` ("+dirty" if it has uncommitted
    changes to tracked files), or "unknown" outside a checkout."""
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        if head.returncode:
            return "unknown"
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def short_key(key: str) -> str:
    """A cache key shortened to a digest (keys are 32 hex characters)."""
    return hashlib.blake2b(key.encode(), digest_size=KEY_BYTES).hexdigest()


def write_archive(run_dir: Path, dest: Path, meta: dict) -> None:
    """Archive the run in `run_dir` into `dest` (replacing what is there), with
    `meta` plus the candidates told and whether the funnel finished."""
    store = RunStore(run_dir, read_only=True)
    try:
        times = store.told_keys_and_times()
        lines, seen = [], set()
        for row in store.told_after(0):
            key, wall = times[row.told_seq]
            key = short_key(key or "")
            entry = {
                "told": row.told_seq, "id": row.id, "parent": row.parent_id,
                "mutation": row.mutation, "status": row.status,
                "fitness": exact(row.fitness), "cache_hit": row.cache_hit,
                "cpu_s": 0.0 if row.cache_hit else round(row.seconds, 4),
                "wall_s": round(wall, 3), "key": key,
            }
            if key not in seen:
                seen.add(key)
                entry["program"] = kept_text(row.text, row.metrics)
            lines.append(json.dumps(entry))
        told = store.told_count()
        config_path = store.config_path
    finally:
        store.close()
    dest.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode()
    (dest / ROWS_FILE).write_bytes(gzip.compress(data, mtime=0))
    shutil.copyfile(config_path, dest / CONFIG_FILE)
    final = run_dir / "report" / "final.json"
    if final.is_file():
        shutil.copyfile(final, dest / FINAL_FILE)
    else:
        (dest / FINAL_FILE).unlink(missing_ok=True)
    meta = {**meta, "candidates": told, "funnel_finished": final.is_file()}
    atomic_write_text(dest / META_FILE, json.dumps(meta, indent=1, sort_keys=True) + "\n")


def read_archive(path: Path) -> Archive:
    """The artefacts in `path`.

    Raises:
        UserError: a file is missing or does not read back (one line naming it).
    """
    meta = _read_json(path / META_FILE)
    rows_path = path / ROWS_FILE
    try:
        text = gzip.decompress(rows_path.read_bytes()).decode()
        rows = [json.loads(line) for line in text.splitlines() if line]
        for row in rows:
            row["fitness"] = from_exact(row["fitness"])
    except FileNotFoundError:
        raise UserError(f"{rows_path}: missing; the archive is incomplete") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{rows_path}: does not read back ({_short(exc)})") from None
    final_path = path / FINAL_FILE
    final = _read_json(final_path) if final_path.is_file() else None
    return Archive(path, meta, rows, final)


def is_archived(path: Path) -> bool:
    """Whether `path` holds a complete archive (its meta is written last)."""
    return (path / META_FILE).is_file() and (path / ROWS_FILE).is_file()


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: missing; the archive is incomplete") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: does not read back ({_short(exc)})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a JSON object")
    return data


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 100 else text[:97] + "..."


#: Row fields that depend on the machine and its load, not on the walk.
TIMING_FIELDS = ("cpu_s", "wall_s")


def walk_differences(a: Archive, b: Archive, limit: int = 3) -> list[str]:
    """Where two archives of one seed's run differ in anything but timing: the
    candidates (programs, fitness, statuses, cache hits, in told order) and the
    funnel's result. Empty when a rerun reproduced the archived run."""
    found = []
    if len(a.rows) != len(b.rows):
        found.append(f"{len(a.rows)} candidates told against {len(b.rows)}")
    for left, right in zip(a.rows, b.rows):
        fields = sorted((set(left) | set(right)) - set(TIMING_FIELDS))
        changed = [f for f in fields if left.get(f) != right.get(f)]
        if changed:
            found.append(f"candidate told {left.get('told')}: {', '.join(changed)} differ")
        if len(found) >= limit:
            return found
    if _without_timing(a.final) != _without_timing(b.final):
        found.append("the funnel's results differ")
    return found[:limit]


def _without_timing(value):
    """`value` (a final.json) with every seconds-like field removed."""
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items()
                if not (k.endswith("_s") or k in ("seconds", "elapsed"))}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value
