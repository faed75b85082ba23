"""Writes the course-HDF5 seeds of the fuzz targets (fuzz/seeds/course_h5/) and the hostile
HDF5 files of the catalogue test (nn-cli/tests/hostile/): small files in the course's layout
(train_set_x (m, h, w, 3) uint8, train_set_y (m,) int64, list_classes (2,) bytes), stored
contiguously and chunked with deflate, and files whose groups loop back on themselves or nest
deeply. Run once with h5py (`python3 fuzz/seeds/make_h5.py` from the repository's root); the
outputs are committed, so neither the tests nor CI need Python."""

import os

import h5py
import numpy as np

SEEDS = "fuzz/seeds/course_h5"
HOSTILE = "nn-cli/tests/hostile"


def course(path, prefix, m, side, classes=True, **storage):
    rng = np.random.default_rng(len(path))
    with h5py.File(path, "w") as f:
        f.create_dataset(f"{prefix}_set_x", data=rng.integers(0, 256, (m, side, side, 3), dtype=np.uint8), **storage)
        f.create_dataset(f"{prefix}_set_y", data=(np.arange(m) % 2).astype(np.int64), **storage)
        if classes:
            f.create_dataset("list_classes", data=np.array([b"non-face", b"face"]))


def main():
    os.makedirs(SEEDS, exist_ok=True)
    os.makedirs(HOSTILE, exist_ok=True)
    course(f"{SEEDS}/train_small.h5", "train", 3, 4)
    course(f"{SEEDS}/test_chunked.h5", "test", 2, 4, chunks=True, compression="gzip")
    # A group holding a hard link to the root (walking the tree naively never ends), and no
    # list_classes, so that reading it must fail.
    path = f"{HOSTILE}/cyclic_groups.h5"
    course(path, "train", 2, 4, classes=False)
    with h5py.File(path, "a") as f:
        f.create_group("loop")
        f["loop/root"] = f["/"]
    # 100 nested groups and no datasets at the top.
    with h5py.File(f"{HOSTILE}/deep_groups.h5", "w") as f:
        g = f
        for i in range(100):
            g = g.create_group(f"g{i}")
        g.create_dataset("train_set_x", data=np.zeros((1, 2, 2, 3), dtype=np.uint8))


main()
