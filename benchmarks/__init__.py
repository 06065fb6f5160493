"""Performance figures of maou_kit, each measured beside an anchor in the same run.

Run `python -m benchmarks` (or `--quick`); see benchmarks/README.md.
"""
