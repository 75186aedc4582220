"""Chapter 7 of the book: autoencoders and variational autoencoders."""

STUDIO_API = "1.1"
