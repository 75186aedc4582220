#!/usr/bin/env bash
# The GPU checks of the image GAN and text issues, as one script for a lent machine
# whose Python already has torch (nothing can be installed there). The repository is
# made importable without pip: plugins/ as studio_plugins and a minimal dist-info so
# the app finds its plugins' entry points. Figures go to $OUT (or ./gpu-out).
#   bash bench/gpu_check.sh [DATA_DIR]   (DATA_DIR holds tinyshakespeare.txt)
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
DATA=${1:-../shared/data}
SITE=$(mktemp -d)
ln -s "$PWD/plugins" "$SITE/studio_plugins"
DIST="$SITE/genai_studio-0.1.0.dist-info"; mkdir -p "$DIST"
printf 'Metadata-Version: 2.1\nName: genai-studio\nVersion: 0.1.0\n' > "$DIST/METADATA"
python3 - "$DIST/entry_points.txt" <<'PY'
import sys, tomllib
eps = tomllib.load(open("pyproject.toml", "rb"))["project"]["entry-points"]
with open(sys.argv[1], "w") as f:
    for group, items in eps.items():
        f.write(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in items.items()))
PY
export PYTHONPATH="$SITE:$PWD"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__)" | tee -a "$OUT/gpu.txt"
echo "== DCGAN 64x64, batch 64, bf16, one minute"
timeout 200 python3 bench/image_gans.py --device "${DEVICE:-cuda}" --precision bf16 \
    --seconds "${IMG_SECONDS:-60}" --size 64 --batch 64 --skip-quality 2>&1 | tee "$OUT/image_gans.log"
echo "== GPT, nanoGPT's shakespeare_char GPU recipe, two minutes"
timeout 280 python3 bench/gpt_shakespeare.py --recipe gpu --device "${DEVICE:-cuda}" \
    --seconds "${GPT_SECONDS:-120}" ${GPT_EXTRA:-} --data "$DATA/tinyshakespeare.txt" 2>&1 \
    | tee "$OUT/gpt.log"
