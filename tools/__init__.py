"""Operators' tools above the core: the command line, demo data and the worked promise examples."""
