"""{{TITLE}}, exported for PyTorch by `nn export`.

    import model
    net = model.build()                        # the nn.Sequential, weights loaded, eval mode
    x = model.prepare(["cat.jpg", "dog.png"])  # nn's preparation of the inputs
    p = model.predict_proba(net, x)            # (m, classes): the probabilities `nn predict` gives
    [model.CLASSES[i] for i in p.argmax(1)]

The network ends with logits, as nn's losses take them: fine-tune it with
torch.nn.{{TORCH_LOSS}}, then `model.save(net, "tuned.safetensors")` and bring it back with
`nn import tuned.safetensors --model MODEL.nn --save tuned.nn` (MODEL.nn: the model exported).
Needs torch, numpy and safetensors; pillow for image files.
"""

import base64
import os

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn


def _floats(text):
    """float32 values stored as base64 of their little-endian bytes (None stays None)."""
    return None if text is None else np.frombuffer(base64.b64decode(text), dtype="<f4")


#: The class names, indexed by label.
CLASSES = {{CLASSES}}
#: One example as nn takes it, channels last: (h, w, c) for images, (n,) for features.
INPUT_SHAPE = {{INPUT_SHAPE}}
#: The columns of a CSV table the features come from, in order (None for other data).
FEATURES = {{FEATURES}}
#: Image files are resized to (width, height); None: the inputs are arrays, not image files.
IMAGE_SIZE = {{IMAGE_SIZE}}
#: The colour channels of image files: "RGB" or "L" (gray).
COLOR = {{COLOR}}
#: Every value is multiplied by this (1/255 for pixels) ...
SCALE = np.float32({{SCALE}})
#: ... then standardised with the training data's statistics per feature (in nn's flat order,
#: channels last), or not at all (None).
MEAN = _floats({{MEAN}})
STD = _floats({{STD}})
#: What turns the logits into nn's outputs: "sigmoid", "softmax" or "identity".
OUTPUT = {{OUTPUT}}
#: The precision of the weights.
DTYPE = {{DTYPE}}


class PadConv2d(nn.Conv2d):
    """A Conv2d with zero padding pad=(left, right, top, bottom), unequal on opposite sides
    (nn's "same" padding with an even kernel puts the extra row and column bottom and right)."""

    def __init__(self, *args, pad, **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, x):
        return super().forward(F.pad(x, self.pad))


def build(weights=None):
    """The network as an nn.Sequential in eval mode, with the exported weights (or those of
    the safetensors file `weights`, as `save` writes them)."""
    net = nn.Sequential(
{{MODULES}}
    )
    here = os.path.dirname(os.path.abspath(__file__))
    net.to(DTYPE)
    net.load_state_dict(load_file(weights or os.path.join(here, "model.safetensors")))
    return net.eval()


def _pixels(image):
    """One image file or PIL image as nn reads it: (h, w, c) bytes at IMAGE_SIZE."""
    from PIL import Image

    if not isinstance(image, Image.Image):
        image = Image.open(image)
    image = image.convert("RGB")
    if image.size != IMAGE_SIZE:
        # nn resizes with a bilinear (triangle) filter too; pixels can differ by a few levels.
        image = image.resize(IMAGE_SIZE, Image.BILINEAR)
    rgb = np.asarray(image, dtype=np.uint32)
    if COLOR == "L":
        # nn's gray: the Rec. 709 luma of the RGB bytes, truncated.
        luma = (rgb[..., 0] * 2126 + rgb[..., 1] * 7152 + rgb[..., 2] * 722) // 10000
        return luma.astype(np.uint8)[..., None]
    return rgb.astype(np.uint8)


def _examples(inputs):
    """`inputs` as a float32 array of examples, decoding image files and PIL images."""
    if isinstance(inputs, torch.Tensor):
        inputs = inputs.detach().cpu().numpy()
    if hasattr(inputs, "to_numpy"):  # a pandas DataFrame or Series
        inputs = inputs.to_numpy()
    if isinstance(inputs, (str, os.PathLike)) or type(inputs).__module__.startswith("PIL"):
        inputs = [inputs]
    if isinstance(inputs, np.ndarray):
        return inputs.astype(np.float32)
    items = [i.detach().cpu().numpy() if isinstance(i, torch.Tensor) else i for i in inputs]
    if not items:
        raise ValueError("no inputs to prepare")
    if all(isinstance(i, np.ndarray) for i in items) or IMAGE_SIZE is None:
        if any(isinstance(i, (str, os.PathLike)) for i in items):
            raise ValueError("this model takes arrays of features (FEATURES), not files")
        return np.asarray(items, dtype=np.float32)
    return np.stack([_pixels(i) for i in items]).astype(np.float32)


def prepare(inputs):
    """nn's preparation of `inputs`, as a tensor for the network of `build()`.

    `inputs`: image files (paths) or PIL images, one or a list, if IMAGE_SIZE is set; or an
    array (or tensor, or list of them) of examples as nn takes them, channels last:
    (m, *INPUT_SHAPE) or one INPUT_SHAPE, of pixel values 0-255 or raw features (a CSV
    table's FEATURES, in order). Scaled, standardised, and for images made channels-first
    (m, c, h, w)."""
    x = _examples(inputs)
    shape = tuple(INPUT_SHAPE)
    if x.shape == shape:
        x = x[None]
    elif shape == (1,) and x.ndim == 1:
        x = x[:, None]  # one value for each of several examples
    if x.size == 0 or x.shape[1:] != shape:
        hint = ""
        if len(shape) == 3 and x.shape[-3:] == (shape[2], shape[0], shape[1]):
            hint = " (these look channels first: give (m, h, w, c), as nn takes them)"
        raise ValueError(f"inputs of shape {x.shape} are not examples of shape {shape}{hint}")
    x = x.reshape(len(x), -1) * SCALE
    if MEAN is not None:
        x = (x - MEAN) / STD
    x = x.reshape((-1,) + shape)
    if len(shape) == 3:
        x = x.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(x)).to(DTYPE)


def predict_proba(net, x):
    """nn's outputs for prepared inputs `x`, in eval mode: the probability of each class,
    (m, len(CLASSES)), as `nn predict` gives them (a single sigmoid output z gives the two
    columns 1 - sigmoid(z) and sigmoid(z)), or, for a regression, the values."""
    training = net.training
    net.eval()
    with torch.no_grad():
        z = net(x)
    net.train(training)
    if OUTPUT == "sigmoid":
        p = torch.sigmoid(z)
        return torch.cat([1 - p, p], dim=1) if p.shape[1] == 1 else p
    if OUTPUT == "softmax":
        return torch.softmax(z, dim=1)
    return z


def save(net, path):
    """Writes the network's state dict as a safetensors file, for `nn import`."""
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, path)
