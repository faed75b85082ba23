"""Loads the shared/ data sets as numpy arrays, batch-first (m, ...) float32."""
import gzip, os, struct
import numpy as np
import h5py

ROOT = os.environ.get("NN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data"))

def faces_h5():
    with h5py.File(os.path.join(ROOT, "faces_h5", "train_faces.h5")) as f:
        xtr, ytr = f["train_set_x"][:], f["train_set_y"][:]
    with h5py.File(os.path.join(ROOT, "faces_h5", "test_faces.h5")) as f:
        xte, yte = f["test_set_x"][:], f["test_set_y"][:]
    return xtr.astype(np.float32) / 255, ytr.astype(np.float32), xte.astype(np.float32) / 255, yte.astype(np.float32)

def _idx(path):
    with gzip.open(path) as f:
        _, _, nd = struct.unpack(">HBB", f.read(4))
        shape = struct.unpack(">" + "I" * nd, f.read(4 * nd))
        return np.frombuffer(f.read(), np.uint8).reshape(shape)

def mnist5k():
    d = os.path.join(ROOT, "mnist5k")
    xtr = _idx(os.path.join(d, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255
    ytr = _idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = _idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255
    yte = _idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    return xtr, ytr, xte, yte
