"""Tables rebuilt from a folder of archives: what `--report-only` prints and what
a run writes after each seed (`tables.md`, `tables.json` in the folder).

Owns finding the archives (`DIR/TARGET/ARM/seed-S/`) and turning each into its
row; nothing here reads a run directory, so the tables need only what is
committed.
"""

from __future__ import annotations

from pathlib import Path

from optsearch.rediscovery.archive import is_archived, read_archive
from optsearch.rediscovery.rows import seed_row
from optsearch.rediscovery.tables import as_json, markdown
from optsearch.rediscovery.targets import TARGETS, get_target
from search.errors import UserError
from search.store import atomic_write_text

TABLES_MD = "tables.md"
TABLES_JSON = "tables.json"


def titles() -> dict[str, str]:
    return {name: t.title for name, t in TARGETS.items()}


def archive_dirs(out: Path, target: str | None = None) -> list[Path]:
    """Every complete archive under `out` (of `target` only, if given), sorted by
    target, arm and seed."""
    if not out.is_dir():
        raise UserError(f"{out}: no such folder")
    found = []
    for target_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        if target is not None and target_dir.name != target:
            continue
        for arm_dir in sorted(p for p in target_dir.iterdir() if p.is_dir()):
            seeds = [p for p in arm_dir.glob("seed-*") if is_archived(p)]
            found += sorted(seeds, key=lambda p: _seed_number(p))
    return found


def collect_rows(out: Path, target: str | None = None) -> list[dict]:
    """The row of every archive under `out`."""
    rows = []
    for path in archive_dirs(out, target):
        archive = read_archive(path)
        name = archive.meta.get("target", path.parent.parent.name)
        try:
            found = get_target(name)
        except UserError:
            raise UserError(f"{path}: archived for unknown target {name!r}") from None
        rows.append(seed_row(archive, found))
    return rows


def write_tables(out: Path) -> None:
    """Write `tables.md` and `tables.json` for every archive under `out`, and each
    seed's first hit and final program beside its archive (`first.py`,
    `final.py`) for people to read."""
    rows = collect_rows(out)
    atomic_write_text(out / TABLES_MD, markdown(rows, titles()))
    atomic_write_text(out / TABLES_JSON, as_json(rows))
    for row in rows:
        seed_dir = out / row["target"] / row["arm"] / f"seed-{row['seed']}"
        if row["first"]:
            atomic_write_text(seed_dir / "first.py", _commented(
                f"first hit of {row['target']}: candidate {row['first']['candidate_id']}, "
                f"told {row['first']['told']}", row["first"]["program"]))
        if row["funnel"] and row["funnel"]["final_program"]:
            atomic_write_text(seed_dir / "final.py", _commented(
                f"final program: winner {row['funnel']['winner_id']}, ablated and "
                "simplified", row["funnel"]["final_program"]))


def _commented(title: str, program: str) -> str:
    return f"# {title}\n{program}"


def _seed_number(path: Path) -> int:
    try:
        return int(path.name.split("-", 1)[1])
    except (IndexError, ValueError):
        return -1
