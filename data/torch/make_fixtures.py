"""Golden fixtures: PyTorch's own numbers for the layers, losses, optimisers and two small
networks of nn-rs, written as small safetensors files beside this script.

Run by hand, never by CI or the Rust tests (which read the committed files and need no Python):

    ~/.venvs/peers/bin/python data/torch/make_fixtures.py

(the venv of nn-bench/README.md: numpy, safetensors and torch, CPU; the committed files were
made with torch 2.15.0). Rerunning it rewrites every file identically: each file has its own
torch.manual_seed, and everything is computed on the CPU.

What it writes (read by nn-core/tests/torch_golden.rs and nn-conv/tests/torch_golden.rs):

    dense.safetensors, dense_f32.safetensors   nn.Linear: x, weight, bias, out, d_out, d_x,
                                                d_weight, d_bias
    activations.safetensors                    {relu,leaky_relu,tanh,sigmoid,identity}.{x, out,
                                                d_out, d_x}; the leaky slope in the settings
    softmax.safetensors                        nn.Softmax(dim=1): x, out, d_out, d_x
    dropout.safetensors                        F.dropout in training: x, keep (1 kept, 0
                                                dropped, read off torch's output), out, d_out,
                                                d_x; the rate p in the settings
    batch_norm.safetensors                     {bn1d,bn2d}_{train,eval}.{x, weight, bias,
                                                running_mean, running_var (before), out, d_out,
                                                d_x, d_weight, d_bias, new_running_mean,
                                                new_running_var (after the step)}
    conv2d.safetensors, conv2d_f32.safetensors {case}.{x, weight, bias, out, d_out, d_x,
                                                d_weight, d_bias} for the cases of CONV_CASES
    pool.safetensors                           {case}.{x, out, d_out, d_x} for POOL_CASES
    flatten.safetensors                        x (NCHW, PyTorch's layout), out (torch.flatten),
                                                d_out, d_x (NCHW)
    losses.safetensors                         {bce,ce,mse}.{z, y, cost, dz}
    optimizers.safetensors                     {name}.{weight,bias}.{0,1,2,3} (values before and
                                                after each step), {name}.{weight,bias}.grad.{1,2,3}
                                                (the gradient of each step); our Optimizer's
                                                fields in the settings
    mlp.safetensors, mlp_f32.safetensors       x, y (one-hot), init.* (the initial state dict),
                                                {adam,gd}.* (after 3 full-batch steps)
    cnn.safetensors                            the same for the CNN (x channels last)

Each file's metadata is one string, "settings": a JSON object of the generator, torch's version
and the file's scalar settings (a rate, a slope, learning rates).

Layouts: every tensor is stored in *our* layout, so the Rust tests read them as they are:
batch first, images channels last (m, h, w, c), convolution weights (F, kh, kw, C). The
exceptions are flatten.safetensors (which checks the re-ordering between the two layouts, so
it keeps PyTorch's NCHW) and the state dicts of the networks, which are PyTorch's own (read by
nn_core::torch::import, compared with nn_core::torch::export). Tensors whose names start with
"d_" are gradients ∂J/∂(that tensor), where J = sum(out · d_out) for the given upstream
gradient d_out.

Costs are the nn-rs definitions (the mean over the batch of the summed loss of each example):
BCE J = −(1/m)ΣΣ[y ln σ(z) + (1−y) ln(1−σ(z))], CE J = −(1/m)ΣΣ y ln softmax(z),
MSE J = (1/m)Σ ½(z−y)², computed with torch's functions and dz by torch.autograd.
"""

import json
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
F64 = torch.float64


def save(name, tensors, **settings):
    """Writes tensors (contiguous copies) to HERE/name.safetensors, with one metadata string,
    "settings": a JSON object of `settings`, the generator and torch's version. (One string,
    since the safetensors writer orders several metadata entries differently from run to run;
    the tensors it orders by dtype and name, so the bytes are the same at every run.)"""
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    settings = {"generator": "data/torch/make_fixtures.py",
                "torch": torch.__version__.split("+")[0], **settings}
    metadata = {"settings": json.dumps(settings, sort_keys=True)}
    save_file(tensors, str(HERE / f"{name}.safetensors"), metadata=metadata)


def nhwc(t):
    return t.permute(0, 2, 3, 1)


def nchw(t):
    return t.permute(0, 3, 1, 2)


def grads_of(out, inputs, d_out):
    """∂J/∂input for J = sum(out · d_out)."""
    return torch.autograd.grad(out, inputs, grad_outputs=d_out)


# --- layers -------------------------------------------------------------------------------


def dense(dtype, name):
    torch.manual_seed(1)
    layer = nn.Linear(5, 3).to(dtype)
    x = torch.randn(4, 5, dtype=dtype, requires_grad=True)
    out = layer(x)
    d_out = torch.randn_like(out)
    d_x, d_w, d_b = grads_of(out, (x, layer.weight, layer.bias), d_out)
    save(name, {"x": x, "weight": layer.weight, "bias": layer.bias, "out": out,
                "d_out": d_out, "d_x": d_x, "d_weight": d_w, "d_bias": d_b})


def activations():
    torch.manual_seed(2)
    slope = 0.2
    functions = {
        "relu": nn.ReLU(),
        "leaky_relu": nn.LeakyReLU(negative_slope=slope),
        "tanh": nn.Tanh(),
        "sigmoid": nn.Sigmoid(),
        "identity": nn.Identity(),
    }
    tensors = {}
    for name, g in functions.items():
        x = (2 * torch.randn(3, 7, dtype=F64)).detach()
        x[0, 0] = 0.0  # the derivative at 0: both sides take the left one for (leaky) ReLU
        x.requires_grad_(True)
        out = g(x)
        d_out = torch.randn_like(out)
        (d_x,) = grads_of(out, (x,), d_out)
        tensors.update({f"{name}.x": x, f"{name}.out": out, f"{name}.d_out": d_out,
                        f"{name}.d_x": d_x})
    save("activations", tensors, leaky_relu_slope=slope)


def softmax():
    torch.manual_seed(3)
    x = (3 * torch.randn(4, 5, dtype=F64)).requires_grad_(True)
    out = nn.Softmax(dim=1)(x)
    d_out = torch.randn_like(out)
    (d_x,) = grads_of(out, (x,), d_out)
    save("softmax", {"x": x, "out": out, "d_out": d_out, "d_x": d_x})


def dropout():
    torch.manual_seed(4)
    p = 0.4
    x = torch.randn(5, 6, dtype=F64, requires_grad=True)
    out = F.dropout(x, p=p, training=True)
    keep = (out != 0).to(F64)  # x has no zero, so a zero output is a dropped unit
    assert torch.equal(out, x * keep / (1 - p))
    d_out = torch.randn_like(out)
    (d_x,) = grads_of(out, (x,), d_out)
    save("dropout", {"x": x, "keep": keep, "out": out, "d_out": d_out, "d_x": d_x}, rate=p)


def batch_norm_case(tensors, prefix, bn, x_ours, train):
    """One batch norm step; x_ours in our layout ((m, n) or (m, h, w, c))."""
    c = bn.num_features
    with torch.no_grad():
        bn.weight.copy_(1 + 0.3 * torch.randn(c, dtype=F64))
        bn.bias.copy_(0.5 * torch.randn(c, dtype=F64))
        bn.running_mean.copy_(0.2 * torch.randn(c, dtype=F64))
        bn.running_var.copy_(0.5 + torch.rand(c, dtype=F64))
    before = {"running_mean": bn.running_mean.clone(), "running_var": bn.running_var.clone()}
    bn.train(train)
    x = x_ours.clone().requires_grad_(True)
    volume = x.dim() == 4
    out = bn(nchw(x) if volume else x)
    out = nhwc(out) if volume else out
    d_out = torch.randn_like(out)
    d_x, d_w, d_b = grads_of(out, (x, bn.weight, bn.bias), d_out)
    found = {"x": x, "weight": bn.weight, "bias": bn.bias, **before, "out": out, "d_out": d_out,
             "d_x": d_x, "d_weight": d_w, "d_bias": d_b,
             "new_running_mean": bn.running_mean, "new_running_var": bn.running_var}
    tensors.update({f"{prefix}.{k}": v for k, v in found.items()})


def batch_norm():
    torch.manual_seed(5)
    tensors = {}
    for mode in ("train", "eval"):
        bn = nn.BatchNorm1d(4, eps=1e-5, momentum=0.1).to(F64)
        x = 2 + 1.5 * torch.randn(6, 4, dtype=F64)
        batch_norm_case(tensors, f"bn1d_{mode}", bn, x, mode == "train")
        bn = nn.BatchNorm2d(3, eps=1e-5, momentum=0.1).to(F64)
        x = -1 + 0.7 * torch.randn(2, 3, 4, 3, dtype=F64)  # (m, h, w, c)
        batch_norm_case(tensors, f"bn2d_{mode}", bn, x, mode == "train")
    save("batch_norm", tensors, momentum=0.1, epsilon=1e-5)


# Each case: name, (m, h, w, c) input, filters, kernel (h, w), stride (h, w), padding as
# (top, bottom, left, right) zeros, which is how nn-conv resolves it (the Rust test builds the
# same case by name, with "same" resolved by nn-conv itself: ⌈in/stride⌉ outputs, the extra
# row/column at the bottom/right).
CONV_CASES = [
    ("valid", (2, 6, 5, 3), 2, (3, 3), (1, 1), (0, 0, 0, 0)),
    ("same_odd", (2, 6, 5, 3), 2, (3, 3), (1, 1), (1, 1, 1, 1)),
    ("same_even", (2, 6, 5, 3), 2, (4, 4), (1, 1), (1, 2, 1, 2)),
    ("stride2_same", (2, 6, 5, 3), 2, (3, 3), (2, 2), (0, 1, 1, 1)),
    ("explicit", (2, 5, 5, 3), 2, (3, 3), (1, 1), (2, 0, 1, 2)),
    ("nonsquare", (2, 6, 7, 3), 3, (2, 3), (2, 1), (1, 1, 0, 0)),
    ("channels", (2, 4, 4, 5), 4, (3, 3), (1, 1), (1, 1, 1, 1)),
]


def conv2d(dtype, name):
    torch.manual_seed(6)
    tensors = {}
    for case, (m, h, w, c), filters, kernel, stride, (top, bottom, left, right) in CONV_CASES:
        # nn.Conv2d's own padding where it is symmetric, else F.pad before a valid convolution
        symmetric = top == bottom and left == right
        padding = (top, left) if symmetric else 0
        conv = nn.Conv2d(c, filters, kernel_size=kernel, stride=stride, padding=padding)
        conv = conv.to(dtype)
        x = torch.randn(m, h, w, c, dtype=dtype, requires_grad=True)
        padded = nchw(x) if symmetric else F.pad(nchw(x), (left, right, top, bottom))
        out = conv(padded)
        out = nhwc(out)
        d_out = torch.randn_like(out)
        d_x, d_w, d_b = grads_of(out, (x, conv.weight, conv.bias), d_out)
        found = {"x": x, "weight": conv.weight.permute(0, 2, 3, 1), "bias": conv.bias,
                 "out": out, "d_out": d_out, "d_x": d_x,
                 "d_weight": d_w.permute(0, 2, 3, 1), "d_bias": d_b}
        tensors.update({f"{case}.{k}": v for k, v in found.items()})
    save(name, tensors)


# name, window (h, w), stride (h, w); the input (2, 7, 6, 3) leaves a row or column that no
# window covers in some cases (dropped, as both sides do by default).
POOL_CASES = [
    ("max_2", nn.MaxPool2d, (2, 2), (2, 2)),
    ("max_3_stride_2", nn.MaxPool2d, (3, 3), (2, 2)),
    ("max_2x3_stride_1x2", nn.MaxPool2d, (2, 3), (1, 2)),
    ("avg_2", nn.AvgPool2d, (2, 2), (2, 2)),
    ("avg_3_stride_2", nn.AvgPool2d, (3, 3), (2, 2)),
    ("avg_2x3_stride_1x2", nn.AvgPool2d, (2, 3), (1, 2)),
]


def pool():
    torch.manual_seed(7)
    tensors = {}
    for case, module, window, stride in POOL_CASES:
        x = torch.randn(2, 7, 6, 3, dtype=F64, requires_grad=True)
        out = nhwc(module(kernel_size=window, stride=stride)(nchw(x)))
        d_out = torch.randn_like(out)
        (d_x,) = grads_of(out, (x,), d_out)
        tensors.update({f"{case}.x": x, f"{case}.out": out, f"{case}.d_out": d_out,
                        f"{case}.d_x": d_x})
    save("pool", tensors)


def flatten():
    torch.manual_seed(8)
    x = torch.randn(2, 3, 4, 5, dtype=F64, requires_grad=True)  # NCHW: c=3, h=4, w=5
    out = nn.Flatten()(x)
    d_out = torch.randn_like(out)
    (d_x,) = grads_of(out, (x,), d_out)
    save("flatten", {"x": x, "out": out, "d_out": d_out, "d_x": d_x})


# --- losses -------------------------------------------------------------------------------


def losses():
    torch.manual_seed(9)
    tensors = {}
    m, k = 5, 3
    z = 2 * torch.randn(m, k, dtype=F64)
    z[0, 0], z[1, 1] = 40.0, -35.0  # far into the tails: no log(0) on either side
    bce_y = torch.rand(m, k, dtype=F64)  # soft targets in [0, 1]
    bce_y[2] = torch.tensor([0.0, 1.0, 1.0], dtype=F64)
    classes = torch.tensor([0, 2, 1, 1, 2])
    ce_z = 2 * torch.randn(m, 4, dtype=F64)
    ce_z[3, 1] = 50.0
    cases = {
        "bce": (z, bce_y, lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="sum") / m),
        "ce": (ce_z, F.one_hot(classes, 4).to(F64),
               lambda z, y: F.cross_entropy(z, y, reduction="sum") / m),
        "mse": (torch.randn(m, 2, dtype=F64), torch.randn(m, 2, dtype=F64),
                lambda z, y: 0.5 * F.mse_loss(z, y, reduction="sum") / m),
    }
    for name, (z, y, cost_of) in cases.items():
        z = z.clone().requires_grad_(True)
        cost = cost_of(z, y)
        (dz,) = torch.autograd.grad(cost, (z,))
        tensors.update({f"{name}.z": z, f"{name}.y": y, f"{name}.cost": cost, f"{name}.dz": dz})
    save("losses", tensors)


# --- optimisers ---------------------------------------------------------------------------

# Our settings (nn_core::Optimizer's fields) and the torch optimiser that computes the same
# update, for a weight (decayed by AdamW) and a bias (not decayed). ε is large next to the
# gradients (≈ 0.01) so that where it is added matters.
LR, BETA, EPS, WD = 0.05, 0.8, 1e-3, 0.1
OPTIMIZERS = {
    # ours: W −= α·dW
    "gd": (dict(lr=LR), lambda groups: torch.optim.SGD(groups, lr=LR)),
    # ours: v = β·v + (1 − β)·dW; W −= α·v (v₀ = 0). Torch's buf = β·buf + dW (buf₁ = dW) is
    # v/(1 − β) at every step, so lr = α·(1 − β) gives the same W.
    "momentum": (dict(lr=LR, beta=BETA),
                 lambda groups: torch.optim.SGD(groups, lr=LR * (1 - BETA), momentum=BETA)),
    # ours and torch's: v = μ·v + dW; W −= α·(dW + μ·v)
    "nesterov": (dict(lr=LR, momentum=BETA),
                 lambda groups: torch.optim.SGD(groups, lr=LR, momentum=BETA, nesterov=True)),
    # ours and torch's: s = β·s + (1 − β)·dW²; W −= α·dW/(√s + ε) (ε outside the root)
    "rmsprop": (dict(lr=LR, beta=BETA, epsilon=EPS),
                lambda groups: torch.optim.RMSprop(groups, lr=LR, alpha=BETA, eps=EPS)),
    # ours and torch's: W −= α·m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)
    "adam": (dict(lr=LR, beta1=BETA, beta2=0.9, epsilon=EPS),
             lambda groups: torch.optim.Adam(groups, lr=LR, betas=(BETA, 0.9), eps=EPS)),
    # ours and torch's: W ← (1 − α·λ)·W, then Adam's step; weights only (the bias's group has
    # no decay)
    "adamw": (dict(lr=LR, beta1=BETA, beta2=0.9, epsilon=EPS, weight_decay=WD),
              lambda groups: torch.optim.AdamW(groups, lr=LR, betas=(BETA, 0.9), eps=EPS,
                                               weight_decay=WD)),
}


def optimizers():
    torch.manual_seed(10)
    tensors, settings = {}, {}
    for name, (ours, make) in OPTIMIZERS.items():
        w = torch.randn(3, 4, dtype=F64).requires_grad_(True)
        b = torch.randn(4, dtype=F64).requires_grad_(True)
        params = {"weight": w, "bias": b}
        groups = [{"params": [w]}, {"params": [b], "weight_decay": 0.0}]
        opt = make(groups)
        for p_name, p in params.items():
            tensors[f"{name}.{p_name}.0"] = p.detach().clone()
        for step in (1, 2, 3):
            for p_name, p in params.items():
                p.grad = 0.01 * torch.randn_like(p) * step
                tensors[f"{name}.{p_name}.grad.{step}"] = p.grad.clone()
            opt.step()
            for p_name, p in params.items():
                tensors[f"{name}.{p_name}.{step}"] = p.detach().clone()
        settings[name] = ours
    save("optimizers", tensors, optimizers=settings)


# --- networks -----------------------------------------------------------------------------


def train(model, x, y, opt, steps=3):
    """Full-batch steps on the mean cross-entropy (torch's mean over the batch)."""
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


# The networks' runs: 3 full-batch steps of Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, the defaults
# on both sides) or of plain gradient descent, from the same initial state.
NETWORK_OPTIMIZERS = {"adam": torch.optim.Adam, "gd": torch.optim.SGD}


def network(name, make_model, x_torch, x_saved, y, dtype, rates):
    """The data, the initial state dict, and the state dict after 3 steps of each optimiser of
    `rates` (its name in NETWORK_OPTIMIZERS: its learning rate)."""
    tensors = {"x": x_saved, "y": y}
    torch.manual_seed(11)
    initial = make_model().to(dtype).state_dict()
    tensors.update({f"init.{k}": v for k, v in initial.items()})
    for run, lr in rates.items():
        model = make_model().to(dtype)
        model.load_state_dict(initial)
        model.train()
        train(model, x_torch, y, NETWORK_OPTIMIZERS[run](model.parameters(), lr=lr))
        tensors.update({f"{run}.{k}": v for k, v in model.state_dict().items()})
    save(name, tensors, steps=3, lr=rates)


def mlp(dtype, name):
    torch.manual_seed(12)
    x = torch.randn(10, 5, dtype=dtype)
    y = F.one_hot(torch.randint(0, 3, (10,)), 3).to(dtype)

    def model():
        return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(),
                             nn.Linear(4, 3))

    network(name, model, x, x, y, dtype, {"adam": 0.01, "gd": 0.5})


def cnn_model():
    # conv 3×3 "same" 4 filters, batch norm, ReLU, max-pool 2, flatten (c, h, w), batch norm
    # of the 64 flat features (its vectors follow the flatten order), dense 3
    model = nn.Sequential(nn.Conv2d(3, 4, kernel_size=3, padding=1), nn.BatchNorm2d(4),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.BatchNorm1d(64),
                          nn.Linear(64, 3))
    with torch.no_grad():  # running statistics other than the defaults, to see them imported
        for bn in (model[1], model[5]):
            bn.running_mean.copy_(0.1 * torch.randn(bn.num_features))
            bn.running_var.copy_(0.8 + 0.4 * torch.rand(bn.num_features))
    return model


def cnn():
    torch.manual_seed(13)
    x = torch.randn(6, 8, 8, 3, dtype=F64)  # ours: (m, h, w, c)
    y = F.one_hot(torch.tensor([0, 1, 2, 2, 1, 0]), 3).to(F64)
    network("cnn", cnn_model, nchw(x), x, y, F64, {"adam": 0.01, "gd": 0.1})


def main():
    torch.set_num_threads(1)
    dense(F64, "dense")
    dense(torch.float32, "dense_f32")
    activations()
    softmax()
    dropout()
    batch_norm()
    conv2d(F64, "conv2d")
    conv2d(torch.float32, "conv2d_f32")
    pool()
    flatten()
    losses()
    optimizers()
    mlp(F64, "mlp")
    mlp(torch.float32, "mlp_f32")
    cnn()
    for f in sorted(HERE.glob("*.safetensors")):
        print(f"{f.name:28} {f.stat().st_size:7} bytes")


if __name__ == "__main__":
    main()
