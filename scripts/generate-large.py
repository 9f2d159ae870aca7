#!/usr/bin/env python3
"""Deterministic large samples, generated on demand and never committed (they go under bench-out/ or Samples/generated/).

    python3 scripts/generate-large.py message OUT.eml --decoded 750MB        # one attachment of that decoded size
    python3 scripts/generate-large.py presets Samples/generated              # over-Gmail, over-iCloud, 1 GB
    python3 scripts/generate-large.py drafts OUT_DIR --count 10000           # drafts of 2-200 kB, ~700 MB in all
    python3 scripts/generate-large.py compressible OUT.eml --sizes 100MB,100MB   # CSV attachments (+ OUT.eml.N.csv)

The same arguments always give the same bytes (seeded generator), so benchmark runs compare like with like.
"""
import argparse
import base64
import os
import random

UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def size(text):
    digits = text.rstrip("bBkKmMgGiI")
    return int(float(digits) * UNITS[text[len(digits):].lower()])


def header(sender, recipient, subject, boundary):
    return (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\nDate: Mon, 30 Nov 2026 09:00:00 +0800\r\n"
            f"Message-ID: <{boundary}@mailprep.test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n").encode()


def text_part(boundary, body):
    return (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"{body}\r\n").encode()


def write_attachment(out, boundary, name, ctype, decoded, rng, keep=None):
    out.write((f"--{boundary}\r\nContent-Type: {ctype}; name=\"{name}\"\r\n"
               f"Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n").encode())
    remaining = decoded
    block = 57 * 16384  # whole 76-character lines per block
    while remaining > 0:
        chunk = rng.randbytes(min(block, remaining))
        remaining -= len(chunk)
        if keep:
            keep.write(chunk)
        out.write(base64.encodebytes(chunk).replace(b"\n", b"\r\n"))
    out.write(b"\r\n")


def message(path, decoded, sender="sender@gmail.com", recipient="recipient@icloud.com", seed=1, keep_decoded=False):
    """A message with one random attachment; with keep_decoded, the attachment's bytes also go to <path>.0.bin."""
    rng = random.Random(seed)
    boundary = f"mailprep-large-{seed}"
    keep = open(path + ".0.bin", "wb") if keep_decoded else None
    with open(path, "wb") as out:
        out.write(header(sender, recipient, f"Large attachment ({decoded} bytes)", boundary))
        out.write(text_part(boundary, "The file is attached.\r\n"))
        write_attachment(out, boundary, "archive.bin", "application/octet-stream", decoded, rng, keep)
        out.write(f"--{boundary}--\r\n".encode())
    if keep:
        keep.close()


def compressible_text(size, seed):
    """CSV-like text: a few MB of random rows, repeated to `size`. Deflate's 32 KiB window never reaches back to a
    repeat, so it compresses each block as fresh text (about 3-4x, like real exports and logs)."""
    rng = random.Random(seed)
    names = ["Chan Tai Man", "Lee Siu Mei", "Wong Chi Ming", "Cheung Ka Ho", "Ng Wing Yan", "Lam Hoi Ching"]
    areas = ["Kowloon", "Hong Kong Island", "New Territories", "Lantau"]
    rows = []
    length = 0
    while length < 4_000_000:
        row = (f"C{rng.randint(0, 999999):06d},{rng.choice(names)},{rng.choice(areas)},+852 {rng.randint(20000000, 99999999)},"
               f"{rng.randint(100, 999999)}.{rng.randint(0, 99):02d},2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}\r\n")
        rows.append(row)
        length += len(row)
    block = "".join(rows).encode()
    return (block * (size // len(block) + 1))[:size]


def compressible(path, sizes, seed=5):
    """A message with one compressible attachment per size (CSV exports); each decoded file is also written
    beside it (PATH.N.csv) for comparing with zip on the same bytes."""
    boundary = f"mailprep-compressible-{seed}"
    with open(path, "wb") as out:
        out.write(header("sender@gmail.com", "recipient@icloud.com", "Exports", boundary))
        out.write(text_part(boundary, "The exports are attached.\r\n"))
        for index, size in enumerate(sizes):
            data = compressible_text(size, seed + index)
            with open(f"{path}.{index}.csv", "wb") as raw:
                raw.write(data)
            out.write((f"--{boundary}\r\nContent-Type: text/csv; name=\"export-{index}.csv\"\r\n"
                       f"Content-Disposition: attachment; filename=\"export-{index}.csv\"\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n").encode())
            for start in range(0, len(data), 57 * 16384):
                out.write(base64.encodebytes(data[start:start + 57 * 16384]).replace(b"\n", b"\r\n"))
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())


def drafts(folder, count, seed=7):
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    total = 0
    for index in range(count):
        # 2-200 kB, skewed small like real drafts: mean about 70 kB.
        target = int(2_000 + 198_000 * rng.random() ** 1.8)
        boundary = f"draft-{index}"
        path = os.path.join(folder, f"draft-{index:05d}.eml")
        with open(path, "wb") as out:
            out.write(header(f"user{index % 50}@gmail.com", f"friend{index % 97}@outlook.com", f"Draft {index}", boundary))
            body = "Hello,\r\n\r\n" + "This is a draft message with some ordinary text in it.\r\n" * rng.randint(1, 20)
            out.write(text_part(boundary, body))
            room = max(0, target - out.tell() - 300)
            if room > 100:
                write_attachment(out, boundary, f"file-{index}.pdf", "application/pdf", room * 3 // 4 * 76 // 78, rng)
            out.write(f"--{boundary}--\r\n".encode())
            total += out.tell()
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("message")
    one.add_argument("out")
    one.add_argument("--decoded", default="750MB")
    one.add_argument("--keep-decoded", action="store_true", help="also write the attachment's bytes to OUT.0.bin")
    presets = sub.add_parser("presets")
    presets.add_argument("folder")
    packed = sub.add_parser("compressible")
    packed.add_argument("out")
    packed.add_argument("--sizes", default="200MB", help="comma-separated decoded sizes, one attachment each")
    many = sub.add_parser("drafts")
    many.add_argument("folder")
    many.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    if args.command == "message":
        message(args.out, size(args.decoded), keep_decoded=args.keep_decoded)
    elif args.command == "compressible":
        compressible(args.out, [size(part) for part in args.sizes.split(",")])
    elif args.command == "presets":
        os.makedirs(args.folder, exist_ok=True)
        # 26 MB of attachment: over Gmail's 25 MB sending limit (counted before encoding).
        message(os.path.join(args.folder, "over-gmail-26MB.eml"), 26_000_000, sender="sender@gmail.com", recipient="friend@gmail.com", seed=2)
        # 15 MB of attachment is about 20.5 MB encoded: over iCloud's 20 MB.
        message(os.path.join(args.folder, "over-icloud-15MB.eml"), 15_000_000, sender="sender@icloud.com", recipient="friend@icloud.com", seed=3)
        # About 1 GB on the wire.
        message(os.path.join(args.folder, "one-gigabyte.eml"), 730_000_000, seed=4)
    else:
        total = drafts(args.folder, args.count)
        print(f"{args.count} drafts, {total} bytes")


if __name__ == "__main__":
    main()
