#!/usr/bin/env python3
"""Writes Samples/expected/NAME.json for every Samples/*.eml with an independent parser: Python's email package.

    python3 scripts/expected.py          # re-record every expected file
    python3 scripts/expected.py --check  # exit 1 if any expected file differs from what Python says now

The Swift tests compare mailprep's parser with these files. Sizes are for the message as sent: every line
ending CRLF (a file with bare LF endings is converted first) and a final CRLF added when the file lacks one,
as an SMTP client must. Per part:
  path            IMAP section number (1, 1.2, ...); message/rfc822 parts are not descended into
  contentType     type/subtype as Python reports it
  filename        decoded (RFC 2231 by Python; RFC 2047 words inside a value decoded with email.header)
  transferEncoding
  bodyWireBytes   octets of the body as transmitted (null for message/rfc822: Python re-serialises those)
  decodedBytes    len(get_payload(decode=True)); for base64 whose last quantum has one character, Python
                  returns the undecoded text, so the decoder's result without that character is used instead
"""
import base64
import email
import email.header
import email.policy
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "Samples")
EXPECTED = os.path.join(SAMPLES, "expected")


def crlf(data):
    data = re.sub(rb"\r?\n", b"\r\n", data)
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def decode_filename(part):
    name = part.get_filename()
    if name is None:
        return None
    if "=?" in name:
        return str(email.header.make_header(email.header.decode_header(name)))
    return name


def decoded_size(part):
    cte = part.get("Content-Transfer-Encoding", "7bit").strip().lower()
    payload = part.get_payload(decode=True)
    if cte == "base64":
        raw = part.get_payload().encode("ascii", "surrogateescape")
        joined = b"".join(raw.splitlines())
        data_chars = len(re.sub(rb"[^A-Za-z0-9+/=]", b"", joined).split(b"=")[0])
        if data_chars % 4 == 1:
            # email's decode_b gives back the encoded text here; decode what can be decoded.
            alphabet = re.sub(rb"[^A-Za-z0-9+/]", b"", joined.split(b"=")[0])[:-1]
            return len(base64.b64decode(alphabet + b"=" * (-len(alphabet) % 4)))
    return len(payload) if payload is not None else None


def leaves(msg, path):
    ctype = msg.get_content_type()
    if msg.get_content_maintype() == "multipart" and msg.is_multipart():
        out = []
        for index, part in enumerate(msg.get_payload(), 1):
            out += leaves(part, path + [index])
        return out
    is_message = ctype in ("message/rfc822", "message/global")
    cte = msg.get("Content-Transfer-Encoding", "7bit").strip().lower()
    entry = {
        "path": ".".join(map(str, path or [1])),
        "contentType": ctype,
        "filename": decode_filename(msg),
        "transferEncoding": cte,
    }
    if is_message:
        entry["bodyWireBytes"] = None
        entry["decodedBytes"] = None
    else:
        raw = msg.get_payload()
        try:
            entry["bodyWireBytes"] = len(raw.encode("ascii", "surrogateescape"))
        except UnicodeEncodeError:
            entry["bodyWireBytes"] = None  # Python replaced undecodable header bytes; its body text is not the source
        entry["decodedBytes"] = decoded_size(msg)
    return [entry]


def expected_for(path):
    with open(path, "rb") as f:
        data = crlf(f.read())
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    return {"wireBytes": len(data), "parts": leaves(msg, [])}


def main():
    check = "--check" in sys.argv
    os.makedirs(EXPECTED, exist_ok=True)
    differ = []
    for name in sorted(os.listdir(SAMPLES)):
        if not name.endswith(".eml"):
            continue
        result = expected_for(os.path.join(SAMPLES, name))
        text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
        target = os.path.join(EXPECTED, name[:-4] + ".json")
        if check:
            old = open(target, encoding="utf-8").read() if os.path.exists(target) else None
            if old != text:
                differ.append(name)
        else:
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
    if differ:
        print("expected files out of date:", ", ".join(differ))
        sys.exit(1)


if __name__ == "__main__":
    main()
