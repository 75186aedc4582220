"""Chapter 2 of the book: binary and multi-class image classifiers."""

STUDIO_API = "1.1"
