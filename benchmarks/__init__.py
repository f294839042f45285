"""Benchmarks: the same workloads under minitorch_nn and PyTorch, reported as time ratios.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks      # table + chart
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m pytest benchmarks --benchmark-enable
    python -m benchmarks --device cuda        # W1, W2, W3, W7 on a GPU (issue 6's targets)
    python3 -m benchmarks.gpu_session         # on a lent GPU machine: versions, tests, benchmarks

See docs/benchmarks.md for the latest numbers, what each workload measures, and the GPU runbook.
"""
