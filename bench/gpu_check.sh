#!/usr/bin/env bash
# The issues' GPU checks as one script for a lent machine whose Python already has
# torch. The repository is made importable without pip: plugins/ as studio_plugins and
# a minimal dist-info so the app finds its plugins' entry points. Wheels the machine
# lacks (miditok, symusic, diffusers...) are installed from .whl/ when it is there.
# Figures go to $OUT (or ./gpu-out).
#   CHECKS="diffusion music" bash bench/gpu_check.sh [DATA_DIR]
# DATA_DIR holds tinyshakespeare.txt, eng-fra-18k.tsv and Jsb16thSeparated.json.
# Checks, timed one after another: image_gans, gpt, translator, diffusion, music.
# "smoke" and "seeds" run the quick presets' quality measurements (seed-dependent
# figures: several seeds at once, in parallel processes; smoke: a few steps each).
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
DATA=${1:-../shared/data}
DEV=${DEVICE:-cuda}
SITE=$(mktemp -d)
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --target "$SITE/wheels" .whl/*.whl || echo "wheels not installed"
fi
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
export PYTHONPATH="$SITE:$PWD:$SITE/wheels"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__)" | tee -a "$OUT/gpu.txt"

# Quality runs in parallel: one process per (model, seed), one CPU thread each.
quality() {  # $1: train steps scale ("smoke" or "full")
    local full=$([ "$1" = full ] && echo 1 || echo 0) pids=() logs
    logs=$(mktemp -d)
    export OMP_NUM_THREADS=1
    for seed in ${SEEDS:-0 1 2}; do
        for variant in ${DIFFUSION_VARIANTS:-base}; do
            case $variant in
                base) set_args=();;
                steps2500) set_args=(--set steps=2500 --set decay_steps=2500);;
                wide) set_args=(--set unet_channels=48,96);;
                *) set_args=(--set "$variant");;
            esac
            if [ $full = 1 ]; then steps=(); else steps=(--train-steps 20 --images 8); fi
            timeout "${QUALITY_TIMEOUT:-500}" python3 bench/diffusion.py --device "$DEV" \
                --skip-throughput --seeds 1 --first-seed "$seed" "${set_args[@]}" "${steps[@]}" \
                >"$logs/q-diffusion-$variant-$seed.log" 2>&1 &
            pids+=($!)
        done
        if [ $full = 1 ]; then m=600; t=3000; c=600; else m=5; t=20; c=10; fi
        timeout "${QUALITY_TIMEOUT:-500}" python3 bench/music.py --device "$DEV" \
            --skip transformer --musegan-steps $m --seeds 1 --first-seed "$seed" --rounds 1 \
            --data "$DATA/Jsb16thSeparated.json" >"$logs/q-musegan-$seed.log" 2>&1 &
        pids+=($!)
        timeout "${QUALITY_TIMEOUT:-500}" python3 bench/text_to_image.py --device "$DEV" \
            --steps $t --clip-steps $c --seeds 1 --first-seed "$seed" --per-digit 20 \
            --threads 1 >"$logs/q-t2i-$seed.log" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}"
    unset OMP_NUM_THREADS
    # Few files come back from a lent machine: the logs' ends as one file.
    python3 - "$logs" <<'PY' | tee "$OUT/quality-$1.log"
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).glob("q-*.log")):
    lines = f.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("{")]
    try:
        print(f.name, json.dumps(json.loads("\n".join(lines[starts[-1]:]))))
    except (IndexError, ValueError):
        print(f.name, "FAILED:", *lines[-8:], sep="\n  ")
PY
}

for check in ${CHECKS:-image_gans gpt}; do
    echo "== $check"
    case $check in
    image_gans)  # DCGAN 64x64, batch 64, bf16, one minute
        timeout 200 python3 bench/image_gans.py --device "$DEV" --precision bf16 \
            --seconds "${IMG_SECONDS:-60}" --size 64 --batch 64 --skip-quality 2>&1 \
            | tee "$OUT/image_gans.log";;
    gpt)  # nanoGPT's shakespeare_char GPU recipe, two minutes
        timeout 280 python3 bench/gpt_shakespeare.py --recipe gpu --device "$DEV" \
            --seconds "${GPT_SECONDS:-120}" ${GPT_EXTRA:-} --data "$DATA/tinyshakespeare.txt" \
            2>&1 | tee "$OUT/gpt.log";;
    translator)  # the book preset with bf16 for two minutes; BLEU and decoding speed
        timeout 330 python3 bench/translator.py --device "$DEV" --precision bf16 \
            --preset book --minutes "${TRANSLATOR_MINUTES:-2}" --timings-only \
            --data "$DATA/eng-fra-18k.tsv" 2>&1 | tee "$OUT/translator.log";;
    diffusion)  # the book preset at 64x64, bf16, two minutes; then DDIM-50 s/image
        timeout 330 python3 bench/diffusion.py --device "$DEV" --precision bf16 --book \
            --seconds "${DIFFUSION_SECONDS:-120}" --rounds 2 --train-steps 100 --images 64 \
            --skip-ddpm 2>&1 | tee "$OUT/diffusion.log";;
    music)  # the music Transformer's book preset, bf16, two minutes; tokens/s
        timeout 300 python3 bench/music.py --device "$DEV" --precision bf16 --skip musegan \
            --transformer-preset book --transformer-steps 1000000 \
            --transformer-seconds "${MUSIC_SECONDS:-120}" \
            --data "$DATA/Jsb16thSeparated.json" 2>&1 | tee "$OUT/music.log";;
    smoke) quality smoke;;
    seeds) quality full;;
    esac
done
