"""Motion statistics per class: synthetic training data vs labelled real motion (data.motion_stats).

    .venv/bin/python benchmarks/real_vs_synth_stats.py data/synth/coco_synth_default.pkl \
        ../shared/real_dev/utd_mhad_dev_coco2d.pkl ../shared/real_dev/bandai_mocap_dev_coco2d.pkl

Prints one markdown table: per class of the first file, the medians of each file (in-set classes only).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from action_recognition.data.format import class_names, load_dataset, split_samples
from action_recognition.data.motion_stats import STAT_NAMES, class_motion_stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+",
                        help="PYSKL files with `classes`; the first one's classes are shown")
    parser.add_argument("--split", default="train", help="split of the first file (the others: all samples)")
    args = parser.parse_args()
    tables = []
    for i, path in enumerate(args.files):
        data = load_dataset(path)
        samples = split_samples(data, args.split if i == 0 else None)
        tables.append((Path(path).stem, class_motion_stats(samples, class_names(data))))
    classes = class_names(load_dataset(args.files[0]))
    print("| class | data | n | " + " | ".join(STAT_NAMES) + " |")
    print("|---|---|---|" + "---|" * len(STAT_NAMES))
    for name in classes:
        for source, table in tables:
            row = table.get(name)
            if row:
                print(f"| {name} | {source} | {int(row['n'])} | "
                      + " | ".join(f"{row[k]:.2f}" for k in STAT_NAMES) + " |")


if __name__ == "__main__":
    main()
