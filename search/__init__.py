"""Regularized evolution over optimizer programs: the search loop, its cache, run
store and checkpoints, the evaluators (serial and Ray) and the `optsearch` CLI."""
