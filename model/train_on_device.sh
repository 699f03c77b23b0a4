#!/usr/bin/env bash
# Continue training the committed checkpoint on a lent GPU machine for a fixed time.
#
# That machine has torch with CUDA, numpy, OpenCV and Pillow, but no fonts, no jieba/wordfreq/
# rapidfuzz and no package index: build the bundle first (python -m model.bundle --out .gpu) and
# carry it. Data is rendered by (cores - 1) DataLoader workers; the rate decays over the run's
# time (--decay-over-run), since its step rate is not known ahead.
#
#   OUT=/some/dir MINUTES=7 bash model/train_on_device.sh --batch-size 64 --lr 4e-4 --lr-end 1e-5
#
# Writes to $OUT: train.log (the committed log plus this run), ckpt_model.pt (weights, step,
# samples, config) and ckpt_ema.pt (the weight average): the device tool returns files of at
# most 16 MB, and the whole checkpoint with its AdamW moments is 47 MB. Join them with
#   python -m model.join_ckpt $OUT model/runs/ckpt.pt
set -euo pipefail
: "${OUT:?set OUT to the folder that comes back}"
MINUTES=${MINUTES:-7}
PY=${PY:-python3}
BUNDLE=${BUNDLE:-$PWD/.gpu}

if ! "$PY" -c "import rapidfuzz" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$BUNDLE"/whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD PYTHONUNBUFFERED=1
export OCR_FONT_ROOT=$BUNDLE/fonts OCR_CORPUS_SNAPSHOT=$BUNDLE/corpus.npz
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
echo "cores: $(nproc)"

cp model/ckpt/crnn_last.pt /tmp/ckpt.pt
cp model/ckpt/train.log "$OUT/train.log"
# TERM makes the trainer save and stop; the timeout is a backstop behind --max-minutes
timeout -s TERM "$(awk "BEGIN{print int($MINUTES * 60 + 90)}")" \
  "$PY" -m model.train --ckpt /tmp/ckpt.pt --log "$OUT/train.log" --workers "$(( $(nproc) - 1 ))" \
  --max-minutes "$MINUTES" --decay-over-run --save-every-s 60 "$@" || echo "trainer exit $?"
"$PY" -m model.join_ckpt --split /tmp/ckpt.pt "$OUT"
ls -la "$OUT"
