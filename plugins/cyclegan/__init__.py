"""Chapter 6 of the book: CycleGAN, translating between two image domains."""

STUDIO_API = "1.1"
