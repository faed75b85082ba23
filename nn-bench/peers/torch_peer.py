"""PyTorch CPU peer for the workloads of WORKLOADS.md (from ../shared/peers, with the clock
started after loading).
Usage: python torch_peer.py logistic|deep|mlp|cnn|cnn-rgb [threads]"""
import sys, time
import numpy as np
import torch
from data import faces_h5, mnist5k

torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads())
torch.manual_seed(1)

def run_full_batch(model, X, Y, Xt, Yt, iters, lr):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(iters):
        opt.zero_grad(); loss = loss_fn(model(X), Y); loss.backward(); opt.step()
    with torch.no_grad():
        acc = lambda X, Y: float(((model(X) > 0) == (Y > 0.5)).float().mean())
        return acc(X, Y), acc(Xt, Yt)

def mlp(data, epochs=10, batch=64):
    xtr, ytr, xte, yte = [torch.from_numpy(a) for a in data]
    xtr, xte = xtr.reshape(len(xtr), -1), xte.reshape(len(xte), -1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    return train_classifier(model, xtr, ytr, xte, yte, epochs, batch)

def cnn(data, epochs=5, batch=64):
    xtr, ytr, xte, yte = [torch.from_numpy(a) for a in data]
    xtr, xte = xtr.unsqueeze(1), xte.unsqueeze(1)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10))
    return train_classifier(model, xtr, ytr, xte, yte, epochs, batch)

def cnn_rgb(data, epochs=20, batch=32):
    xtr, ytr, xte, yte = [torch.from_numpy(a) for a in data]
    xtr, xte = xtr.permute(0, 3, 1, 2).contiguous(), xte.permute(0, 3, 1, 2).contiguous()
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 16 * 16, 2))
    return train_classifier(model, xtr, ytr.long(), xte, yte.long(), epochs, batch)

def train_classifier(model, xtr, ytr, xte, yte, epochs, batch):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            opt.zero_grad(); loss = loss_fn(model(xtr[idx]), ytr[idx]); loss.backward(); opt.step()
    with torch.no_grad():
        acc = lambda X, Y: float((model(X).argmax(1) == Y).float().mean())
        return acc(xtr, ytr), acc(xte, yte)

if __name__ == "__main__":
    # The clock starts once the data are in memory (WORKLOADS.md: time the training, not the
    # loading), as nn-bench's runner does.
    what = sys.argv[1]
    if what in ("logistic", "deep"):
        xtr, ytr, xte, yte = [torch.from_numpy(a) for a in faces_h5()]
        X, Xt = xtr.reshape(len(xtr), -1), xte.reshape(len(xte), -1)
        Y, Yt = ytr.reshape(-1, 1), yte.reshape(-1, 1)
        t = time.perf_counter()
        if what == "logistic":
            model = torch.nn.Linear(12288, 1); torch.nn.init.zeros_(model.weight); torch.nn.init.zeros_(model.bias)
            tr, te = run_full_batch(model, X, Y, Xt, Yt, 2000, 0.005)
        else:
            dims = [12288, 20, 7, 5, 1]; layers = []
            for i in range(4):
                lin = torch.nn.Linear(dims[i], dims[i + 1]); torch.nn.init.normal_(lin.weight, std=1 / np.sqrt(dims[i])); torch.nn.init.zeros_(lin.bias)
                layers += [lin, torch.nn.ReLU()] if i < 3 else [lin]
            tr, te = run_full_batch(torch.nn.Sequential(*layers), X, Y, Xt, Yt, 2500, 0.0075)
    else:
        data = faces_h5() if what == "cnn-rgb" else mnist5k()
        t = time.perf_counter()
        tr, te = {"mlp": mlp, "cnn": cnn, "cnn-rgb": cnn_rgb}[what](data)
    print(f"{what} threads={torch.get_num_threads()} train_acc={tr:.3f} test_acc={te:.3f} seconds={time.perf_counter() - t:.3f}")
