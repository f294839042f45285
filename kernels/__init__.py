"""Raw kernels on raw arrays (imported as `minitorch_nn.kernels`): no Tensor, no autograd.

`kernels/cpu` holds Numba functions over numpy arrays, `kernels/cuda` CUDA C sources loaded by
CuPy plus the Python that launches them. A reader learns here how a computation is done.
"""
