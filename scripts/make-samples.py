#!/usr/bin/env python3
"""Writes the small sample messages in Samples/ (committed; this script is their provenance).

Each sample imitates what a real mail client writes (header order, boundary style, encodings),
with deterministic pseudo-random attachment bytes so the files are reproducible:

    python3 scripts/make-samples.py            # rewrites Samples/*.eml

Large messages are never committed: scripts/generate-large.py makes them.
"""
import base64
import binascii
import os
import quopri
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Samples")


def b64(data, width=76):
    text = base64.b64encode(data).decode("ascii")
    return "\r\n".join(text[i:i + width] for i in range(0, len(text), width))


def qp(text, charset="utf-8"):
    return quopri.encodestring(text.encode(charset)).decode("ascii").replace("\n", "\r\n")


def blob(seed, size, compressible=False):
    rng = random.Random(seed)
    if compressible:
        words = [b"quarterly", b"report", b"revenue", b"\xe6\xb8\xaf\xe5\xb9\xa3", b"table", b"2026", b"total", b"\n"]
        out = bytearray()
        while len(out) < size:
            out += rng.choice(words) + b" "
        return bytes(out[:size])
    return rng.randbytes(size)


def ew(text, charset="utf-8", split=None):
    """RFC 2047 B-encoded words; `split` cuts the encoded bytes at those byte offsets (mid-character on purpose)."""
    raw = text.encode(charset)
    cuts = [0] + (split or []) + [len(raw)]
    words = [f"=?{charset}?B?{base64.b64encode(raw[a:b]).decode()}?=" for a, b in zip(cuts, cuts[1:])]
    return "\r\n ".join(words)


def pct(text, charset):
    return "".join(f"%{b:02X}" if (b > 0x7E or b < 0x21 or chr(b) in "*'%;()<>@,\\\"/[]?=") else chr(b)
                   for b in text.encode(charset))


def write(name, text, crlf=True):
    data = text.replace("\r\n", "\n")
    if crlf:
        data = data.replace("\n", "\r\n")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)


def lines(text):
    """Removes the 8-space source indentation from template lines (substituted lines are not indented)."""
    return "\n".join(line[8:] if line.startswith(" " * 8) else line for line in text.split("\n")).lstrip("\n")


def apple_mail():
    png = blob(1, 9000)
    pdf = blob(2, 24000)
    html = ("<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"></head>"
            "<body style=\"overflow-wrap: break-word;\">Hi Wing,<div><br></div><div>The floor plan and the "
            "signed lease are attached.</div><div><img src=\"cid:7A1C2E44-9F6B-4B52-8D2B-3C6F1E0A9B11\"></div>"
            "<div><br></div><div>Best,</div><div>Mei</div></body></html>")
    plain = "Hi Wing,\n\nThe floor plan and the signed lease are attached.\n\nBest,\nMei\n"
    text = lines(f"""
        From: Mei Chan <mei.chan@icloud.com>
        Content-Type: multipart/mixed;
        \tboundary="Apple-Mail=_5D3B9C1A-2E4F-4A6B-9C8D-1E2F3A4B5C6D"
        Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
        Subject: Lease and floor plan
        Date: Tue, 17 Nov 2026 09:41:12 +0800
        Message-Id: <A4C1F5E2-7B3D-4E8A-9F01-2C3D4E5F6A7B@icloud.com>
        To: Wing Lee <wing.lee@gmail.com>
        Cc: office@outlook.com
        X-Mailer: Apple Mail (2.3774.600.62)


        --Apple-Mail=_5D3B9C1A-2E4F-4A6B-9C8D-1E2F3A4B5C6D
        Content-Type: multipart/alternative;
        \tboundary="Apple-Mail=_0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"


        --Apple-Mail=_0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0
        Content-Transfer-Encoding: quoted-printable
        Content-Type: text/plain;
        \tcharset=utf-8

        {qp(plain)}
        --Apple-Mail=_0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0
        Content-Type: multipart/related;
        \ttype="text/html";
        \tboundary="Apple-Mail=_9A8B7C6D-5E4F-3A2B-1C0D-E9F8A7B6C5D4"


        --Apple-Mail=_9A8B7C6D-5E4F-3A2B-1C0D-E9F8A7B6C5D4
        Content-Transfer-Encoding: quoted-printable
        Content-Type: text/html;
        \tcharset=utf-8

        {qp(html)}
        --Apple-Mail=_9A8B7C6D-5E4F-3A2B-1C0D-E9F8A7B6C5D4
        Content-Transfer-Encoding: base64
        Content-Disposition: inline;
        \tfilename=floorplan.png
        Content-Type: image/png;
        \tx-unix-mode=0644;
        \tname="floorplan.png"
        Content-Id: <7A1C2E44-9F6B-4B52-8D2B-3C6F1E0A9B11>

        {b64(png)}
        --Apple-Mail=_9A8B7C6D-5E4F-3A2B-1C0D-E9F8A7B6C5D4--

        --Apple-Mail=_0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0--

        --Apple-Mail=_5D3B9C1A-2E4F-4A6B-9C8D-1E2F3A4B5C6D
        Content-Disposition: attachment;
        \tfilename=Signed-Lease.pdf
        Content-Type: application/pdf;
        \tx-unix-mode=0644;
        \tname="Signed-Lease.pdf"
        Content-Transfer-Encoding: base64

        {b64(pdf)}
        --Apple-Mail=_5D3B9C1A-2E4F-4A6B-9C8D-1E2F3A4B5C6D--
        """)
    write("apple-mail-alternative-related-attachment.eml", text)


def outlook():
    xlsx = blob(3, 15000)
    csv = blob(4, 12000, compressible=True)
    plain = qp("Hi all,\n\nPlease find the Q3 workbook and the raw export attached. The totals on sheet 2 are final = signed off by audit.\n\nKenneth\n", "us-ascii")
    text = lines(f"""
        From: "Chow, Kenneth" <kenneth.chow@contoso.onmicrosoft.com>
        To: "Finance Team" <finance@example.org>, "Ng, Amy" <amy.ng@yahoo.com.hk>
        Subject: Q3 figures
        Thread-Topic: Q3 figures
        Thread-Index: AdtRk2F8pV3n0QmCS4yWmV1b8fJqkA==
        Date: Wed, 18 Nov 2026 02:15:09 +0000
        Message-ID: <PH0PR11MB5000A1B2C3D4E5F6A7B8C9D0E1F2A3B4@PH0PR11MB5000.namprd11.prod.outlook.com>
        Accept-Language: en-US, zh-HK
        Content-Language: en-US
        X-MS-Has-Attach: yes
        X-MS-TNEF-Correlator:
        Content-Type: multipart/mixed;
        \tboundary="_004_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_"
        MIME-Version: 1.0

        --_004_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_
        Content-Type: multipart/alternative;
        \tboundary="_000_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_"

        --_000_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_
        Content-Type: text/plain; charset="us-ascii"
        Content-Transfer-Encoding: quoted-printable

        {plain}
        --_000_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_
        Content-Type: text/html; charset="us-ascii"
        Content-Transfer-Encoding: quoted-printable

        {qp('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv="Content-Type" content="text/html; charset=us-ascii"><style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;} --></style></head><body lang="EN-US" link="#0563C1" vlink="#954F72"><div class="WordSection1"><p class="MsoNormal">Hi all,<o:p></o:p></p><p class="MsoNormal">Please find the Q3 workbook and the raw export attached.<o:p></o:p></p></div></body></html>', "us-ascii")}
        --_000_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_--

        --_004_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_
        Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;
        \tname="Q3 2026 figures.xlsx"
        Content-Description: Q3 2026 figures.xlsx
        Content-Disposition: attachment; filename="Q3 2026 figures.xlsx"; size={len(xlsx)};
        \tcreation-date="Wed, 18 Nov 2026 02:14:40 GMT";
        \tmodification-date="Wed, 18 Nov 2026 02:14:40 GMT"
        Content-Transfer-Encoding: base64

        {b64(xlsx)}

        --_004_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_
        Content-Type: text/csv; name="export.csv"
        Content-Description: export.csv
        Content-Disposition: attachment; filename="export.csv"; size={len(csv)};
        \tcreation-date="Wed, 18 Nov 2026 02:14:51 GMT";
        \tmodification-date="Wed, 18 Nov 2026 02:14:51 GMT"
        Content-Transfer-Encoding: base64

        {b64(csv)}

        --_004_PH0PR11MB5000A1B2C3D4E5F6A7B8PH0PR11MB5000namp_--
        """)
    write("outlook-mixed-alternative.eml", text)


def gmail_draft():
    jpg = blob(5, 30000)
    text = lines(f"""
        MIME-Version: 1.0
        Date: Thu, 19 Nov 2026 11:02:33 +0800
        Message-ID: <CAF4b7qJ9x2V0m3kQv5r8T1yZ6wN2pL4sH7dE0cB3aX9uR1tK6g@mail.gmail.com>
        Subject: Photos from Saturday
        From: Tsz Yan Ho <tszyan.ho@gmail.com>
        To: family@icloud.com
        Content-Type: multipart/mixed; boundary="0000000000009c1e2a0624f3b7d1"

        --0000000000009c1e2a0624f3b7d1
        Content-Type: multipart/alternative; boundary="0000000000009c1e280624f3b7cf"

        --0000000000009c1e280624f3b7cf
        Content-Type: text/plain; charset="UTF-8"

        Here are the photos from the hike. More to come!

        --0000000000009c1e280624f3b7cf
        Content-Type: text/html; charset="UTF-8"

        <div dir="ltr">Here are the photos from the hike. More to come!</div>

        --0000000000009c1e280624f3b7cf--
        --0000000000009c1e2a0624f3b7d1
        Content-Type: image/jpeg; name="IMG_2041.jpg"
        Content-Disposition: attachment; filename="IMG_2041.jpg"
        Content-Transfer-Encoding: base64
        Content-ID: <f_m3p9x0k10>
        X-Attachment-Id: f_m3p9x0k10

        {b64(jpg)}
        --0000000000009c1e2a0624f3b7d1--
        """)
    write("gmail-draft.eml", text)


def chinese_big5():
    subject = "季度報告（香港辦事處）"
    name = "財務報表.xls"
    body = "各位同事：\n\n附件是本季度的財務報表，請查收。\n\n陳大文\n"
    data = blob(6, 8000)
    text = lines(f"""
        From: {ew("陳大文", "big5")} <taiman.chan@netvigator.com>
        To: {ew("財務部", "big5")} <accounts@hkbn.net>
        Subject: {ew(subject, "big5")}
        Date: Fri, 20 Nov 2026 16:20:00 +0800
        Message-ID: <20261120162000.4711@netvigator.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="----=_NextPart_000_0012_01DB3A1C.5E6F7A80"
        X-Mailer: Microsoft Outlook 16.0

        This is a multi-part message in MIME format.

        ------=_NextPart_000_0012_01DB3A1C.5E6F7A80
        Content-Type: text/plain; charset="big5"
        Content-Transfer-Encoding: base64

        {b64(body.replace(chr(10), chr(13) + chr(10)).encode("big5"))}

        ------=_NextPart_000_0012_01DB3A1C.5E6F7A80
        Content-Type: application/vnd.ms-excel; name*=big5''{pct(name, "big5")}
        Content-Transfer-Encoding: base64
        Content-Disposition: attachment; filename*=big5''{pct(name, "big5")}

        {b64(data)}

        ------=_NextPart_000_0012_01DB3A1C.5E6F7A80--
        """)
    write("chinese-big5-rfc2231.eml", text)


def chinese_utf8():
    subject = "會議紀錄及簡報檔案（第三季）"
    name = "二零二六年第三季業務檢討會議簡報（最終版）.pdf"
    raw = name.encode("utf-8")
    pieces = [raw[0:25], raw[25:52], raw[52:]]  # cut inside characters on purpose: continuations join bytes
    params = ";\r\n ".join(
        f"filename*{i}*=" + ("utf-8''" if i == 0 else "") + "".join(f"%{b:02X}" if b > 0x7E or chr(b) in " %*'" else chr(b) for b in piece)
        for i, piece in enumerate(pieces))
    pdf = blob(7, 20000)
    body = "大家好，\n\n附上今天會議的紀錄和簡報，如有問題請告訴我。\n\n黃小明\n"
    text = lines(f"""
        From: {ew("黃小明", "utf-8")} <siuming.wong@gmail.com>
        To: team@hkbn.net, {ew("李美玲", "utf-8")} <meiling.lee@icloud.com>
        Subject: {ew(subject, "utf-8", split=[7, 20])}
        Date: Sat, 21 Nov 2026 10:00:00 +0800
        Message-ID: <CAHk3e1x5ZtQ@mail.gmail.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="000000000000b2c4d60624f4c8e9"

        --000000000000b2c4d60624f4c8e9
        Content-Type: text/plain; charset="UTF-8"
        Content-Transfer-Encoding: quoted-printable

        {qp(body)}
        --000000000000b2c4d60624f4c8e9
        Content-Type: application/pdf; name="{ew(name, "utf-8").replace(chr(13) + chr(10) + " ", " ")}"
        Content-Disposition: attachment;
         {params}
        Content-Transfer-Encoding: base64

        {b64(pdf)}
        --000000000000b2c4d60624f4c8e9--
        """)
    write("chinese-utf8-rfc2231-continuations.eml", text)


def lf_only():
    zipdata = blob(8, 5000)
    text = lines(f"""
        From: ops@example.org
        To: admin@example.net
        Subject: nightly backup log
        Date: Sun, 22 Nov 2026 03:00:01 +0000
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="=-=-="

        --=-=-=
        Content-Type: text/plain; charset=us-ascii

        Backup finished in 412 s. Log attached.

        --=-=-=
        Content-Type: application/zip
        Content-Disposition: attachment; filename=backup-log.zip
        Content-Transfer-Encoding: base64

        {b64(zipdata)}
        --=-=-=--
        """)
    write("lf-only-line-endings.eml", text, crlf=False)


def forwarded():
    inner_pdf = blob(9, 6000)
    inner = lines(f"""
        From: Supplier <sales@supplier.example>
        To: buyer@example.org
        Subject: Invoice 2026-118
        Date: Mon, 16 Nov 2026 08:00:00 +0000
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="inner-boundary-77"

        --inner-boundary-77
        Content-Type: text/plain

        Invoice attached.

        --inner-boundary-77
        Content-Type: application/pdf; name="invoice-2026-118.pdf"
        Content-Disposition: attachment; filename="invoice-2026-118.pdf"
        Content-Transfer-Encoding: base64

        {b64(inner_pdf)}
        --inner-boundary-77--
        """)
    text = lines("""
        From: buyer@example.org
        To: accounts@gmail.com
        Subject: Fwd: Invoice 2026-118
        Date: Mon, 23 Nov 2026 09:30:00 +0800
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer-boundary-42"

        --outer-boundary-42
        Content-Type: text/plain; charset=utf-8

        Forwarding the invoice, please pay by Friday.

        --outer-boundary-42
        Content-Type: message/rfc822
        Content-Disposition: attachment; filename="Invoice 2026-118.eml"

        """) + inner + "\n--outer-boundary-42--\n"
    write("forwarded-message-rfc822.eml", text)


def boundary_prefix():
    text = lines(f"""
        From: a@example.org
        To: b@example.org
        Subject: boundary that is a prefix of another
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="abc"

        --abc
        Content-Type: multipart/alternative; boundary="abcdef"

        --abcdef
        Content-Type: text/plain

        plain
        --abc is not a delimiter here: text follows it on the line
        --abcdef
        Content-Type: text/html

        <p>html</p>
        --abcdef--
        --abc
        Content-Type: application/octet-stream
        Content-Transfer-Encoding: base64

        {b64(blob(10, 300))}
        --abc--
        """)
    write("boundary-prefix-of-another.eml", text)


def malformed():
    # A boundary that never closes, the last part cut off in the middle of base64.
    data = b64(blob(11, 3000))
    text = lines(f"""
        From: sender@example.org
        To: someone@gmail.com
        Subject: cut off in transfer
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="never-closed"

        --never-closed
        Content-Type: text/plain

        The attachment below was cut off.

        --never-closed
        Content-Type: application/octet-stream; name="data.bin"
        Content-Transfer-Encoding: base64

        """) + data[: len(data) // 2 + 1]
    write("malformed-unclosed-truncated-base64.eml", text)

    text = lines("""
        From: sender@example.org
        To: someone@example.org
        Subject: quoted-printable edge cases
        MIME-Version: 1.0
        Content-Type: text/plain; charset=iso-8859-1
        Content-Transfer-Encoding: quoted-printable

        Soft break here=
         continues; escapes =E9=E8 and a lone = sign, =ZZ, ==3D and =
        a trailing hex =4
        last line=20
        """)
    write("quoted-printable-edge-cases.eml", text)

    payload = b"Hello, world! This is a uuencoded file for testing mailprep.\n" * 3
    uu = "".join(binascii.b2a_uu(payload[i:i + 45]).decode("ascii") for i in range(0, len(payload), 45))
    text = lines(f"""
        From: legacy@example.org
        To: someone@example.org
        Subject: uuencoded attachment
        Content-Type: application/octet-stream; name="hello.txt"
        Content-Transfer-Encoding: x-uuencode

        begin 644 hello.txt
        """) + uu + "`\nend\n"
    write("uuencode-attachment.eml", text)

    text = lines("""
        From: someone@example.org
        To: other@example.org
        Subject: no blank line between header and body
        Content-Type: text/plain
        This line is not a header field, so the body starts here.
        Second line.""")
    write("malformed-no-header-separator-no-final-newline.eml", text)

    with open(os.path.join(OUT, "empty.eml"), "wb"):
        pass
    with open(os.path.join(OUT, "binary-junk.eml"), "wb") as f:
        f.write(b"\x00\x01PK\x03\x04" + blob(12, 2000))


def compressible_attachments():
    rng = random.Random(13)
    rows = ["客戶編號,姓名,地區,電話,金額"]
    for index in range(900):
        rows.append(f"C{index:05d},{rng.choice(['陳大文', '李小美', '黃志明', '張家豪'])},{rng.choice(['九龍', '香港島', '新界'])},"
                    f"+852 {rng.randint(20000000, 99999999)},{rng.randint(100, 99999)}")
    csv = ("\r\n".join(rows) + "\r\n").encode("utf-8")
    log = "".join(f"2026-11-2{i % 9} 10:{i % 60:02d}:00 INFO sync finished, {i * 7} items, café ok\n" for i in range(600))
    jpg = blob(14, 6000)
    name = "客戶名單.csv"
    intro = qp("附上客戶名單和同步記錄。\n")
    text = lines(f"""
        From: Wong Siu Ming <siuming.wong@gmail.com>
        To: accounts@icloud.com
        Subject: {ew("客戶名單及同步記錄", "utf-8")}
        Date: Sun, 22 Nov 2026 18:05:00 +0800
        Message-ID: <compressible-1@mail.gmail.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="000000000000c0ffee0624f5d9a1"

        --000000000000c0ffee0624f5d9a1
        Content-Type: text/plain; charset="UTF-8"
        Content-Transfer-Encoding: quoted-printable

        {intro}
        --000000000000c0ffee0624f5d9a1
        Content-Type: text/csv; charset="UTF-8"; name="{ew(name, "utf-8")}"
        Content-Disposition: attachment; filename*=UTF-8''{pct(name, "utf-8")}
        Content-Transfer-Encoding: base64

        {b64(csv)}
        --000000000000c0ffee0624f5d9a1
        Content-Type: text/plain; charset="UTF-8"; name="sync.log"
        Content-Disposition: attachment; filename="sync.log"
        Content-Transfer-Encoding: quoted-printable

        {qp(log)}
        --000000000000c0ffee0624f5d9a1
        Content-Type: image/jpeg; name="map.jpg"
        Content-Disposition: attachment; filename="map.jpg"
        Content-Transfer-Encoding: base64

        {b64(jpg)}
        --000000000000c0ffee0624f5d9a1--
        """)
    write("chinese-compressible-attachments.eml", text)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    apple_mail()
    outlook()
    gmail_draft()
    chinese_big5()
    chinese_utf8()
    lf_only()
    forwarded()
    boundary_prefix()
    malformed()
    compressible_attachments()
