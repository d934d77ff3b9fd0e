"""Writes python_numpy.safetensors, the interoperability fixture of SafeTensorsTests.

Run from this directory with the reference implementation installed (`pip install safetensors numpy`):

    python make_fixture.py

The values are chosen so that the Swift test can state them exactly: float32 specials (-0, subnormal,
max), float16 specials (max, smallest subnormal, inf) and float64 values that round to float32.
"""
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "scalar": np.array(3.25, dtype=np.float32),  # shape []
    "layer.0.weight": np.array(
        [[1.5, -0.0, 3.4028235e38], [1e-45, -7.25, 0.1]], dtype=np.float32
    ),
    "empty": np.zeros([0], dtype=np.float32),
    "half": np.array([1.0, -2.5, 65504.0, 2.0**-24, np.inf], dtype=np.float16),
    "double": np.array([[0.1], [-1e300], [1.0 / 3.0]], dtype=np.float64),
}
metadata = {"format": "np", "framework": "numpy", "note": "fedtop fixture \u2713"}

save_file(tensors, "python_numpy.safetensors", metadata=metadata)
