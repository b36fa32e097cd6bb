"""Multi-stage selection of search survivors, meta-validation and fitness-based
simplification."""
