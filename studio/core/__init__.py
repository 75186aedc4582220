"""The Qt-free core: contributions, configs, datasets, the training engine and run directories.

Nothing under this package imports Qt; ``tests/core/test_layers.py`` enforces it.
"""
