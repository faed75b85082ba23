"""The round trip of a model between nn and PyTorch, checked number by number.

    python torch_round_trip.py compare EXPORTED_DIR OURS.csv
        PyTorch's probabilities for the images listed in OURS.csv (`nn predict MODEL FOLDER
        --top K --csv`, K = the number of classes), through the exported model.py, against
        ours: prints the largest difference.
    python torch_round_trip.py tune EXPORTED_DIR TRAIN_FOLDER OUT.safetensors
        Fine-tunes the exported network one epoch in PyTorch (Adam 1e-3, batches of 32, the
        loss model.py names) on the images of TRAIN_FOLDER/<class>/... and saves its state
        dict as OUT.safetensors for `nn import`.
    python torch_round_trip.py compare-tuned EXPORTED_DIR OUT.safetensors TUNED.csv
        As compare, with the tuned weights, against `nn predict` of the imported model.

    python torch_round_trip.py png COURSE.h5 OUT_FOLDER
        Writes the images of one of the course's HDF5 files as PNG files in OUT_FOLDER/<class>/
        (lossless, so both sides read the same pixels).

Run by hand (needs torch, numpy, pillow, safetensors); never by CI or the tests.
`torch_round_trip.sh` runs the whole trip.
"""

import csv
import importlib.util
import os
import sys

import numpy as np
import torch


def load_module(folder):
    spec = importlib.util.spec_from_file_location("model", os.path.join(folder, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_ours(path):
    """The paths and {class: probability} of each row of `nn predict --csv`."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    k = (len(header) - 1) // 2
    return [(r[0], {r[1 + 2 * j]: float(r[2 + 2 * j]) for j in range(k)}) for r in rows]


def probabilities(model, net, paths):
    """Each image's probability of each class, as nn reports them."""
    return model.predict_proba(net, model.prepare(paths)).double().numpy()


def compare(folder, ours_csv, net=None):
    model = load_module(folder)
    net = net or model.build()
    ours = read_ours(ours_csv)
    torch_p = probabilities(model, net, [path for path, _ in ours])
    worst = 0.0
    agree = 0
    for (path, by_class), row in zip(ours, torch_p):
        mine = np.array([by_class[c] for c in model.CLASSES])
        worst = max(worst, float(np.abs(mine - row).max()))
        agree += int(mine.argmax() == row.argmax())
    print(f"{len(ours)} images: largest |p_nn - p_torch| = {worst:.3g}; "
          f"same class for {agree}/{len(ours)}")
    return worst


def images_of(folder, classes):
    paths, labels = [], []
    for label, name in enumerate(classes):
        d = os.path.join(folder, name)
        for f in sorted(os.listdir(d)):
            paths.append(os.path.join(d, f))
            labels.append(label)
    return paths, np.array(labels)


def tune(folder, train_folder, out, lr=1e-3):
    torch.manual_seed(0)
    model = load_module(folder)
    net = model.build().train()
    paths, labels = images_of(train_folder, model.CLASSES)
    x = model.prepare(paths)
    y = torch.from_numpy(labels)
    binary = model.OUTPUT == "sigmoid"
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    order = torch.randperm(len(y))
    for start in range(0, len(y), 32):
        batch = order[start:start + 32]
        z = net(x[batch])
        target = y[batch].to(z.dtype).unsqueeze(1) if binary else y[batch]
        loss = loss_fn(z, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save(net, out)
    print(f"tuned one epoch on {len(y)} images (last batch loss {loss.item():.4f}); wrote {out}")


def h5_to_png(path, out):
    import h5py
    from PIL import Image

    f = h5py.File(path)
    x = next(k for k in f if k.endswith("_x"))
    y = next(k for k in f if k.endswith("_y"))
    classes = [c.decode() for c in f["list_classes"][:]]
    for i, (image, label) in enumerate(zip(f[x][:], f[y][:])):
        folder = os.path.join(out, classes[label])
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(image).save(os.path.join(folder, f"{i:03d}.png"))
    print(f"wrote {len(f[y])} images to {out}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "png":
        h5_to_png(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "tune":
        tune(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "compare-tuned":
        # After `nn import`: PyTorch's tuned weights against nn's predictions with them.
        model = load_module(sys.argv[2])
        compare(sys.argv[2], sys.argv[4], net=model.build(sys.argv[3]))
    else:
        sys.exit(__doc__)
