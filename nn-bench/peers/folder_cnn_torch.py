"""PyTorch reference for a small CNN on an image folder (64x64 RGB), with and without augmentation.
Usage: python folder_cnn_torch.py TRAIN_DIR TEST_DIR aug|noaug|bn SEEDS...
Threads: NN_PEER_THREADS (default 1; the README's comparison uses 2, as nn does).
Prints the seconds of training of each run beside its accuracy."""
import os, sys, time, numpy as np, torch
from PIL import Image
torch.set_num_threads(int(os.environ.get('NN_PEER_THREADS', '1')))
def load(d):
    xs, ys, classes = [], [], sorted(c for c in os.listdir(d) if not c.startswith('.'))
    for i, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(d, c))):
            try: im = Image.open(os.path.join(d, c, f)).convert('RGB').resize((64, 64), Image.BILINEAR)
            except Exception: continue
            xs.append(np.asarray(im, np.float32) / 255); ys.append(i)
    return torch.tensor(np.stack(xs)).permute(0, 3, 1, 2).contiguous(), torch.tensor(ys)
xtr, ytr = load(sys.argv[1]); xte, yte = load(sys.argv[2]); mode = sys.argv[3]
def augment(x, g):
    flip = torch.rand(len(x), generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    p = torch.nn.functional.pad(x, (4, 4, 4, 4), mode='reflect'); out = torch.empty_like(x)
    for i in range(len(x)):
        a, b = torch.randint(0, 9, (2,), generator=g)
        out[i] = p[i, :, a:a + 64, b:b + 64]
    return out
res = []
for s in [int(v) for v in sys.argv[4:]]:
    torch.manual_seed(s); g = torch.Generator().manual_seed(s)
    if mode == 'bn':
        blk = lambda i, o: [torch.nn.Conv2d(i, o, 3, padding=1), torch.nn.BatchNorm2d(o), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        m = torch.nn.Sequential(*blk(3, 16), *blk(16, 32), *blk(32, 64), torch.nn.Flatten(), torch.nn.Dropout(0.3), torch.nn.Linear(64 * 8 * 8, len(set(ytr.tolist()))))
    else:
        m = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4096, len(set(ytr.tolist()))))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3); lf = torch.nn.CrossEntropyLoss()
    epochs = 40 if mode != 'noaug' else 20
    started = time.time()
    for _ in range(epochs):
        m.train(); p = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 32):
            idx = p[i:i + 32]; xb = xtr[idx]
            if mode != 'noaug': xb = augment(xb, g)
            opt.zero_grad(); l = lf(m(xb), ytr[idx]); l.backward(); opt.step()
    seconds = time.time() - started
    m.eval()
    with torch.no_grad(): tr = float((m(xtr).argmax(1) == ytr).float().mean()); te = float((m(xte).argmax(1) == yte).float().mean())
    res.append(te); print(f"{mode} seed={s} train={tr:.3f} test={te:.3f} seconds={seconds:.1f}", flush=True)
print(f"{mode} median test {np.median(res):.3f} mean {np.mean(res):.3f}")
