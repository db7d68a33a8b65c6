"""Benchmarks: runnable scripts printing ratios against baselines measured in the same run."""
