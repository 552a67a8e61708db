#!/usr/bin/env python3
"""Assembles bench/joint.sh's files into bench/results/joint.md and joint.csv.
   table.py SCORES_DIR STREAM_KV STREAM_THREADS VERSION RESULTS_DIR"""
import csv
import datetime
import json
import os
import shutil
import sys

scores, stream_kv, stream_threads, version, results = sys.argv[1:6]
ROWS = [("attr", "attribute PG only (id-poison --model models/default.idm)"),
        ("reenact", "reenactment PG only (id-poison --model models/reenact.idm)"),
        ("joint", "both, attribute first (id-joint)"),
        ("joint-rf", "both, reenactment first (id-joint --order reenact-first)")]


def load(name):
    with open(os.path.join(scores, name + ".json.link")) as f:
        return json.load(f)


def changes(name):
    """Largest and mean per-frame ‖x' − x‖∞ (8-bit levels) from the tool's --report."""
    with open(os.path.join(scores, name + ".changes.csv")) as f:
        levels = [int(r["max_change_levels"]) for r in csv.DictReader(f)]
    return max(levels), sum(levels) / len(levels)


data = {name: load(name) for name, _ in ROWS}
forgers = [f["forger"] for f in data["attr"]["attr"]["forgers"]]
rows = []
for name, what in ROWS:
    d = data[name]
    most, mean = changes(name)
    row = {"protection": name, "frames": d["video"]["frames"], "psnr": d["video"]["psnr"], "ssim": d["video"]["ssim"],
           "max_change_levels": most, "mean_frame_max_change_levels": round(mean, 2),
           "attr_faces": d["attr"]["faces"]}
    for f in d["attr"]["forgers"]:
        row[f"attr_dsr_{f['forger']}"] = f["dsr"]
        row[f"attr_l2_{f['forger']}"] = f["l2"]
    r = d["reenact"]
    row.update({"reenact_frames": r["frames"], "reenact_dsr": r["dsr"], "reenact_l1": r["l1"],
                "reenact_clean_l1": r["clean_l1"], "reenact_poisoned_l1": r["poisoned_l1"]})
    rows.append(row)
with open(os.path.join(results, "joint.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)

stream = dict(line.strip().split("=", 1) for line in open(stream_kv) if "=" in line)
pct = lambda v: f"{100 * v:.1f}%"
by = {r["protection"]: r for r in rows}


def kept(joint, single):
    """The share of a single protection's figure the joint one keeps."""
    return "n/a (single 0)" if single == 0 else f"{100 * joint / single:.0f}%"


lines = [f"# Joint protection: attribute editing and reenactment at once (bench/joint.sh)", "",
         f"{version}, {datetime.date.today()}, {os.cpu_count()} cores. The reenactment benchmark's talking astronaut "
         f"({rows[0]['frames']} frames); the shipped generators at their own ε (attribute 0.05, reenactment 0.02). "
         f"Attribute threat: the shipped forgers {', '.join(forgers)} edit the faces of every 10th frame "
         f"({rows[0]['attr_faces']} faces × 5 domains), a pair disrupted at L2 > 0.05. Reenactment threat: the "
         f"forger's unet128 (bench/reenact/forger.toml) trained on each video, driven by a held-out clip of "
         f"{rows[0]['reenact_frames']} frames against the one trained on the clean video, a frame disrupted at "
         f"L1 > 0.05. `id-score joint` for every row.", "",
         "| protection | " + " | ".join(f"attr DSR / L2, {f}" for f in forgers) +
         " | reenact DSR / L1(M', M) | PSNR (dB) / SSIM | largest change (levels) |",
         "|---|" + "---|" * (len(forgers) + 3)]
for name, what in ROWS:
    r = by[name]
    cells = [f"{pct(r[f'attr_dsr_{f}'])} / {r[f'attr_l2_{f}']:.5f}" for f in forgers]
    lines.append(f"| {what} | " + " | ".join(cells) + f" | {pct(r['reenact_dsr'])} / {r['reenact_l1']:.4f} | "
                 f"{r['psnr']:.2f} / {r['ssim']:.4f} | {r['max_change_levels']} |")
lines += ["", "What the joint video keeps of each single protection against its own threat (goal ≥ 90%):", "",
          "| joint order | " + " | ".join(f"attr DSR, {f}" for f in forgers) + " | " +
          " | ".join(f"attr L2, {f}" for f in forgers) + " | reenact DSR | reenact L1(M', M) |",
          "|---|" + "---|" * (2 * len(forgers) + 2)]
for name in ("joint", "joint-rf"):
    r = by[name]
    cells = [kept(r[f"attr_dsr_{f}"], by["attr"][f"attr_dsr_{f}"]) for f in forgers]
    cells += [kept(r[f"attr_l2_{f}"], by["attr"][f"attr_l2_{f}"]) for f in forgers]
    cells += [kept(r["reenact_dsr"], by["reenact"]["reenact_dsr"]), kept(r["reenact_l1"], by["reenact"]["reenact_l1"])]
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
lines += ["", f"The 720p stream (`ffmpeg -i talk.y4m -f yuv4mpegpipe - | id-joint --threads {stream_threads} - | "
          f"ffmpeg -f yuv4mpegpipe -i - -c:v libx264 -preset veryfast out.mp4`, one face, {stream['frames']} frames, "
          f"bench/tools/stream.sh):", "",
          "| measure | value |", "|---|---|",
          f"| pipeline without id-joint | {stream['plain_fps']} fps |",
          f"| pipeline with id-joint | **{stream['tool_fps']} fps** (goal ≥ 15) |",
          f"| slowdown | {stream['slowdown']}× |",
          f"| id-joint peak RSS, {stream['frames']} frames | {stream['rss_short_kb']} KiB |",
          f"| id-joint peak RSS, the stream looped (LONG_FRAMES) | {stream['rss_long_kb']} KiB |", "",
          "Contact sheets of the joint row: joint-sheets/joint-sheet-forger-res6.png (clean and protected face, "
          "the perturbation, both forgeries per domain) and joint-sheets/joint-reenact-sheet.png (driving sketch, "
          "true face, the forger's model of the clean and of the joint video).", ""]
with open(os.path.join(results, "joint.md"), "w") as f:
    f.write("\n".join(lines))
# The contact sheets of the joint row only (the others are in bench/work/joint/scores/).
sheets = os.path.join(results, "joint-sheets")
shutil.rmtree(sheets, ignore_errors=True)
os.makedirs(sheets)
for name in ("joint",):
    report = os.path.realpath(os.path.join(scores, name + ".json.link")) + ".report"
    for sheet in sorted(os.listdir(report)):
        if sheet in ("sheet-forger-res6.png", "reenact-sheet.png"):
            shutil.copy(os.path.join(report, sheet), os.path.join(sheets, f"{name}-{sheet}"))
print("\n".join(lines))
