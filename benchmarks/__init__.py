"""Speed measurements of backproplab, run by ``make bench`` (``python -m benchmarks.run``).

Every timing is a ratio of two things measured side by side in one run, with interleaved
repeats, so that the load of a shared machine falls on both alike.
"""
