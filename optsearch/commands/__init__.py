"""One module per group of `optsearch` subcommands (see `optsearch.cli`)."""
