#!/usr/bin/env python3
"""Validates JSON Lines on standard input against a JSON Schema file.

    mailprep check --json Samples | python3 scripts/validate-json.py schema/check-result.schema.json

Prints one line per invalid object and exits 1 if any; prints "N valid" and exits 0 otherwise.
Needs the jsonschema package (scripts/setup installs it).
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
validator = jsonschema.Draft202012Validator(schema)
bad = 0
count = 0
for number, line in enumerate(sys.stdin, 1):
    if not line.strip():
        continue
    count += 1
    for error in validator.iter_errors(json.loads(line)):
        bad += 1
        print(f"line {number}: {error.json_path}: {error.message}")
if bad:
    sys.exit(1)
print(f"{count} valid")
