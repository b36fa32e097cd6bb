"""Performance measurements behind `optsearch bench`: one module per part, each
with a function returning a flat dict of figures."""
