#!/usr/bin/env python3
"""Seconds per item from a tool's --progress file, between its first block and its last:
model loading, set-up and the first item's warm-up are left out.
   per_item.py PROGRESS_FILE"""
import sys

blocks, cur = [], {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().partition("=")
    cur[k] = v
    if k == "progress":
        blocks.append(cur)
        cur = {}
a, b = blocks[0], blocks[-1]
n = int(b["done"]) - int(a["done"])
print("%.6g" % ((float(b["elapsed_s"]) - float(a["elapsed_s"])) / n) if n > 0 else "nan")
