#!/usr/bin/env python3
"""Assembles bench/reenact.sh's id-score JSON files into the Table 2 layout.
   table.py SCORES_DIR TRAIN_SECONDS "TARGETS" EPSILON RESULTS_DIR -> reenact.csv, reenact.md, reenact-sheets/"""
import csv
import json
import os
import shutil
import sys

scores_dir, seconds_file, targets, epsilon, results = (sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4],
                                                        sys.argv[5])
METHODS = [("ours", "ours"), ("noalt", "ours †"), ("ourspush", "ours + push"), ("push", "push alone"),
           ("noise", "noise of ε")]
SHEETS = "push"  # the column whose contact sheets are kept: half a megabyte a sheet


def load(name):
    path = os.path.join(scores_dir, name + ".json.link")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def psnr(method):
    report = load(f"psnr-{method}")
    return report["summary"]["psnr"] if report else None


rows = []
for target in targets:
    for method, _ in METHODS:
        r = load(f"{target}-{method}")
        if r:
            rows.append({"epsilon": epsilon, "target": target, "method": method, "frames": r["frames"],
                         "dsr": r["dsr"], "l1": r["l1"], "l2": r["l2"], "clean_l1": r["clean_l1"],
                         "clean_l2": r["clean_l2"], "poisoned_l1": r["poisoned_l1"], "poisoned_l2": r["poisoned_l2"],
                         "video_psnr": psnr(method)})
with open(os.path.join(results, "reenact.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["epsilon"])
    w.writeheader()
    w.writerows(rows)

seconds = {}
with open(seconds_file) as f:
    for line in f:
        name, value = line.split()
        seconds[name] = float(value)

sheets = os.path.join(results, "reenact-sheets")
shutil.rmtree(sheets, ignore_errors=True)
os.makedirs(sheets)
for target in targets:  # one column's (the others stay under bench/work/)
    sheet = os.path.realpath(os.path.join(scores_dir, f"{target}-{SHEETS}.json.link"))
    sheet = sheet.removesuffix(".json") + ".json.report/sheet.png"
    if os.path.exists(sheet):
        shutil.copy(sheet, os.path.join(sheets, f"{target}-{SHEETS}.png"))


def fmt(value, digits):
    return "–" if value is None else f"{value:.{digits}f}"


out = [f"# The reenactment defence at ε = {epsilon} (bench/reenact.sh)", "",
       "The person's video: skimage's astronaut made to talk by `id-synth video --portrait` (4:2:0 y4m);",
       "the forger trains a pix2pix reenactor (landmark sketch → face, 128 px aligned crops) of each",
       "target architecture with one recipe (bench/reenact/forger.toml) on the clean video (M) and on",
       "the protected one (M'), and both are driven by the landmarks of a held-out clip of other motion.",
       "DSR: share of driving frames with L1(M'(z), M(z)) > 0.05 (images in [0, 1]); L1: its mean;",
       "clean / protected L1: M's and M''s distance to the true frame. unet128 is the surrogate's",
       "architecture (gray-box, *); the others are black-box. † = --no-alternate. 'noise of ε' trains",
       "M' on the video plus uniform noise of the same ε: the DSR any change of the training data gives",
       "(two trainings of one recipe differ by more than nothing). 'ours + push' is ours with",
       "`--push-landmarks`: the faces' dlib landmarks turned within the same cap, so that the forger's",
       "alignment turns every crop against its sketch; 'push alone' is `id-poison --method push`",
       "(docs/reenactment.md#landmark-push, bench/results/reenact-notes.md). PSNR: protected against",
       "clean video, whole frames.", ""]
out.append("| target | " + " | ".join(f"{label} DSR | L1 | clean / protected L1" for _, label in METHODS) + " |")
out.append("|---|" + "---|---|---|" * len(METHODS))
for target in targets:
    cells = []
    for method, _ in METHODS:
        r = next((x for x in rows if x["target"] == target and x["method"] == method), None)
        if r:
            cells.append(f"{100 * r['dsr']:.0f}% | {r['l1']:.4f} | {r['clean_l1']:.4f} / {r['poisoned_l1']:.4f}")
        else:
            cells.append("– | – | –")
    out.append(f"| {target}{' *' if target == targets[0] else ''} | " + " | ".join(cells) + " |")
out += ["", "| protected video | PSNR (dB) |", "|---|---|"]
for method, label in METHODS:
    out.append(f"| {label} | {fmt(psnr(method), 2)} |")
out += ["", "Training seconds (one core each, from the models' metadata):", "", "| model | seconds |", "|---|---|"]
for name, value in seconds.items():
    out.append(f"| {name} | {value:.0f} |")
out += ["", f"Contact sheets of {dict(METHODS)[SHEETS]} (driving sketch, true face, M(z), M'(z)): "
        "[reenact-sheets/](reenact-sheets/).", ""]
with open(os.path.join(results, "reenact.md"), "w") as f:
    f.write("\n".join(out))
