"""The draws compared on an Intel CPU: one recipe run by PyTorch (in a subprocess under the
fake-Intel shim) and by minitorch_nn, through the API the two share.

The sizes straddle PyTorch's 800-element parallel grain, where an MKL path would skip ahead
per chunk, and its 16-element normal_fill blocks.
"""
SEEDS = (0, 1, 7, 2 ** 32 + 5)
SIZES = (0, 1, 15, 16, 17, 799, 800, 801, 5000)
FLOATS = ("float32", "float64", "float16", "bfloat16")
BERNOULLI_ONLY = ("int32", "int64", "uint8", "bool")


def draws(lib):
    """Every draw of the recipe, as float64 numpy arrays keyed by a readable name."""
    out = {}
    for seed in SEEDS:
        for n in SIZES:
            lib.manual_seed(seed)
            for name in FLOATS + BERNOULLI_ONLY:
                dtype = getattr(lib, name)
                out[f"bernoulli_ p=0.3 {name} n={n} seed={seed}"] = \
                    lib.empty(n, dtype=dtype).bernoulli_(0.3)
            for name in FLOATS:
                dtype = getattr(lib, name)
                out[f"exponential_ {name} n={n} seed={seed}"] = \
                    lib.empty(n, dtype=dtype).exponential_(2.0)
                out[f"dropout {name} n={n} seed={seed}"] = \
                    lib.nn.functional.dropout(lib.ones(n, dtype=dtype), 0.25)
            out[f"bernoulli(p) n={n} seed={seed}"] = \
                lib.bernoulli(lib.full((n,), 0.4, dtype=lib.float64))
            out[f"next rand n={n} seed={seed}"] = lib.rand(3, dtype=lib.float64)
    return {key: value.double().numpy() for key, value in out.items()}
