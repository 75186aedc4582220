"""GenAI Studio: train and sample the generative models of *Learn Generative AI with PyTorch*."""

__version__ = "0.1.0"
