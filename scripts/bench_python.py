#!/usr/bin/env python3
"""The peer job for scripts/bench.py: Python's email package parses each file and lists every leaf part with
its decoded size (the same work as mailprep check). Usage: bench_python.py FILE..."""
import email
import email.policy
import sys


def leaves(message):
    if message.get_content_maintype() == "multipart" and message.is_multipart():
        for part in message.get_payload():
            yield from leaves(part)
    else:
        yield message


for path in sys.argv[1:]:
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.compat32)
    sizes = []
    for part in leaves(message):
        payload = part.get_payload(decode=True)
        sizes.append((part.get_content_type(), part.get_filename(), len(payload) if payload is not None else 0))
    print(path, sizes)
