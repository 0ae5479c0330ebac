"""What runs inside the sandbox: the runner child, the host and CUDA devices, the in-process diagnosis, and the
typed messages both sides of the control socket speak (orders.py, claims.py).

Standard library, numpy (a cpu child imports it only to diagnose), CuPy and cupti on cuda: this package is imported
by the untrusted child on a restricted path, and never imports the trusted side (backends.harness).
"""
