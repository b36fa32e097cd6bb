"""How fast the search can prune: programs analysed per second on one core.

Owns the throughput figure of issue 3: abstract execution (kinds, validity,
liveness), semantic hash and behavioural fingerprint of random programs, the work
the search does for every child before deciding whether to evaluate it. Programs
are drawn before the clock starts; each phase is also timed on its own so a
regression points at its cause.
"""

from __future__ import annotations

import time

import numpy as np

from dsl.analysis import RedundancyStats, analyze
from dsl.fingerprint import fingerprint_unchecked
from dsl.generate import random_program
from dsl.hashing import semantic_hash_unchecked


def measure_analysis_throughput(
    num_programs: int = 500, length: int = 20, seed: int = 0
) -> dict:
    """Analyse `num_programs` random programs of `length` statements; report rates.

    Returns:
        a flat dict: `analysed_per_s` (all three phases), per-phase microseconds
        per program, and the redundancy of the programs analysed.
    """
    rng = np.random.default_rng(seed)
    programs = [random_program(rng, length) for _ in range(num_programs)]
    fingerprint_unchecked(programs[0])  # warm the probe's cached arrays
    phase = {"analyze": 0.0, "hash": 0.0, "fingerprint": 0.0}
    stats = RedundancyStats()
    hashes, fingerprints = set(), set()
    clock = time.perf_counter
    started = clock()
    for program in programs:
        t0 = clock()
        facts = analyze(program)
        t1 = clock()
        hashes.add(semantic_hash_unchecked(program))
        t2 = clock()
        fingerprints.add(fingerprint_unchecked(program))
        t3 = clock()
        phase["analyze"] += t1 - t0
        phase["hash"] += t2 - t1
        phase["fingerprint"] += t3 - t2
        stats = stats.add(facts)
    seconds = clock() - started
    return {
        "analysed_per_s": num_programs / seconds,
        "analysis_programs": num_programs,
        "analysis_program_length": length,
        "analysis_us_abstract_execution": 1e6 * phase["analyze"] / num_programs,
        "analysis_us_semantic_hash": 1e6 * phase["hash"] / num_programs,
        "analysis_us_fingerprint": 1e6 * phase["fingerprint"] / num_programs,
        "analysis_redundant_fraction": stats.statement_fraction,
        "analysis_distinct_hashes": len(hashes),
        "analysis_distinct_fingerprints": len(fingerprints),
    }
