"""Runnable examples shipped with the package; `python -m minitorch_nn.examples.train`."""
