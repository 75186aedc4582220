"""The trainer of each image GAN model id."""

from __future__ import annotations

from .mlp_trainer import MLPGANTrainer
from .trainer import CGANTrainer, DCGANTrainer

TRAINERS = {"gan-mlp": MLPGANTrainer, "dcgan": DCGANTrainer, "cgan": CGANTrainer}
