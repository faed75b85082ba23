"""Writes hostile_sets.h5 and many_classes.h5: tiny files that claim huge datasets without
storing them (HDF5 leaves unwritten datasets unallocated), for the reader's size checks.

Run with h5py and numpy: python make_hostile_sets.py (from this folder).
"""
import h5py
import numpy as np

with h5py.File("hostile_sets.h5", "w") as f:
    f["list_classes"] = np.array([b"non-face", b"face"], dtype="S8")
    # No pixels at all (a zero side), but 2^30 labels: the pixel count alone would pass.
    f.create_dataset("zero_set_x", shape=(2**30, 0, 1, 1), dtype="u1")
    f.create_dataset("zero_set_y", shape=(2**30,), dtype="u1")
    # 2^24 images of one pixel, none stored: 16 Mi pixels in a file of a few KB.
    f.create_dataset("claim_set_x", shape=(2**24, 1, 1, 1), dtype="u1")
    f.create_dataset("claim_set_y", shape=(2**24,), dtype="u1")

with h5py.File("many_classes.h5", "w") as f:
    # Ten million one-byte class names, none stored.
    f.create_dataset("list_classes", shape=(10**7,), dtype="S1")
    f["train_set_x"] = np.zeros((1, 1, 1, 3), dtype=np.uint8)
    f["train_set_y"] = np.zeros((1,), dtype=np.int64)
