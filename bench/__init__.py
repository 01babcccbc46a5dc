"""Benchmarks (`make bench`): each case measures in one run and writes bench/results/."""
