#!/bin/sh
# The round trip nn → PyTorch → nn, checked number by number (the README's "Using models with
# PyTorch"): trains the default model on TRAIN, exports it, compares PyTorch's probabilities on
# TEST with ours, fine-tunes one epoch in PyTorch, imports it and compares again.
#
#   nn-bench/peers/torch_round_trip.sh TRAIN_FOLDER TEST_FOLDER [WORK_DIR]
#   nn-bench/peers/torch_round_trip.sh data/faces_h5/train_faces.h5 data/faces_h5/test_faces.h5
#
# Folders of images (one sub-folder per class), or the course's HDF5 files (written out as PNG
# first, so that both sides read the same pixels). Needs a release build of nn and the venv
# ~/.venvs/peers (torch, numpy, pillow, h5py, safetensors). Run by hand, never by CI.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nn="$here/../../target/release/nn"
python="${PYTHON:-$HOME/.venvs/peers/bin/python}"
script="$here/torch_round_trip.py"
train=$1
test=$2
work=${3:-$(mktemp -d)}
mkdir -p "$work"
case "$train" in
*.h5)
    "$python" "$script" png "$train" "$work/train-png"
    "$python" "$script" png "$test" "$work/test-png"
    train="$work/train-png"
    test="$work/test-png"
    ;;
esac
classes=$(find "$train" -mindepth 1 -maxdepth 1 -type d | wc -l)
"$nn" train --data "$train" --test "$test" --quiet --save "$work/model.nn"
"$nn" export "$work/model.nn" "$work/torch"
"$nn" predict "$work/model.nn" "$test" --top "$classes" --csv > "$work/ours.csv" 2>/dev/null
echo "exported:"
"$python" "$script" compare "$work/torch" "$work/ours.csv"
"$python" "$script" tune "$work/torch" "$train" "$work/tuned.safetensors"
"$nn" import "$work/tuned.safetensors" --model "$work/model.nn" --save "$work/tuned.nn"
"$nn" predict "$work/tuned.nn" "$test" --top "$classes" --csv > "$work/tuned.csv" 2>/dev/null
echo "fine-tuned in PyTorch, imported:"
"$python" "$script" compare-tuned "$work/torch" "$work/tuned.safetensors" "$work/tuned.csv"
