"""One module per group of `optsearch` subcommands (see `search.cli`)."""
