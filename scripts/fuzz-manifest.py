#!/usr/bin/env python3
"""Rewrites the [[bin]] entries of fuzz/Cargo.toml from fuzz/fuzz_targets/*.rs (one per
target), keeping the rest of the manifest. Run after adding a fuzz target."""
import os
import re

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz")
path = os.path.join(root, "Cargo.toml")
text = open(path).read()
head = text[: text.index("[[bin]]")] if "[[bin]]" in text else text.rstrip() + "\n\n"
head = re.sub(r"<<<<<<<.*?\n|=======\n|>>>>>>>.*?\n", "", head)
targets = sorted(f[:-3] for f in os.listdir(os.path.join(root, "fuzz_targets")) if f.endswith(".rs"))
bins = "".join(
    '[[bin]]\nname = "%s"\npath = "fuzz_targets/%s.rs"\ntest = false\ndoc = false\nbench = false\n\n' % (t, t)
    for t in targets
)
open(path, "w").write(head + bins.rstrip("\n") + "\n")
