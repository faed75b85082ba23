"""{{TITLE}}, exported for PyTorch by `nn export`.

    import model
    net = model.build()                        # the nn.Sequential, weights loaded, eval mode
    x = model.prepare(["cat.jpg", "dog.png"])  # nn's preparation of the inputs
    p = model.predict_proba(net, x)            # the probabilities `nn predict` gives
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


def prepare(inputs):
    """nn's preparation of `inputs`, as a tensor for the network of `build()`.

    `inputs`: image files or PIL images (if IMAGE_SIZE is set), or an array of examples as nn
    takes them, (m, *INPUT_SHAPE) or one INPUT_SHAPE: pixel values 0-255 or raw features.
    Scaled, standardised, and for images made channels-first (m, c, h, w)."""
    if isinstance(inputs, (np.ndarray, torch.Tensor)) or IMAGE_SIZE is None:
        x = np.asarray(inputs, dtype=np.float32)
    else:
        x = np.stack([_pixels(i) for i in inputs]).astype(np.float32)
    size = int(np.prod(INPUT_SHAPE))
    if x.size % size != 0:
        raise ValueError(f"inputs of shape {x.shape} are not examples of shape {INPUT_SHAPE}")
    x = x.reshape(-1, size) * SCALE
    if MEAN is not None:
        x = (x - MEAN) / STD
    x = x.reshape((-1,) + tuple(INPUT_SHAPE))
    if len(INPUT_SHAPE) == 3:
        x = x.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(x)).to(DTYPE)


def predict_proba(net, x):
    """nn's outputs for prepared inputs `x`, in eval mode: probabilities (sigmoid of one
    output, softmax of several) or, for a regression, the values."""
    training = net.training
    net.eval()
    with torch.no_grad():
        z = net(x)
    net.train(training)
    if OUTPUT == "sigmoid":
        return torch.sigmoid(z)
    if OUTPUT == "softmax":
        return torch.softmax(z, dim=1)
    return z


def save(net, path):
    """Writes the network's state dict as a safetensors file, for `nn import`."""
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, path)
