"""Qt widgets of GenAI Studio. No training logic lives here: widgets talk to the
Qt-free engine through the bridge in ``training_bridge``."""
