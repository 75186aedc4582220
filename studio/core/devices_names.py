"""Names of devices and precisions, importable without torch (for forms and flags)."""

PRECISIONS = ("fp32", "bf16", "fp16")
