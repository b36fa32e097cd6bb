"""The rediscovery benchmark: does the search recover a known optimizer?

A target (`targets`) names a frozen config and a reference optimizer. The
benchmark runs the config over a range of seeds, each arm in its own run
directory (`runner`): the search itself, and two controls that keep the budget
and break selection (`selection: none`, random search from the seed;
`selection: shuffled`, selection on permuted fitness). Every finished seed is
archived as compact, committed artefacts (`archive`), and every table row is
computed from an archive alone (`rows`, `tables`), so `optsearch rediscover
--report-only DIR` rebuilds the tables from what is committed.

Success is decided by behaviour, never by program text: a candidate hits the
target when the reference optimizer, written with constants read off the
candidate, makes the same updates on the equivalence probe
(`dsl.equivalence.check_equivalence`).
"""
