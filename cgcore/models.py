"""The networks of Sec. III: TaylorNets (Figs 5 and 12) and the 7x7 MNIST residual network.

A TaylorNet is convolutions, CG operations (:class:`~cgcore.layers.CG2d`) and a final
linear layer, with no activation function anywhere. With ``norm="batch"`` a BatchNorm2d
follows every convolution and CG; in eval mode it is an affine map, so the trained network
is still a polynomial of its input. ``cg_as_conv=True`` is the ablation of Sec. III: every
CG becomes an ``nn.Conv2d`` of the same shape, and the network is then affine in its input.

Notation of the figures: Conv(l1, l2, c, s1, s2, p) and CG(l1, l2, c, s1, s2[, d]) are a
l1 x l2 kernel, c output channels, stride s1 x s2, padding p, dilation d.

Parameter counts (``count_parameters``, norm="batch"; the paper's figures in brackets):

===================  ============  ============  ============  ============
model                factorised    factorised    full          cg_as_conv
                     rank 1        rank 2        (Eq. 4)       (no CG)
===================  ============  ============  ============  ============
taylornet_mnist        311,882       442,954      8,602,186      180,810
taylornet_mnist7       237,770       368,842      8,528,074      106,698    [248 k]
taylornet_cifar10    1,099,722     1,558,474     55,281,610      640,970    [1.2 M]
resnet_mnist7        1,300,426                                              [1.3 M]
===================  ============  ============  ============  ============

norm=None removes the BatchNorm scales and shifts: 1,024, 768 and 2,048 parameters fewer.
The default, factorised rank 1, is the option closest to the paper for both counts it
states (-4 % for 7x7 MNIST, -8 % for CIFAR-10); rank 2 overshoots (+49 %, +30 %) and the
full Eq. (4) is 34-46 times too large: the paper's counts rule out the full quadratic form
over 64- and 128-channel clusters.
"""

from __future__ import annotations

import bisect
import copy
import math

from collections import OrderedDict

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from cgcore.checks import check_choice
from cgcore.layers import CG2d

NORMS = ("batch", None)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (works on meta-device models too)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def multiply_adds(model: nn.Module, input_shape) -> int:
    """Multiply-adds of one forward pass of one input of ``input_shape`` (channels, height,
    width): every convolution and linear layer, and the products of the CG layers (one
    multiply per factor beyond the first, per rank and output value); batch norm, ReLU and
    additions are left out. Runs a copy on the meta device, so it costs no arithmetic and
    leaves ``model`` as it was."""
    total = 0
    model = copy.deepcopy(model).eval()

    def count(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            total += output.numel() * module.in_channels // module.groups * math.prod(module.kernel_size)
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features
        elif isinstance(module, CG2d) and module.parameterisation == "factorised" and module.order > 1:
            # one convolution computes the linear and all factor maps (not through their modules)
            maps = module.out_channels + sum(f.out_channels for f in module.factors)
            positions = output.numel() // module.out_channels
            total += positions * maps * module.in_channels * math.prod(module.kernel_size)
            total += output.numel() * module.rank * sum(degree - 1 for degree in range(2, module.order + 1))
        elif isinstance(module, CCPBlock):
            total += output.numel() * (len(module.factors) - 1)

    with torch.device("meta"):
        hooks = [m.register_forward_hook(count) for m in model.modules()]
        try:
            model.to("meta")(torch.zeros(1, *input_shape))
        finally:
            for hook in hooks:
                hook.remove()
    return int(total)


class _Builder:
    """Collects the named layers of a TaylorNet, each followed by its normalisation."""

    def __init__(self, in_channels: int, parameterisation: str, rank: int, norm, cg_as_conv: bool,
                 relu: bool = False, width: float = 1.0):
        check_choice("norm", norm, NORMS)
        if not isinstance(cg_as_conv, bool):
            raise ValueError(f"cg_as_conv must be True or False, got {cg_as_conv!r}")
        if relu and not cg_as_conv:
            raise ValueError("relu=True puts a ReLU after the convolution that replaces each CG: it needs "
                             "cg_as_conv=True")
        if width <= 0:
            raise ValueError(f"width must be > 0 (a multiplier of every layer's channels), got {width!r}")
        self.relu, self.width = relu, width
        # Build one CG to validate parameterisation and rank even when cg_as_conv is set.
        CG2d(1, 1, parameterisation=parameterisation, rank=rank)
        self.channels = in_channels
        self.parameterisation, self.rank, self.norm, self.cg_as_conv = parameterisation, rank, norm, cg_as_conv
        self.layers: OrderedDict[str, nn.Module] = OrderedDict()

    def _add(self, name: str, layer: nn.Module, out_channels: int, relu: bool = False) -> None:
        self.layers[name] = layer
        if self.norm == "batch":
            self.layers[f"{name}_bn"] = nn.BatchNorm2d(out_channels)
        if relu:
            self.layers[f"{name}_relu"] = nn.ReLU()
        self.channels = out_channels

    def conv(self, name: str, out_channels: int, kernel_size=3, stride=1, padding=1) -> None:
        out_channels = max(1, round(out_channels * self.width))
        self._add(name, nn.Conv2d(self.channels, out_channels, kernel_size, stride, padding), out_channels)

    def cg(self, name: str, out_channels: int, kernel_size=2, stride=None, dilation=1) -> None:
        stride = kernel_size if stride is None else stride
        out_channels = max(1, round(out_channels * self.width))
        if self.cg_as_conv:
            layer = nn.Conv2d(self.channels, out_channels, kernel_size, stride, dilation=dilation)
        else:
            layer = CG2d(self.channels, out_channels, kernel_size, stride, dilation=dilation,
                         parameterisation=self.parameterisation, rank=self.rank)
        self._add(name, layer, out_channels, relu=self.relu)

    def classifier(self, spatial: int, num_classes: int = 10) -> nn.Sequential:
        self.layers["flatten"] = nn.Flatten()
        self.layers["fc"] = nn.Linear(self.channels * spatial * spatial, num_classes)
        return nn.Sequential(self.layers)


DICG_PLACEMENTS = ("after_cg2", "between_cgs")


def taylornet_mnist(parameterisation: str = "factorised", rank: int = 1, norm="batch",
                    cg_as_conv: bool = False, dicg_dilations=None, dicg_placement: str = "between_cgs",
                    relu: bool = False, width: float = 1.0) -> nn.Sequential:
    """Fig. 5, 1x28x28 MNIST. The text fixes the end point (the linear layer sees 2x2
    variables); the caption gives diCG1 = CG(2,2,64,1,1,7) and diCG2 = CG(2,2,64,1,1,3),
    but the figure's order of layers is not in the text. Two placements (``dicg_placement``;
    ``dicg_dilations`` defaults to (7, 3) between the CGs and (3, 2) after CG2):

    * ``"between_cgs"`` (default): the diCGs between CG1 and CG2, after the second pair of
      convolutions:
        ... -CG1-> 14x14 -Conv x2-> 14x14 -diCG1-> 7x7 -diCG2-> 4x4 -CG2-> 2x2x64 -> 10
      where the caption's dilations (7, 3) fit exactly: 14 - 7 - 3 = 4, halved to 2.
    * ``"after_cg2"``:
        28x28x1 -Conv(3,3,64,1,1,1)x2-> 28x28x64 -CG(2,2,64,2,2)-> 14x14x64
        -Conv x2-> 14x14x64 -CG(2,2,64,2,2)-> 7x7x64 -diCG1-> 4x4x64 -diCG2-> 2x2x64 -> 10
      Here the caption's dilations cannot apply (a 2x2 kernel of dilation 7 spans 8 cells of
      the 7x7 map): unpadded stride-1 diCGs take 7 -> 7 - d1 -> 7 - d1 - d2, so d1 + d2 = 5.
      We read them as (3, 2): both genuinely dilated, decreasing like Fig. 12's (4, 2), and
      together covering every row and column of the 7x7 map ((4, 1) never sees row 3; (2, 3)
      sees the same cells).
    """
    check_choice("dicg_placement", dicg_placement, DICG_PLACEMENTS)
    if dicg_dilations is None:
        dicg_dilations = (7, 3) if dicg_placement == "between_cgs" else (3, 2)
    dilations = tuple(dicg_dilations)
    start = 7 if dicg_placement == "after_cg2" else 14
    end = 2 if dicg_placement == "after_cg2" else 4
    if len(dilations) != 2 or start - sum(dilations) != end or min(dilations) < 1:
        raise ValueError(f"dicg_dilations must be a pair summing to {start - end} with dicg_placement="
                         f"{dicg_placement!r}, so that the map ends at 2x2; got {dicg_dilations!r}")
    b = _Builder(1, parameterisation, rank, norm, cg_as_conv, relu, width)
    b.conv("conv1", 64)
    b.conv("conv2", 64)
    b.cg("cg1", 64, stride=2)
    b.conv("conv3", 64)
    b.conv("conv4", 64)
    if dicg_placement == "after_cg2":
        b.cg("cg2", 64, stride=2)
    b.cg("dicg1", 64, stride=1, dilation=dilations[0])
    b.cg("dicg2", 64, stride=1, dilation=dilations[1])
    if dicg_placement == "between_cgs":
        b.cg("cg2", 64, stride=2)
    return b.classifier(spatial=2)


def taylornet_mnist7(parameterisation: str = "factorised", rank: int = 1, norm="batch",
                     cg_as_conv: bool = False, relu: bool = False, width: float = 1.0) -> nn.Sequential:
    """Fig. 5 adapted to 1x7x7 MNIST (the paper gives only '97.9 % with about 248 thousand
    parameters'):

        7x7x1 -Conv(3,3,64,1,1,1)x2-> 7x7x64 -CG(2,2,64,1,1)-> 6x6 -CG(2,2,64,1,1)-> 5x5
        -CG(2,2,64,1,1)-> 4x4 -diCG(2,2,64,1,1,2)-> 2x2x64 -> 10

    A 7x7 map has no room for Fig. 5's two stride-2 CGs, so the four CGs have stride 1
    (overlapping clusters) and the last is dilated; like Fig. 5 it keeps four order-2 CGs
    (degree 16 in the input) and ends with a linear layer on 2x2 variables. 237,770
    parameters by default (4 % below the paper's 248 k); a third convolution would overshoot
    to 274,826.
    """
    b = _Builder(1, parameterisation, rank, norm, cg_as_conv, relu, width)
    b.conv("conv1", 64)
    b.conv("conv2", 64)
    b.cg("cg1", 64, stride=1)
    b.cg("cg2", 64, stride=1)
    b.cg("cg3", 64, stride=1)
    b.cg("dicg1", 64, stride=1, dilation=2)
    return b.classifier(spatial=2)


def taylornet_cifar10(parameterisation: str = "factorised", rank: int = 1, norm="batch",
                      cg_as_conv: bool = False, relu: bool = False, width: float = 1.0) -> nn.Sequential:
    """Fig. 12, 3x32x32 CIFAR-10:

        32x32x3 -Conv1,Conv2 (3,3,64,1,1,1)-> 32x32x64 -CG1-> 16x16 -CG2-> 8x8x64
        -Conv3..Conv5 (3,3,128,1,1,1)-> 8x8x128 -CG3(2,2,128,1,1)-> 7x7
        -diCG1(2,2,128,1,1,4)-> 3x3 -diCG2(2,2,128,1,1,2)-> 1x1x128 -> 10

    CG1, CG2 are CG(2,2,64,2,2). 1,099,722 parameters by default (paper: 1.2 M).
    """
    b = _Builder(3, parameterisation, rank, norm, cg_as_conv, relu, width)
    b.conv("conv1", 64)
    b.conv("conv2", 64)
    b.cg("cg1", 64, stride=2)
    b.cg("cg2", 64, stride=2)
    b.conv("conv3", 128)
    b.conv("conv4", 128)
    b.conv("conv5", 128)
    b.cg("cg3", 128, stride=1)
    b.cg("dicg1", 128, stride=1, dilation=4)
    b.cg("dicg2", 128, stride=1, dilation=2)
    return b.classifier(spatial=1)


def closest_width(count_at, widths: list, target: int) -> tuple:
    """(width, count): the first of ``widths`` (ascending) whose ``count_at(width)`` is closest
    to ``target``, as ``min(widths, key=lambda w: abs(count_at(w) - target))`` finds it, for a
    count that never falls as the width grows (a network's parameters): by bisection, a dozen
    networks built instead of one per width."""
    counts = {}

    def count(width):
        if width not in counts:
            counts[width] = count_at(width)
        return counts[width]

    above = bisect.bisect_left(widths, target, key=count)        # the first width counting >= target
    candidates = [widths[above]] if above < len(widths) else []
    if above > 0:    # below: the first width with the count just under the target (ties go to the first)
        candidates.insert(0, widths[bisect.bisect_left(widths, count(widths[above - 1]), key=count)])
    width = min(candidates, key=lambda w: abs(count(w) - target))
    return width, count(width)


def relu_twin(builder, tolerance: float = 0.05, **kwargs) -> tuple[nn.Sequential, float]:
    """The ReLU CNN beside a TaylorNet (the comparison beyond the paper): ``builder``'s layout
    with every CG replaced by a convolution of its geometry followed by a ReLU, every layer's
    channels multiplied by the width (a multiple of 1/64) that brings its parameter count
    closest to the TaylorNet's. Returns (network, width); raises when no width comes within
    ``tolerance``."""
    with torch.device("meta"):
        target = count_parameters(builder(**kwargs))
        width, count = closest_width(
            lambda w: count_parameters(builder(**kwargs, cg_as_conv=True, relu=True, width=w)),
            [w / 64 for w in range(32, 257)], target)
    if abs(count - target) > tolerance * target:
        raise ValueError(f"no width brings the ReLU twin of {builder.__name__} within {tolerance:.0%} of its "
                         f"{target:,} parameters (closest: {count:,} at width {width})")
    return builder(**kwargs, cg_as_conv=True, relu=True, width=width), width


class CCPBlock(nn.Module):
    """One polynomial block in the CCP form of Chrysos et al., "Π-nets: Deep Polynomial
    Neural Networks" (CVPR 2020), with convolutions for the factor matrices U_n:

        x_1 = U_1 z,   x_n = (U_n z) * x_{n-1} + x_{n-1}   (n = 2 .. degree)

    so the block's output is a polynomial of degree ``degree`` in its input z, followed by
    batch norm (affine in eval mode). Written from the paper's recursion, not their code."""

    def __init__(self, in_channels: int, out_channels: int, degree: int = 2, stride: int = 1, norm="batch"):
        super().__init__()
        check_choice("norm", norm, NORMS)
        if degree < 1:
            raise ValueError(f"degree must be >= 1, got {degree}")
        self.factors = nn.ModuleList(nn.Conv2d(in_channels, out_channels, 3, stride, 1) for _ in range(degree))
        self.norm = nn.BatchNorm2d(out_channels) if norm == "batch" else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.factors[0](z)
        for u in self.factors[1:]:
            x = u(z) * x + x
        return self.norm(x)


def pinet_ccp(in_channels: int = 1, image_size: int = 28, width: int = 64, blocks: int = 4, degree: int = 2,
              num_classes: int = 10, norm="batch") -> nn.Sequential:
    """A Π-net-style polynomial network: ``blocks`` CCP blocks of ``degree`` (the first at
    stride 1, the others at stride 2 while the map is larger than 2x2), then a linear layer:
    a polynomial of degree degree^blocks in the input, like a TaylorNet of log2 of that many
    CG layers (the default, 4 blocks of degree 2, has the degree 16 of Figs. 5 and 12)."""
    layers, size, channels = OrderedDict(), image_size, in_channels
    for k in range(blocks):
        stride = 2 if k > 0 and size > 2 else 1
        layers[f"ccp{k + 1}"] = CCPBlock(channels, width, degree, stride, norm)
        size, channels = (size + 2 - 3) // stride + 1, width
    layers["flatten"] = nn.Flatten()
    layers["fc"] = nn.Linear(width * size * size, num_classes)
    return nn.Sequential(layers)


def pinet_twin(builder, in_channels: int, image_size: int, tolerance: float = 0.05,
               **kwargs) -> tuple[nn.Sequential, int]:
    """The :func:`pinet_ccp` network with the TaylorNet's degree (2^L, L its CG layers) and the
    width that brings its parameter count closest to ``builder(**kwargs)``'s. Returns
    (network, width); raises when no width comes within ``tolerance``."""
    with torch.device("meta"):
        taylornet = builder(**kwargs)
        target = count_parameters(taylornet)
        cg_layers = sum(isinstance(m, CG2d) for m in taylornet.modules())
        width, count = closest_width(lambda w: count_parameters(pinet_ccp(in_channels, image_size, w,
                                                                          blocks=cg_layers)),
                                     list(range(8, 513)), target)
    if abs(count - target) > tolerance * target:
        raise ValueError(f"no width brings the Π-net twin of {builder.__name__} within {tolerance:.0%} of its "
                         f"{target:,} parameters (closest: {count:,} at width {width})")
    return pinet_ccp(in_channels, image_size, width, blocks=cg_layers), width


def _resnet_stage(in_channels: int, out_channels: int, blocks: int, stride: int) -> list[nn.Module]:
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                   nn.BatchNorm2d(out_channels))
    return ([BasicBlock(in_channels, out_channels, stride, downsample)]
            + [BasicBlock(out_channels, out_channels) for _ in range(blocks - 1)])


def resnet_mnist7(num_classes: int = 10) -> nn.Sequential:
    """The residual network of Sec. III on 1x7x7 MNIST ('1.3 million parameters').

    torchvision's BasicBlock in three stages, widths (64, 128, 256) with (2, 1, 1) blocks,
    7x7 -> 7x7 -> 4x4 -> 2x2, then global average pooling and a linear layer. The ImageNet
    stem (7x7 stride-2 conv and max pooling) would leave nothing of a 7x7 image, so the stem
    is a 3x3 stride-1 convolution. 1,300,426 parameters.
    """
    layers = [nn.Conv2d(1, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True)]
    layers += _resnet_stage(64, 64, blocks=2, stride=1)
    layers += _resnet_stage(64, 128, blocks=1, stride=2)
    layers += _resnet_stage(128, 256, blocks=1, stride=2)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, num_classes)]
    return nn.Sequential(*layers)


def paper_notation(layer: nn.Module) -> str:
    """A layer in the notation of Figs. 5 and 12: Conv(l1, l2, c, s1, s2, p),
    CG(l1, l2, c, s1, s2[, d]) (d = dilation), and plain names for the rest."""
    if isinstance(layer, CG2d):
        (k1, k2), (s1, s2), (d, _) = layer.kernel_size, layer.stride, layer.dilation
        return f"CG({k1},{k2},{layer.out_channels},{s1},{s2}" + (f",{d})" if d != 1 else ")")
    if isinstance(layer, nn.Conv2d):
        (k1, k2), (s1, s2), (p, _), (d, _) = layer.kernel_size, layer.stride, layer.padding, layer.dilation
        tail = f",{p}" if p or d != 1 else ""
        return (f"Conv({k1},{k2},{layer.out_channels},{s1},{s2}{tail})"
                + (f" dilation {d}" if d != 1 else ""))
    if isinstance(layer, nn.Linear):
        return f"Linear({layer.in_features} -> {layer.out_features})"
    return type(layer).__name__


def layer_table(model: nn.Sequential, input_shape) -> list[dict]:
    """One row per top-level layer of a TaylorNet (its BatchNorm folded into the row of the
    layer it follows): name, the layer in the figures' notation, the output shape for one
    input of ``input_shape`` (C, H, W), and the parameter count."""
    import torch

    rows = []
    was_training = model.training
    model.eval()
    x = torch.zeros(1, *input_shape)
    with torch.no_grad():
        for name, layer in model.named_children():
            x = layer(x)
            if isinstance(layer, nn.BatchNorm2d) and rows:
                rows[-1]["operation"] += " + BN"
                rows[-1]["parameters"] += count_parameters(layer)
                continue
            rows.append({"layer": name, "operation": paper_notation(layer),
                         "output": "x".join(map(str, x.shape[1:])), "parameters": count_parameters(layer)})
    model.train(was_training)
    return rows


# --------------------------------------------------------------------------- Sec. IV

def distill_convnet(in_channels: int = 1, image_size: int = 28, width: int = 128, depth: int = 3,
                    num_classes: int | None = None) -> nn.Sequential:
    """Fig. 8: the embedding network of the distillation (the ConvNet of Ref. 63).

    ``depth`` blocks of Conv 3x3 -> instance norm (affine) -> ReLU -> 2x2 average pooling.
    Fig. 8's Conv1 is Conv(3,3,128,1,1,3): padding 3 on 28x28 MNIST (28 -> 32), so that
    three poolings leave 4x4 = 16 positions of ``width`` channels, "a vector with length 16
    and channels 128"; a 32x32 input gets padding 1. With ``num_classes`` a linear layer
    follows (the classifier of the distillation literature's evaluation).
    """
    if image_size not in (28, 32):
        raise ValueError(f"distill_convnet takes 28x28 or 32x32 images, got {image_size}x{image_size}")
    if depth < 1 or width < 1:
        raise ValueError(f"depth and width must be >= 1, got depth={depth}, width={width}")
    layers, channels, size = [], in_channels, image_size
    for block in range(depth):
        padding = 3 if block == 0 and image_size == 28 else 1
        size = (size + 2 * padding - 2) // 2
        layers += [nn.Conv2d(channels, width, 3, 1, padding), nn.InstanceNorm2d(width, affine=True),
                   nn.ReLU(inplace=True), nn.AvgPool2d(2)]
        channels = width
    layers.append(nn.Flatten())
    if num_classes is not None:
        layers.append(nn.Linear(width * size * size, num_classes))
    return nn.Sequential(*layers)


RESNET_ARCHS = ("resnet18", "resnet34", "resnet50")
RESNET_STEMS = ("imagenet", "small")


def resnet_small_input(arch: str = "resnet18", in_channels: int = 1, num_classes: int = 10,
                       stem: str = "small", stem_stride: int = 1):
    """A torchvision ResNet for 28x28 / 32x32 images (Sec. IV's backbones).

    ``stem="small"`` replaces the ImageNet stem (7x7 stride-2 conv and max pooling, which
    shrink a 32x32 image to 8x8 before the first block) by a 3x3 convolution of stride
    ``stem_stride`` and no pooling; ``"imagenet"`` keeps torchvision's stem and only changes
    its input channels.
    """
    import torchvision

    check_choice("arch", arch, RESNET_ARCHS)
    check_choice("stem", stem, RESNET_STEMS)
    model = getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)
    if stem == "small":
        model.conv1 = nn.Conv2d(in_channels, 64, 3, stem_stride, 1, bias=False)
        model.maxpool = nn.Identity()
    else:
        model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    return model


# --------------------------------------------------------------------------- a fast CIFAR-10 backbone

def _conv_group(in_channels: int, out_channels: int) -> nn.Sequential:
    """conv 3x3 -> max-pool 2 -> BN -> GELU -> conv 3x3 -> BN -> GELU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.MaxPool2d(2),
        nn.BatchNorm2d(out_channels), nn.GELU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.GELU())


def fast_cifar_net(in_channels: int = 3, num_classes: int = 10, widths=(64, 256, 256)) -> nn.Sequential:
    """A small residual-free CIFAR-10 network in the shape of the fast-training literature
    (airbench94, Jordan 2024, arXiv 2404.00498; itself after hlb-cifar10): a 2x2 "whitening"
    convolution with no padding (its 2 x 12 filters are set from the data by
    :func:`init_whitening` and stay fixed; only their bias learns), GELU, three conv groups
    (:func:`_conv_group`) 32 -> 31 -> 15 -> 7 -> 3, a 3x3 max-pool to one position, and a
    linear head. The ``flatten`` node is the embedding (``widths[-1]`` features) that
    Sec. IV's classification by references uses. Written for this book from the paper's
    description; not airbench's code (no lookahead, no progressive freezing, no compile).
    """
    whiten_channels = 2 * in_channels * 4
    whiten = nn.Conv2d(in_channels, whiten_channels, 2, padding=0, bias=True)
    whiten.weight.requires_grad_(False)
    groups, channels = [], whiten_channels
    for i, w in enumerate(widths, start=1):
        groups.append((f"group{i}", _conv_group(channels, w)))
        channels = w
    return nn.Sequential(OrderedDict([
        ("whiten", whiten), ("whiten_act", nn.GELU()), *groups,
        ("pool", nn.MaxPool2d(3)), ("flatten", nn.Flatten()),
        ("fc", nn.Linear(channels, num_classes, bias=False)),
    ]))


def init_whitening(model: nn.Sequential, images, eps: float = 5e-4) -> None:
    """Set the 2x2 whitening filters from ``images`` (N, ch, H, W): the eigenvectors of the
    covariance of all 2x2 patches, scaled by 1/sqrt(eigenvalue + eps), and their negatives
    (so that the GELU after them passes both signs). Patches of whitened images then have
    unit covariance."""
    import torch

    conv = model.whiten
    k = conv.kernel_size[0]
    patches = images.unfold(2, k, 1).unfold(3, k, 1)            # N, ch, H', W', k, k
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, images.shape[1] * k * k).double()
    cov = torch.cov(patches.T)
    eigenvalues, eigenvectors = torch.linalg.eigh(cov)
    filters = (eigenvectors.T / torch.sqrt(eigenvalues + eps)[:, None]).float()
    filters = filters.view(-1, images.shape[1], k, k)
    with torch.no_grad():
        conv.weight.copy_(torch.cat([filters, -filters]))
