"""Benchmarks: the same workloads under minitorch_nn and PyTorch, reported as time ratios.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks      # table + chart
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m pytest benchmarks --benchmark-enable

See docs/benchmarks.md for the latest numbers and what each workload measures.
"""
