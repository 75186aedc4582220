"""Initial weights of CycleGAN's networks, as the paper's code draws them: every
convolution's weights from N(0, 0.02) and its bias 0.

The book's ``weights_init(m)`` means to do this but is called on whole networks
(``weights_init(disc_A)``): it looks at the class name of the module it is given
("Discriminator", "Generator"), finds neither "Conv" nor "Norm2d" in it, and returns
without touching a weight, so the book trains from PyTorch's default initialisation.
Applied properly (``module.apply``), its norm branch would then fail: the instance
norms have no learned scale (``m.weight`` is None). Here the function is applied to
every sub-module and skips norms without parameters. ``init="default"`` keeps
PyTorch's initialisation, which is what the book's code ends up training with.
"""

from __future__ import annotations

from torch import nn

from .config import INITS


def init_weights(module: nn.Module) -> None:
    """Convolution weights N(0, 0.02), biases 0; norm scales 1 and shifts 0 when the
    norm has them (the instance norms here have none). Use with ``network.apply``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.InstanceNorm2d, nn.BatchNorm2d)) and module.weight is not None:
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def initialise(network: nn.Module, init: str) -> nn.Module:
    """``network`` initialised the way ``init`` names (one of ``INITS``)."""
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, not {init!r}")
    if init == "normal":
        network.apply(init_weights)
    return network
