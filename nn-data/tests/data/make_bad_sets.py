"""Writes bad_sets.h5: small course-style sets, each wrong in one way, under its own prefix.

Run with h5py and numpy: python make_bad_sets.py (from this folder).
"""
import h5py
import numpy as np

rng = np.random.default_rng(0)


def pixels(*shape):
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


with h5py.File("bad_sets.h5", "w") as f:
    f["list_classes"] = np.array([b"non-face", b"face"], dtype="S8")
    # A volume without its channel axis.
    f["shape_set_x"] = pixels(3, 64, 64)
    f["shape_set_y"] = np.array([0, 1, 0], dtype=np.int64)
    # 3 images, 2 labels.
    f["count_set_x"] = pixels(3, 2, 2, 3)
    f["count_set_y"] = np.array([0, 1], dtype=np.int64)
    # A label that is not a class index.
    f["label_set_x"] = pixels(3, 2, 2, 3)
    f["label_set_y"] = np.array([0, 1, 5], dtype=np.int64)
    # A negative label.
    f["negative_set_x"] = pixels(2, 2, 2, 3)
    f["negative_set_y"] = np.array([0, -1], dtype=np.int64)
    # Pixels already scaled to floats.
    f["float_set_x"] = pixels(2, 2, 2, 3).astype(np.float64) / 255
    f["float_set_y"] = np.array([0, 1], dtype=np.int64)
    # Valid, but int32 labels stored as a (1, m) row and gzip-compressed chunked pixels.
    f.create_dataset("row_set_x", data=pixels(4, 5, 6, 3), chunks=(1, 5, 6, 3), compression="gzip")
    f["row_set_y"] = np.array([[1, 0, 1, 1]], dtype=np.int32)
