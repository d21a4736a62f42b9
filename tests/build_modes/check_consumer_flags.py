"""Reads a consumer's compile_commands.json (release_consumer.sh): the consumer's own files
carry no warning flag at all (it sets none, so any came from weft) and are built at -O3; weft's
files are built at -O3 and without -Werror.

Usage: check_consumer_flags.py COMPILE_COMMANDS_JSON CONSUMER_SOURCE_DIR
"""
import json
import os
import shlex
import sys

commands_path, consumer_dir = sys.argv[1], os.path.realpath(sys.argv[2])
# The consumer is tests/build_modes/consumer in weft's tree: names are said from weft's root.
source_root = os.path.dirname(os.path.dirname(os.path.dirname(consumer_dir)))
with open(commands_path, encoding="utf-8") as f:
    entries = json.load(f)

own, weft, problems = 0, 0, []
for entry in entries:
    args = entry.get("arguments") or shlex.split(entry["command"])
    path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    name = os.path.relpath(path, source_root)
    if "-O3" not in args:
        problems.append(f"{name}: not built at -O3, the Release flags")
    if os.path.dirname(path) == consumer_dir:
        own += 1
        leaked = [a for a in args if a.startswith("-W")]
        if leaked:
            problems.append(f"{name}: weft's flags on the consumer's line: {' '.join(leaked)}")
    else:
        weft += 1
        if any(a.startswith("-Werror") for a in args):
            problems.append(f"{name}: weft's own file is built with -Werror in a consumer")

if own == 0 or weft == 0:
    problems.append(f"expected files of both the consumer and weft, found {own} and {weft}")
print(f"{own} files of the consumer's and {weft} of weft's checked")
for p in problems:
    print("FAILED:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
