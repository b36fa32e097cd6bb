"""When did a search first reach the Lion family, and Lion proper (b1 != b2)?"""

from __future__ import annotations

from dsl.library import load_builtin
from dsl.parser import parse
from optsearch.pipeline import first_lion_family
from search.records import Candidate, Result
from search.store import RunStore

SIGNUM = parse(
    "def train(w, g, m, v, lr):\n    m = interp(g, m, 0.9)\n    update = sign(m)\n"
    "    update = update * lr\n    return update, m, v\n"
)


def tell(store: RunStore, told: int, cid: int, program, hit: bool = False) -> None:
    """Record `program` as candidate `cid`, the `told`th told, evaluated ok."""
    key = f"f{program.to_text()}"
    candidate = Candidate(cid, None, "insert", program, key, key, key, len(program), len(program))
    store.record_told(candidate, Result("ok", 0.1, {}, 0.0, cache_hit=hit), told, told)


def test_the_first_family_member_and_the_first_lion_proper_are_told_apart(tmp_path):
    store = RunStore(tmp_path / "run")
    # Told order: AdamW, signum (b1 = b2), AdamW again as a cache hit, Lion.
    rows = [(0, load_builtin("adamw"), False), (1, SIGNUM, False),
            (2, load_builtin("adamw"), True), (3, load_builtin("lion"), False)]
    for told, (cid, program, hit) in enumerate(rows, start=1):
        tell(store, told, cid, program, hit)
    first = first_lion_family(store)
    store.close()
    assert (first["candidate_id"], first["told"], first["evaluated"]) == (1, 2, 2)
    assert first["family_ids"] == [1, 3]
    proper = first["first_distinct"]
    assert (proper["candidate_id"], proper["told"], proper["evaluated"]) == (3, 4, 3)


def test_wall_time_to_the_first_lion_leaves_out_the_pause_between_sessions(tmp_path):
    store = RunStore(tmp_path / "run")
    # Session one tells AdamW at t=0 and 10 and ends at 12; the run is resumed
    # an hour later (t=3612) and tells Lion at t=3620: 18 s of search, not 3620.
    for told, (cid, program, at) in enumerate(
        [(0, load_builtin("adamw"), 0.0), (1, SIGNUM, 10.0), (2, load_builtin("lion"), 3620.0)],
        start=1,
    ):
        tell(store, told, cid, program)
        store.db.execute("UPDATE candidates SET created_at = ? WHERE id = ?", (at, cid))
    for ended, wall_s in [(12.0, 12.0), (3630.0, 18.0)]:
        store.db.execute(
            "INSERT INTO events (kind, at_told, detail, created_at) VALUES ('session', 0, ?, ?)",
            (f'{{"wall_s": {wall_s}}}', ended),
        )
    store.db.commit()
    first = first_lion_family(store)
    store.close()
    assert first["wall_s"] == 10.0
    assert first["first_distinct"]["wall_s"] == 18.0
