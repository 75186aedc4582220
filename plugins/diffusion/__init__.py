"""Chapter 15 of the book: diffusion models, text-to-image and CLIP."""

STUDIO_API = "1.1"
