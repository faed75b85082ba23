"""The seeds' algorithm as a course student writes it in numpy: X is (n_x, m), Z = W A + b.
Usage: python course_numpy.py logistic|deep  -> prints train/test accuracy and seconds."""
import sys, time
import numpy as np
from data import faces_h5

def sigmoid(z): return 1 / (1 + np.exp(-z))

def logistic(X, Y, Xt, Yt, iters=2000, lr=0.005):
    w = np.zeros((X.shape[0], 1), np.float32); b = 0.0; m = X.shape[1]
    for _ in range(iters):
        A = sigmoid(w.T @ X + b)
        dZ = A - Y
        w -= lr * (X @ dZ.T) / m; b -= lr * dZ.sum() / m
    acc = lambda X, Y: float(((sigmoid(w.T @ X + b) > 0.5) == Y).mean())
    return acc(X, Y), acc(Xt, Yt)

def deep(X, Y, Xt, Yt, dims=(12288, 20, 7, 5, 1), iters=2500, lr=0.0075, seed=1):
    rng = np.random.default_rng(seed); m = X.shape[1]; L = len(dims) - 1
    W = [(rng.standard_normal((dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])).astype(np.float32) for l in range(1, L + 1)]
    b = [np.zeros((dims[l], 1), np.float32) for l in range(1, L + 1)]
    def forward(X):
        A, cache = X, []
        for l in range(L):
            Z = W[l] @ A + b[l]; cache.append((A, Z))
            A = sigmoid(Z) if l == L - 1 else np.maximum(0, Z)
        return A, cache
    for _ in range(iters):
        AL, cache = forward(X)
        dZ = AL - Y
        for l in reversed(range(L)):
            A_prev, Z = cache[l]
            if l < L - 1: dZ = dA * (Z > 0)
            dW = dZ @ A_prev.T / m; db = dZ.sum(axis=1, keepdims=True) / m
            dA = W[l].T @ dZ
            W[l] -= lr * dW; b[l] -= lr * db
    acc = lambda X, Y: float(((forward(X)[0] > 0.5) == Y).mean())
    return acc(X, Y), acc(Xt, Yt)

if __name__ == "__main__":
    xtr, ytr, xte, yte = faces_h5()
    X, Xt = xtr.reshape(len(xtr), -1).T.copy(), xte.reshape(len(xte), -1).T.copy()
    Y, Yt = ytr.reshape(1, -1), yte.reshape(1, -1)
    t = time.perf_counter()
    tr, te = (logistic if sys.argv[1] == "logistic" else deep)(X, Y, Xt, Yt)
    print(f"{sys.argv[1]} train_acc={tr:.3f} test_acc={te:.3f} seconds={time.perf_counter() - t:.3f}")
