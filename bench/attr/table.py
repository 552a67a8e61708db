#!/usr/bin/env python3
"""Assembles bench/attr.sh's id-score JSON files into the Table 1 layout.
   table.py SCORES_DIR TRAIN_SECONDS "TARGETS" RESULTS_DIR  ->  attr.csv, attr.md"""
import csv
import glob
import json
import os
import sys

scores_dir, seconds_file, targets, results = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
METHODS = [("ours", "ours"), ("noalt", "ours †"), ("notde", "ours −TDE"), ("all", "ours, all domains"),
           ("pgd-surrogate", "PGD surrogate"),
           ("whitebox", "PGD target"), ("noise", "noise")]


def load(name):
    path = os.path.join(scores_dir, name + ".json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        report = json.load(f)
    return {os.path.basename(r["path"]).removesuffix(".idm"): r for r in report["forgers"]}


def cell(setting, method, target, eps):
    if method == "whitebox":
        return load(f"whitebox-{target}-{eps}").get(target)
    if method == "noise":
        return load(f"noise-{eps}").get(target)
    if setting == "wild":
        return load(f"wild-{method}-{eps}").get("wild-res6")
    return load(f"{setting}-{method}-{eps}").get(target)


rows = []
for eps in ("0.05", "0.03"):
    for setting in ("sd", "dd", "wild"):
        for target in (["res6"] if setting == "wild" else targets):
            for method, _ in METHODS:
                r = cell(setting, method, "wild-res6" if setting == "wild" else target, eps)
                if r:
                    rows.append({"epsilon": eps, "setting": setting.upper(), "target": target, "method": method,
                                 "images": r["images"], "pairs": r["pairs"], "dsr": r["dsr"], "l2": r["l2"],
                                 "l1": r["l1"], "psnr": r["psnr"], "ssim": r["ssim"]})
with open(os.path.join(results, "attr.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["epsilon"])
    w.writeheader()
    w.writerows(rows)


def find(eps, setting, target, method):
    return next((x for x in rows if x["epsilon"] == eps and x["setting"] == setting and
                 x["target"] == target and x["method"] == method), None)


seconds = {}
with open(seconds_file) as f:
    for line in f:
        name, value = line.split()
        seconds[name] = float(value)

out = ["# The attribute-editing defence on 64 px synthetic faces (bench/attr.sh)", "",
       "DSR: share of (face, target domain) pairs whose forgery from the protected face is further",
       "than L2 0.05 from the forgery of the clean face; L2 the mean of that distance; PSNR of the",
       "protected against the clean face. Defender's held-out test faces; targets trained by the",
       "forger on other identities (bench/forge.sh). SD/DD: surrogate trained on the target's / other",
       "domains; res6 is the gray-box cell (*), the others black-box; wild: a res6 editor of domains",
       "no PG saw. † = --no-alternate (pretrained surrogate, frozen). PGs are trained at ε = 0.05 and",
       "applied at 0.03 too. ours samples one target domain per step (--domains-per-step 1);",
       "'ours, all domains' is the same training over all five every step (the ablation).", ""]
for eps in ("0.05", "0.03"):
    out.append(f"## ε = {eps}")
    out.append("")
    out.append("| setting | target | " + " | ".join(f"{label} DSR | L2" for _, label in METHODS) + " |")
    out.append("|---|---|" + "---|---|" * len(METHODS))
    for setting in ("SD", "DD", "WILD"):
        for target in (["res6"] if setting == "WILD" else targets):
            cells = []
            for method, _ in METHODS:
                r = find(eps, setting, target, method)
                cells.append(f'{100 * r["dsr"]:.0f}% | {r["l2"]:.5f}' if r else "– | –")
            star = "*" if setting == "SD" and target == "res6" else ""
            out.append(f"| {setting.lower() if setting == 'WILD' else setting} | {target}{star} | " + " | ".join(cells) + " |")
    psnr = []
    for method, label in METHODS:
        vals = [x["psnr"] for x in rows if x["epsilon"] == eps and x["method"] == method]
        psnr.append(f"{label} {sum(vals) / len(vals):.1f}" if vals else f"{label} –")
    out.append("")
    out.append("PSNR (dB): " + ", ".join(psnr))
    out.append("")


def above(a, b):
    """Whether a disrupts more than b: by DSR, and by L2 where the DSRs are equal."""
    return (a["dsr"], a["l2"]) > (b["dsr"], b["l2"])


# The goals at ε = 0.05, checked cell by cell (met / missed and by how much).
goals = []
gray = find("0.05", "SD", "res6", "ours")
if gray:
    goals.append(f'- gray-box DSR ≥ 90%: {100 * gray["dsr"]:.1f}% ({"met" if gray["dsr"] >= 0.9 else "missed"})')
for rival, label in (("pgd-surrogate", "PGD on the surrogate"), ("noalt", "--no-alternate")):
    cells = [(s_, t) for s_ in ("SD", "DD") for t in targets if rival == "noalt" or t != "res6"]
    wins, detail = 0, []
    for s_, t in cells:
        a, b = find("0.05", s_, t, "ours"), find("0.05", s_, t, rival)
        if a and b:
            wins += above(a, b)
            detail.append(f'{s_} {t} {"above" if above(a, b) else "below"} (L2 {a["l2"]:.5f} vs {b["l2"]:.5f})')
    if detail:
        goals.append(f"- ours above {label}: {wins} of {len(detail)} cells: " + "; ".join(detail))
noise = [x for x in rows if x["epsilon"] == "0.05" and x["method"] == "noise" and x["setting"] == "SD"]
if noise:
    goals.append("- noise near 0%: DSR " + ", ".join(f'{x["target"]} {100 * x["dsr"]:.1f}%' for x in noise))
ours3, gray3 = [x for x in rows if x["epsilon"] == "0.03" and x["method"] == "ours"], find("0.03", "SD", "res6", "ours")
if ours3 and gray3:
    goals.append(f'- ε = 0.03: ours PSNR {sum(x["psnr"] for x in ours3) / len(ours3):.1f} dB, '
                 f'gray-box DSR {100 * gray3["dsr"]:.1f}% (L2 {gray3["l2"]:.5f})')
if goals:
    out += ["## Goals (at ε = 0.05 unless stated)", "", *goals, ""]
out.append("## Time (seconds of one core; training summed over sittings)")
out.append("")
out.append("| model | seconds |")
out.append("|---|---|")
for name, value in seconds.items():
    out.append(f"| {name} | {value:.0f} |")
# Scoring: each id-score run's wall time (one core), recorded by attr.sh when it made the file.


def read_seconds(path):
    with open(path) as f:
        return float(f.read())


runs = [read_seconds(p) for p in glob.glob(os.path.join(scores_dir, "*.json.seconds"))]
if runs:
    out.append(f"| scoring: {len(runs)} id-score attr runs | {sum(runs):.0f} |")
sweep_seconds = os.path.join(scores_dir, "sweep", "seconds")
if os.path.exists(sweep_seconds):
    out.append(f"| scoring: the ε sweep | {read_seconds(sweep_seconds):.0f} |")
out.append("")
out.append("ε sweep against the gray-box res6 (PSNR, DSR and forgery L2 against ε): attr-sweep/")
with open(os.path.join(results, "attr.md"), "w") as f:
    f.write("\n".join(out) + "\n")
print("\n".join(out))
