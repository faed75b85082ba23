#!/bin/sh
# Ours against PyTorch on an image folder, seed by seed, the two alternating (the machine is
# shared and noisy): nn train's default recipe, and folder_cnn_torch.py's three recipes
# (noaug: the small CNN, 20 epochs; aug: the same with flips and reflect-padded crops, 40
# epochs; bn: three conv-BN blocks, dropout, flips and crops, 40 epochs), both on 2 threads.
#
# Usage: nn-bench/peers/compare_folder.sh TRAIN_DIR TEST_DIR [SEEDS...]
# Needs: a release build of nn (cargo build --release -p nn-cli) and a Python with torch,
# numpy and pillow (PYTHON, default ~/.venvs/peers/bin/python).
set -eu
train=$1; test=$2; shift 2
seeds=${*:-1 2 3}
here=$(dirname "$0")
nn=${NN:-$here/../../target/release/nn}
python=${PYTHON:-$HOME/.venvs/peers/bin/python}
export NN_PEER_THREADS=2
echo "recipe seed test_accuracy seconds"
for seed in $seeds; do
    line=$("$nn" train --data "$train" --test "$test" --seed "$seed" --threads 2 --quiet | tail -1)
    acc=$(echo "$line" | sed 's/.*test accuracy \([0-9.]*\) %.*/\1/')
    secs=$(echo "$line" | sed 's/.* in \([0-9.]*\) s.*/\1/')
    echo "nn-default $seed $acc $secs"
    for mode in bn aug noaug; do
        "$python" "$here/folder_cnn_torch.py" "$train" "$test" "$mode" "$seed" |
            sed -n "s/^$mode seed=\([0-9]*\) train=[0-9.]* test=\([0-9.]*\) seconds=\([0-9.]*\)/torch-$mode \1 \2 \3/p" |
            awk '{ printf "%s %s %.1f %s\n", $1, $2, 100 * $3, $4 }'
    done
done
