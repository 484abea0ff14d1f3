"""The parts of scripts/bench.py: servers, HTTP load, in-process money figures, the report."""
