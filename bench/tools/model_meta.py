#!/usr/bin/env python3
"""Prints metadata values of a toolkit model file (IDMODEL1 header + TOML), for scripts.
   model_meta.py MODEL [KEY...]     without keys: the whole TOML header"""
import sys
import tomllib

def header(path):
    with open(path, "rb") as f:
        if f.readline() != b"IDMODEL1\n":
            sys.exit(f"model_meta.py: '{path}' is not a toolkit model file")
        size = int(f.readline())
        return f.read(size).decode()

text = header(sys.argv[1])
if len(sys.argv) == 2:
    print(text, end="")
else:
    meta = tomllib.loads(text)
    for key in sys.argv[2:]:
        value = meta
        for part in key.split("."):
            value = value[part]
        print(value)
