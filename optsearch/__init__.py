"""The application: the `optsearch` command line and the pipeline of a whole run.

This is the top layer. It wires the packages below it (dsl <- proxy_tasks <-
search <- funnel) into what a user runs; none of them imports it back.
"""
