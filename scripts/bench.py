#!/usr/bin/env python3
"""Benchmarks mailprep check against its peers on the same files, in the same run.

    python3 scripts/bench.py                 # release build, generate inputs if missing, 5 runs each
    python3 scripts/bench.py --runs 3 --python-runs 1
    python3 scripts/bench.py --no-python     # mailprep and wc -l only (Python takes minutes on 1 GB)
    python3 scripts/bench.py --only check --baseline /tmp/old/mailprep   # before/after a change, in one run

Inputs (bench-out/, never committed) come from scripts/generate-large.py: a message of about 1 GB with one
base64 attachment, and 10,000 drafts of 2-200 kB (about 700 MB). The page cache is warmed first. Each job is
the same work: parse, list every leaf part with its decoded size. Reported: median wall time, throughput,
peak RSS of the process (GNU time), CPU use (user+system over wall: 200% is both cores), and the ratio to
Python's email package.

The share jobs (--only share): mailprep fix --strategy link of a message with a 1 GB attachment (parse, decode,
SHA-256 on a second thread, write, fsync, read back and hash again, rename) against a plain copy of the same
decoded file plus its SHA-256, with coreutils sha256sum and with openssl (which uses the CPU's SHA instructions).

The serve jobs (--only serve): mailprep serve on 127.0.0.1, a 1 GB download with curl (against curl reading the
same file from disk, file://), then wrk with 100 and with 1,000 connections (--wrk-connections) for 30 s each: the download page of a 100 MB
file, random 1 MiB ranges of it, and that whole file again and again; reported are requests, errors (socket
errors, and answers other than 206 for ranges) and the server's peak RSS during each run.

The sendmail jobs (--only sendmail): mailprep sendmail in front of a real sender against that real sender alone, on
the same message, for a 25 MB message that fits, one of 250 MB that fits (memory should not grow with it), and a
25 MB one that must be fixed (a CSV compressed to fit 10 MB). The real sender is a sink (cat > /dev/null), so the
ratio is what mailprep adds, not what a network costs.

The relay jobs (--only relay; root, Debian's postfix): a Postfix of the bench's own on the loopback, delivering into a
Maildir, and mailprep relay in front of it. One 20 MB message sent with smtplib straight to Postfix against through
the relay (time from connect to the 250 for the data); then --load-clients (50) clients sending 1-5 MB messages at
once for --load-seconds (30): how many were accepted, whether each accepted one arrived exactly once and byte for
byte, none lost, and the relay's peak RSS.

The mailbox jobs (--only mailbox): the first 13,800 drafts (--mbox-messages) as .eml files and as one mbox of about
1 GB written by Python's mailbox.mbox, mailprep check --json of each (both must give as many JSON lines and the same sum
of wireBytes); then, as root, a Dovecot of the bench's own on the loopback with a Maildir folder of 5,000 drafts
(--mailbox-messages): mailprep check --json imap://... (the server's RFC822.SIZE, BODYSTRUCTURE and ENVELOPE, no message
downloaded) and check --exact (every message downloaded) against curl fetching each message whole over one
connection. Each IMAP job's first run follows the removal of Dovecot's index and cache of the folder and is reported
apart (cold); a build without IMAP gets its jobs skipped. A quick try: --only mailbox --no-build --mailprep
.build/debug/mailprep --mbox-messages 300 --mailbox-messages 300 --runs 2.

The fix jobs: mailprep fix of a 200 MB CSV attachment at level 6 against zip -6 of the same decoded file (same
zlib), two 100 MB attachments (compressed in parallel: CPU above 100%), --plan on the 1 GB message, and base64
encoding of new parts (mailprep-bench) against coreutils base64 -w 76.
"""
import argparse
import json
import os
import re
import shutil
import signal
import tempfile
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "bench-out")
BIG = os.path.join(OUT, "one-gigabyte.eml")
DRAFTS = os.path.join(OUT, "drafts")
MAILPREP = os.path.join(ROOT, ".build", "release", "mailprep")
BENCH = os.path.join(ROOT, ".build", "release", "mailprep-bench")
ONE = os.path.join(OUT, "compressible-200MB.eml")
TWO = os.path.join(OUT, "compressible-2x100MB.eml")
MBOX_MESSAGES = 13_800  # the first 13,800 drafts of generate-large.py's series: an mbox of about 1.0 GB


def measure(command, runs, before=None):
    """Runs `command` `runs` times; returns (median seconds, max peak RSS in MB or None, median CPU percent).

    Peak RSS comes from GNU time (a small forking process), since wait4 on a child spawned from Python reports
    the Python parent's pages it shared before exec.
    """
    walls, rss, cpu = [], [], []
    gnu_time = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
    for _ in range(runs):
        if before:
            before()
        with tempfile.NamedTemporaryFile("r") as report:
            wrapped = ([gnu_time, "-f", "%M %U %S", "-o", report.name] if gnu_time else []) + command
            start = time.perf_counter()
            with open(os.devnull, "wb") as null:
                code = subprocess.call(wrapped, stdout=null, stderr=null)
            wall = time.perf_counter() - start
            if code not in (0, 1):
                sys.exit(f"bench: {' '.join(command)} exited {code}")
            walls.append(wall)
            if gnu_time:
                fields = report.read().split()[-3:]
                rss.append(int(fields[0]) / 1024)
                cpu.append(100 * (float(fields[1]) + float(fields[2])) / wall)
    return statistics.median(walls), (max(rss) if rss else None), (statistics.median(cpu) if cpu else None)


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))


def warm(paths):
    for path in paths:
        if os.path.isdir(path):
            for name in os.listdir(path):
                with open(os.path.join(path, name), "rb") as f:
                    while f.read(1 << 20):
                        pass
        else:
            with open(path, "rb") as f:
                while f.read(1 << 24):
                    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python-runs", type=int, default=3)
    parser.add_argument("--no-python", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--only", choices=["check", "fix", "share", "serve", "sendmail", "relay", "mailbox"], help="run one group of jobs")
    parser.add_argument("--mailprep", metavar="BINARY", help="the mailprep to measure (default: .build/release/mailprep)")
    parser.add_argument("--mbox-messages", type=int, default=MBOX_MESSAGES,
                        help=f"drafts in the mbox of the mailbox jobs (default {MBOX_MESSAGES:,}: about 1 GB)")
    parser.add_argument("--mailbox-messages", type=int, default=5_000, help="drafts in the IMAP folder of the mailbox jobs (default 5,000)")
    parser.add_argument("--load-clients", type=int, default=50)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--wrk-seconds", type=int, default=30)
    parser.add_argument("--wrk-connections", default="100,1000", help="comma-separated connection counts for wrk")
    parser.add_argument("--baseline", metavar="BINARY",
                        help="another mailprep (an earlier build): its check jobs run too, alternating with this build's")
    args = parser.parse_args()

    global MAILPREP
    if args.mailprep:
        MAILPREP = LINK[0] = os.path.abspath(args.mailprep)
    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["swift", "build", "-c", "release", "--product", "mailprep-bench"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    os.makedirs(OUT, exist_ok=True)
    if args.only == "share":
        return share_jobs(args)
    if args.only == "serve":
        return serve_jobs(args)
    if args.only == "sendmail":
        return sendmail_jobs(args)
    if args.only == "relay":
        return relay_jobs(args)
    if args.only == "mailbox":
        return mailbox_jobs(args)
    if not os.path.exists(BIG):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "message", BIG, "--decoded", "730MB"], check=True)
    if not os.path.isdir(DRAFTS):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "drafts", DRAFTS], check=True)
    if not os.path.exists(ONE):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "compressible", ONE, "--sizes", "200MB"], check=True)
    if not os.path.exists(TWO):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "compressible", TWO, "--sizes", "100MB,100MB"], check=True)
    warm([BIG, DRAFTS, ONE, ONE + ".0.csv", TWO])
    big_bytes = os.path.getsize(BIG)
    drafts_bytes = folder_bytes(DRAFTS)
    draft_files = [os.path.join(DRAFTS, name) for name in sorted(os.listdir(DRAFTS))]
    python_job = [sys.executable, os.path.join(HERE, "bench_python.py")]

    jobs = [
        ("1 GB message", "wc -l (reading limit)", ["wc", "-l", BIG], big_bytes, args.runs),
        ("1 GB message", "mailprep check --json", [MAILPREP, "check", "--json", BIG], big_bytes, args.runs),
        ("10,000 drafts", "cat (reading limit, 1 core)", ["sh", "-c", f"cat {DRAFTS}/*"], drafts_bytes, args.runs),
        ("10,000 drafts", "mailprep check --json", [MAILPREP, "check", "--json", DRAFTS], drafts_bytes, args.runs),
    ]
    if not args.no_python:
        jobs.insert(2, ("1 GB message", "Python email (compat32)", python_job + [BIG], big_bytes, args.python_runs))
        jobs.append(("10,000 drafts", "Python email (compat32)", python_job + draft_files, drafts_bytes, args.python_runs))

    scratch = os.path.join(OUT, "fixed.eml")
    fix = [MAILPREP, "fix", "--force", "--limit", "100MB", "-o", scratch]
    zip_out = os.path.join(OUT, "zip-6.zip")
    fix_jobs = [
        ("200 MB CSV", "zip -6 (same decoded file)", ["sh", "-c", f"rm -f {zip_out}; zip -q -6 {zip_out} {ONE}.0.csv"], 200_000_000, args.runs),
        ("200 MB CSV", "mailprep fix --level 6", fix + ["--level", "6", ONE], 200_000_000, args.runs),
        ("2 x 100 MB CSV", "mailprep fix --level 6", fix + ["--level", "6", TWO], 200_000_000, args.runs),
        ("1 GB message", "mailprep fix --plan", [MAILPREP, "fix", "--plan", "--limit", "100MB", BIG], big_bytes, args.runs),
        ("200 MB base64", "base64 -w 76 (coreutils)", ["base64", "-w", "76", ONE + ".0.csv"], 200_000_000, args.runs),
        ("200 MB base64", "Base64EncodingSink", [BENCH, "base64", ONE + ".0.csv"], 200_000_000, args.runs),
    ]
    if args.only == "fix":
        jobs = fix_jobs
    elif args.only != "check":
        jobs += fix_jobs
    print(f"inputs: {big_bytes:,} bytes; {len(draft_files):,} drafts, {drafts_bytes:,} bytes; {os.cpu_count()} cores")
    print(f"{'input':<14} {'job':<28} {'runs':>4} {'median s':>9} {'GB/s':>6} {'peak RSS MB':>11} {'CPU %':>6} {'vs peer':>9}")
    print("(vs peer: Nx = N times faster than Python's email; N t = time as a multiple of zip -6 or coreutils base64)")
    results = {}
    for group, name, command, size, runs in jobs:
        if runs <= 0:
            continue
        if args.baseline and name.startswith("mailprep check"):
            # Before and after in one run, alternating, so that the machine's noise falls on both alike.
            base_command = [args.baseline] + command[1:]
            pairs = [(measure(command, 1), measure(base_command, 1)) for _ in range(runs)]
            wall, rss, cpu = (statistics.median(p[0][i] for p in pairs) if pairs[0][0][i] is not None else None for i in range(3))
            base_wall, base_rss, base_cpu = (statistics.median(p[1][i] for p in pairs) if pairs[0][1][i] is not None else None for i in range(3))
            base_rss_text = f"{base_rss:.1f}" if base_rss is not None else "?"
            base_cpu_text = f"{base_cpu:.0f}" if base_cpu is not None else "?"
            print(f"{group:<14} {'baseline ' + name[len('mailprep '):]:<28} {runs:>4} {base_wall:>9.3f} {size / base_wall / 1e9:>6.2f} "
                  f"{base_rss_text:>11} {base_cpu_text:>6} {'':>9}")
            print(f"{'':<14} {'(this build / baseline)':<28} {'':>4} {wall / base_wall:>9.3f}")
        else:
            wall, rss, cpu = measure(command, runs)
        results[(group, name)] = wall
        python = results.get((group, "Python email (compat32)"))
        peer = results.get((group, "zip -6 (same decoded file)")) or results.get((group, "base64 -w 76 (coreutils)"))
        if python and "mailprep" in name:
            ratio = f"{python / wall:.0f}x"
        elif peer and ("mailprep" in name or "Sink" in name):
            ratio = f"{wall / peer:.2f} t"
        else:
            ratio = ""
        rss_text = f"{rss:.1f}" if rss is not None else "?"
        cpu_text = f"{cpu:.0f}" if cpu is not None else "?"
        print(f"{group:<14} {name:<28} {runs:>4} {wall:>9.3f} {size / wall / 1e9:>6.2f} {rss_text:>11} {cpu_text:>6} {ratio:>9}")
        sys.stdout.flush()


SHARED = os.path.join(OUT, "share-1GB.eml")
SHARE = os.path.join(OUT, "share")
LINK = [MAILPREP, "fix", "--strategy", "link", "--force", "--limit", "10MB", "--share-url", "https://files.example.org/m/"]


def print_header():
    print(f"{'input':<16} {'job':<32} {'runs':>4} {'median s':>9} {'GB/s':>6} {'peak RSS MB':>11} {'CPU %':>6} {'vs peer':>9}")


def print_row(group, name, runs, wall, size, rss, cpu, ratio=""):
    rss_text = f"{rss:.1f}" if rss is not None else "?"
    cpu_text = f"{cpu:.0f}" if cpu is not None else "?"
    print(f"{group:<16} {name:<32} {runs:>4} {wall:>9.3f} {size / wall / 1e9:>6.2f} {rss_text:>11} {cpu_text:>6} {ratio:>9}")
    sys.stdout.flush()


def share_jobs(args):
    if not os.path.exists(SHARED + ".0.bin"):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "message", SHARED, "--decoded", "1GB", "--keep-decoded"], check=True)
    decoded = SHARED + ".0.bin"
    copy = os.path.join(OUT, "copy.bin")
    scratch = os.path.join(OUT, "share-bench")
    warm([SHARED, decoded])
    size = os.path.getsize(decoded)
    jobs = [
        ("cp + sha256sum (coreutils)", ["sh", "-c", f"cp {decoded} {copy} && sha256sum {copy}"]),
        ("cp + openssl sha256", ["sh", "-c", f"cp {decoded} {copy} && openssl dgst -sha256 {copy}"]),
        ("mailprep fix --strategy link", LINK + ["--share", scratch, "-o", os.path.join(OUT, "linked.eml"), SHARED]),
    ]

    def clean():
        # Outside the timing: last run's copy goes, and its dirty pages reach the disk first.
        shutil.rmtree(scratch, ignore_errors=True)
        if os.path.exists(copy):
            os.remove(copy)
        subprocess.run(["sync"])
    print(f"input: {os.path.getsize(SHARED):,} bytes, attachment {size:,} bytes; {os.cpu_count()} cores")
    print_header()
    print("(vs peer: time as a multiple of each copy + SHA-256 above it)")
    peers = []
    for name, command in jobs:
        wall, rss, cpu = measure(command, args.runs, before=clean)
        ratio = " / ".join(f"{wall / peer:.2f}" for peer in peers) if "mailprep" in name else ""
        if "mailprep" not in name:
            peers.append(wall)
        print_row("1 GB attachment", name, args.runs, wall, size, rss, cpu, ratio)
    for path in (copy, scratch):
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else (os.path.exists(path) and os.remove(path))


def sendmail_jobs(args):
    inputs = [
        ("25 MB fits", os.path.join(OUT, "send-25MB.eml"), ["message", "--decoded", "18MB"], "100MB"),
        ("250 MB fits", os.path.join(OUT, "send-250MB.eml"), ["message", "--decoded", "180MB"], "1GB"),
        ("25 MB to fix", os.path.join(OUT, "send-25MB-csv.eml"), ["compressible", "--sizes", "18MB"], "10MB"),
    ]
    for _, path, how, _ in inputs:
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), how[0], path] + how[1:], check=True)
    warm([path for _, path, _, _ in inputs])
    sink = "cat > /dev/null"
    print(f"{os.cpu_count()} cores; the real sender is `{sink}`")
    print_header()
    print("(vs peer: time as a multiple of the real sender alone on the same message)")
    for group, path, _, limit in inputs:
        size = os.path.getsize(path)
        alone = ["sh", "-c", f"{sink} < {path}"]
        through = ["sh", "-c", f"{MAILPREP} sendmail --via \"/bin/sh -c '{sink}'\" --limit {limit} --oversize fix -oi wong@example.org < {path}"]
        wall_alone, rss_alone, cpu_alone = measure(alone, args.runs)
        print_row(group, "real sender alone", args.runs, wall_alone, size, rss_alone, cpu_alone)
        wall, rss, cpu = measure(through, args.runs)
        print_row(group, "mailprep sendmail + sender", args.runs, wall, size, rss, cpu, f"{wall / wall_alone:.1f} t")


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_postfix(root, limit):
    """A Postfix of its own in `root` (as the tests make one): loopback only, every address of example.org into one
    Maildir. Returns its port."""
    port = free_port()
    for folder in ("etc", "queue", "data", "mail"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    os.chmod(root, 0o755)
    shutil.chown(os.path.join(root, "data"), "postfix")
    os.chown(os.path.join(root, "mail"), 65534, 65534)
    main = f"""compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-mailprep-bench
maillog_file = /dev/stdout
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mailprep-bench.localdomain
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
message_size_limit = {limit}
virtual_mailbox_domains = example.org
virtual_mailbox_base = {root}/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1
virtual_mailbox_limit = 0
mailbox_size_limit = 0
smtputf8_enable = no
"""
    with open(os.path.join(root, "etc", "main.cf"), "w") as out:
        out.write(main)
    with open("/etc/postfix/master.cf") as master:
        lines = [f"127.0.0.1:{port} inet n - n - - smtpd" if line.startswith("smtp      inet") else line.rstrip("\n") for line in master]
    with open(os.path.join(root, "etc", "master.cf"), "w") as out:
        out.write("\n".join(lines) + "\n")
    # In the foreground, its log on standard output (maillog_file takes only /var or /dev/stdout), as the tests do.
    log = open(os.path.join(root, "maillog"), "w")
    subprocess.Popen(["/usr/sbin/postfix", "-c", os.path.join(root, "etc"), "start-fg"], stdout=log, stderr=log)
    import socket
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.05)
    return port


def start_relay(upstream, folder):
    errors = open(os.path.join(folder, "relay.err"), "w+")
    env = dict(os.environ, HOME=folder, TMPDIR=folder, LANG="C.UTF-8")
    process = subprocess.Popen([MAILPREP, "relay", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream}",
                                "--upstream-tls", "none", "--upstream-auth", "none", "--limit", "100MB"],
                               stdout=open(os.path.join(folder, "relay.log"), "w"), stderr=errors, env=env)
    for _ in range(300):
        text = open(errors.name).read()
        found = re.search(r"smtp://127\.0\.0\.1:(\d+)", text)
        if found:
            return process, int(found.group(1))
        time.sleep(0.05)
    raise SystemExit("relay did not start: " + open(errors.name).read())


def smtp_send(port, data):
    """Sends `data` with smtplib; returns (seconds from connect to the data's 250, or None when refused)."""
    import smtplib
    start = time.perf_counter()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=600) as client:
            client.sendmail("chan@example.hk", ["wong@example.org"], data)
        return time.perf_counter() - start
    except (smtplib.SMTPException, OSError):
        return None


def delivered_messages(root):
    folder = os.path.join(root, "mail", "inbox", "new")
    found = {}
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), "rb") as handle:
            text = handle.read()
        # Without the fields Postfix adds, with CRLF again (the Maildir has LF): as sent.
        text = re.sub(rb"^(Return-Path|X-Original-To|Delivered-To|Received): [^\n]*\n([ \t][^\n]*\n)*", b"", text, flags=re.M)
        text = text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        key = re.search(rb"Message-ID: <([^@>]+)@", text).group(1).decode()
        found.setdefault(key, []).append(text)
    return found


def relay_jobs(args):
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/postfix"):
        raise SystemExit("relay jobs: need root and Debian's postfix")
    import base64
    import random
    import threading
    root = tempfile.mkdtemp(prefix="mailprep-bench-postfix-")
    folder = tempfile.mkdtemp(prefix="mailprep-bench-relay-")
    upstream = start_postfix(root, 100_000_000)
    relay, port = start_relay(upstream, folder)
    try:
        def message(key, decoded):
            body = base64.encodebytes(random.randbytes(decoded)).replace(b"\n", b"\r\n")
            return (f"From: chan@example.hk\r\nTo: wong@example.org\r\nSubject: bench\r\nDate: Thu, 03 Dec 2026 10:00:00 +0800\r\n"
                    f"Message-ID: <{key}@bench.example.hk>\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n").encode() + body
        print(f"{os.cpu_count()} cores; Postfix {subprocess.run(['postconf', '-d', '-h', 'mail_version'], capture_output=True, text=True).stdout.strip()} on the loopback, into a Maildir")
        print_header()
        print("(vs peer: time as a multiple of straight to Postfix)")
        direct, through = [], []
        for run in range(args.runs):
            data = message(f"one-{run}", 14_600_000)
            direct.append(smtp_send(upstream, data))
            data = message(f"relayed-{run}", 14_600_000)
            through.append(smtp_send(port, data))
        if None in direct or None in through:
            raise SystemExit(f"a 20 MB message was refused: {direct} {through}")
        size = len(data)
        wall_direct, wall_through = statistics.median(direct), statistics.median(through)
        print_row("20 MB message", "straight to Postfix", args.runs, wall_direct, size, None, None)
        print_row("20 MB message", "through mailprep relay", args.runs, wall_through, size, peak_rss_mb(relay.pid), None,
                  f"{wall_through / wall_direct:.1f} t")

        # Load: clients at once, each sending one message after another until the time is up.
        bodies = [message("{key}", random.randint(700_000, 3_600_000)) for _ in range(8)]
        sent, refused, lock = {}, [0], threading.Lock()
        deadline = time.monotonic() + args.load_seconds

        def client(number):
            count = 0
            while time.monotonic() < deadline:
                key = f"load-{number}-{count}"
                data = bodies[(number + count) % len(bodies)].replace(b"{key}", key.encode())
                count += 1
                if smtp_send(port, data) is None:
                    with lock:
                        refused[0] += 1
                else:
                    with lock:
                        sent[key] = data
        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(number,)) for number in range(args.load_clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rss = peak_rss_mb(relay.pid)
        expected = len(sent) + 2 * args.runs
        for _ in range(1200):
            found = delivered_messages(root)
            if sum(len(copies) for copies in found.values()) >= expected:
                break
            time.sleep(0.5)
        found = delivered_messages(root)
        missing = [key for key in sent if key not in found]
        twice = [key for key, copies in found.items() if len(copies) > 1]
        changed = [key for key in sent if key in found and found[key][0] != sent[key]]
        octets = sum(len(data) for data in sent.values())
        print(f"load: {args.load_clients} clients for {args.load_seconds} s: {len(sent)} messages accepted ({octets / 1e6:.0f} MB, "
              f"{octets / elapsed / 1e6:.1f} MB/s), {refused[0]} refused or failed; delivered: {len(sent) - len(missing)} of {len(sent)}, "
              f"{len(twice)} twice, {len(changed)} changed; relay peak RSS {rss:.1f} MB")
        if changed:
            a, b = found[changed[0]][0], sent[changed[0]]
            at = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            print(f"first difference of {changed[0]} at octet {at} of {len(b)} (delivered {len(a)}): {a[max(0, at - 60):at + 60]!r} / {b[max(0, at - 60):at + 60]!r}")
        if missing or twice or changed:
            raise SystemExit(f"lost {missing[:5]}, twice {twice[:5]}, changed {changed[:5]}")
    finally:
        relay.terminate()
        relay.wait()
        subprocess.run(["/usr/sbin/postfix", "-c", os.path.join(root, "etc"), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def mailbox_inputs(count):
    """The first `count` drafts as a folder of .eml files (the 10,000 drafts themselves when `count` is 10,000) and
    the same messages as one mbox written by Python's mailbox.mbox, in name order; made if missing."""
    import mailbox
    folder = DRAFTS if count == 10_000 else os.path.join(OUT, f"drafts-{count}")
    path = os.path.join(OUT, f"drafts-{count}.mbox")
    if not os.path.isdir(folder) or len(os.listdir(folder)) != count:
        # The generator is seeded: the first N drafts of any count are the same bytes.
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "drafts", folder, "--count", str(count)], check=True)
        if os.path.exists(path):
            os.remove(path)
    if not os.path.exists(path):
        partial = path + ".partial"
        if os.path.exists(partial):
            os.remove(partial)
        box = mailbox.mbox(partial, create=True)
        box.lock()
        try:
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name), "rb") as message:
                    box.add(message.read())
            box.flush()
        finally:
            box.unlock()
            box.close()
        os.rename(partial, path)
    return folder, path


def check_summary(command):
    """Runs `command` (a mailprep check --json) once, outside any timing; returns its JSON objects."""
    result = subprocess.run(command, capture_output=True)
    if result.returncode not in (0, 1):
        sys.exit(f"bench: {' '.join(command)} exited {result.returncode}: {result.stderr.decode(errors='replace').strip()[:2000]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def compare_mbox_to_files(folder, mbox, from_files, from_mbox):
    """Same messages, same count, same sum of wireBytes; or exit with by how much and why."""
    errors = [item for item in from_files + from_mbox if "error" in item]
    if errors:
        sys.exit(f"bench: mailprep check reported errors: {errors[:3]}")
    files_sum = sum(item["wireBytes"] for item in from_files)
    mbox_sum = sum(item["wireBytes"] for item in from_mbox)
    count = len(os.listdir(folder))
    if len(from_files) == len(from_mbox) == count and files_sum == mbox_sum:
        print(f"same messages: {count:,} JSON lines from the folder and from the mbox, wireBytes summing to {files_sum:,} in both")
        return
    # Why: reading an mbox as mboxo (the default) turns every body line `>From ` back into `From `, one octet less
    # each, while Python's mailbox wrote such a line unchanged (it quotes only `From `).
    quoted = 0
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as message:
            text = message.read()
        quoted += len(re.findall(rb"\n>+From ", text))
    by_subject = {item.get("subject"): item["wireBytes"] for item in from_files}
    changed = [item for item in from_mbox if by_subject.get(item.get("subject")) != item["wireBytes"]]
    sys.exit(f"bench: NOT the same: {len(from_files):,} JSON lines from the folder ({count:,} files), {len(from_mbox):,} from the mbox; "
             + ("(this mailprep took the mbox for one message: a build from before mbox support?) " if len(from_mbox) == 1 else "")
             + f"wireBytes {files_sum:,} against {mbox_sum:,} (the mbox {mbox_sum - files_sum:+,} octets), {len(changed):,} message(s) differ "
             f"(first: {[item['file'] for item in changed[:3]]}); the drafts have {quoted:,} body lines beginning >From, which mboxo "
             "reading shortens by one octet each" + (" (that accounts for it)" if files_sum - mbox_sum == quoted and len(from_files) == len(from_mbox) else ""))


def start_dovecot(root, messages):
    """A Dovecot of the bench's own in `root`: IMAP without TLS on the loopback, user bench (password bench), whose
    Maildir folder Drafts holds `messages` (paths), UIDs 1.. in that order. Returns (the Popen, its port)."""
    import socket
    port = free_port()
    os.chmod(root, 0o755)
    mail = os.path.join(root, "mail")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(mail, "Drafts", sub))
    for folder in ("run", "state"):
        os.makedirs(os.path.join(root, folder))
    for number, path in enumerate(messages, 1):
        shutil.copyfile(path, os.path.join(mail, "Drafts", "cur", f"{number}.bench:2,S"))
    subprocess.run(["chown", "-R", "65534:65534", mail], check=True)
    with open(os.path.join(root, "users"), "w") as users:
        users.write("bench:{PLAIN}bench::::::\n")
    conf = os.path.join(root, "dovecot.conf")
    with open(conf, "w") as out:
        out.write(f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}:LAYOUT=fs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={mail}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
    # In the foreground, a child of ours; with an empty signal mask, or the master ignores the SIGTERM that stops it.
    output = open(os.path.join(root, "dovecot.out"), "w")
    process = subprocess.Popen([sys.executable, "-c", "import os,signal,sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
                                "os.execv(sys.argv[1], sys.argv[1:])", "/usr/sbin/dovecot", "-F", "-c", conf],
                               stdout=output, stderr=output)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return process, port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    log = os.path.join(root, "dovecot.log")
    raise SystemExit("dovecot did not start: " + open(output.name).read() + (open(log).read() if os.path.exists(log) else ""))


def stop_dovecot(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def forget_dovecot_index(root, master):
    """Dovecot's index and cache of Drafts go (between sessions; its UID list stays, so UIDs do not change): the next
    session builds them again, parsing every message for what a FETCH asks. The message files stay in the page cache."""
    # Once the last session's imap process (one a session, a child of the master) has written its index and gone.
    for _ in range(200):
        sessions = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{pid}/comm") as comm:
                    name = comm.read().strip()
            except OSError:
                continue
            if int(fields[1]) == master and name == "imap":
                sessions.append(pid)
        if not sessions:
            break
        time.sleep(0.05)
    folder = os.path.join(root, "mail", "Drafts")
    for name in os.listdir(folder):
        if name.startswith("dovecot.index"):
            os.remove(os.path.join(folder, name))


def session_count(root):
    log = os.path.join(root, "dovecot.log")
    return sum(1 for line in open(log) if "imap(bench)" in line and ": Disconnected: " in line) if os.path.exists(log) else 0


def session_output(root, before):
    """Octets Dovecot sent in the first IMAP session ended after `before` sessions had (its log's out=), once logged."""
    for _ in range(100):
        # Sessions of user bench only (imap-login logs its own, of connections that never logged in).
        ended = [line for line in open(os.path.join(root, "dovecot.log")) if "imap(bench)" in line and ": Disconnected: " in line]
        if len(ended) > before:
            return int(re.search(r" out=(\d+)", ended[before]).group(1))
        time.sleep(0.05)
    raise SystemExit("bench: the IMAP session did not end in Dovecot's log")


def imap_unsupported(result):
    """True when `mailprep check` failed because this build cannot read imap:// at all (a path to it, or a usage
    error), not because the IMAP session failed."""
    text = (result.stdout + result.stderr).decode(errors="replace").lower()
    return (result.returncode == 64 and ("imap" in text or "unknown option" in text)) or (result.returncode == 66 and "no such file" in text)


def mailbox_jobs(args):
    """An mbox of about 1 GB against the same messages as files; an IMAP folder against downloading it with curl."""
    import hashlib
    print(f"{os.cpu_count()} cores; mailprep {MAILPREP}")
    folder, mbox = mailbox_inputs(args.mbox_messages)
    warm([folder, mbox])
    count = len(os.listdir(folder))
    octets = folder_bytes(folder)
    group = f"{count:,} drafts"
    print(f"inputs: {count:,} drafts in {folder}, {octets:,} bytes; the same as one mbox (Python's mailbox.mbox) {mbox}, "
          f"{os.path.getsize(mbox):,} bytes")
    compare_mbox_to_files(folder, mbox, check_summary([MAILPREP, "check", "--json", folder]), check_summary([MAILPREP, "check", "--json", mbox]))
    print_header()
    print("(GB/s: the messages' octets over wall time; vs peer: time as a multiple of the same messages as files)")
    wall_files, rss, cpu = measure([MAILPREP, "check", "--json", folder], args.runs)
    print_row(group, "mailprep check --json FOLDER", args.runs, wall_files, octets, rss, cpu)
    wall, rss, cpu = measure([MAILPREP, "check", "--json", mbox], args.runs)
    print_row(group, "mailprep check --json MBOX", args.runs, wall, octets, rss, cpu, f"{wall / wall_files:.2f} t")

    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/dovecot"):
        print("IMAP jobs skipped: they need root and /usr/sbin/dovecot")
        return
    if not os.path.isdir(DRAFTS):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "drafts", DRAFTS], check=True)
    messages = [os.path.join(DRAFTS, name) for name in sorted(os.listdir(DRAFTS))[:args.mailbox_messages]]
    octets = sum(os.path.getsize(path) for path in messages)
    root = tempfile.mkdtemp(prefix="mailprep-bench-dovecot-")
    dovecot = None
    try:
        dovecot, port = start_dovecot(root, messages)
        group = f"{len(messages):,} via IMAP"
        version = subprocess.run(["/usr/sbin/dovecot", "--version"], capture_output=True, text=True).stdout.strip()
        print(f"IMAP: Dovecot {version} on 127.0.0.1:{port}, Maildir folder Drafts of {len(messages):,} drafts, {octets:,} bytes")
        # The peer: curl fetching every message whole, one after another over one connection. Not one
        # `-X 'UID FETCH 1:* BODY.PEEK[]'`: libcurl passes a custom request's answer on as response lines only, drops
        # each literal (the message itself), and gives up after 300 kB of them (error 56, "Too large response headers").
        urls = os.path.join(root, "urls.curl")
        with open(urls, "w") as out:
            for uid in range(1, len(messages) + 1):
                out.write(f'url = "imap://127.0.0.1:{port}/Drafts;UID={uid}"\n')
        curl = ["curl", "-sS", "--user", "bench:bench", "-K", urls]
        # That it is the whole folder, byte for byte: counted on curl's standard output (its %{size_download} leaves
        # out a message that arrived with its FETCH line in one read, often the small ones).
        sessions = session_count(root)
        download = subprocess.run(curl, capture_output=True, timeout=1800)
        expected = hashlib.sha256()
        for path in messages:
            with open(path, "rb") as message:
                expected.update(message.read())
        if download.returncode != 0 or len(download.stdout) != octets or hashlib.sha256(download.stdout).digest() != expected.digest():
            sys.exit(f"bench: curl did not download the folder whole: exit {download.returncode}, {len(download.stdout):,} of {octets:,} "
                     f"bytes {download.stderr.decode(errors='replace').strip()[:500]}")
        print(f"curl -K (one UID URL a line, {len(messages):,} of them, one connection): {len(download.stdout):,} bytes received, "
              f"the folder byte for byte; Dovecot sent {session_output(root, sessions):,} bytes in the session")
        del download
        password = dict(os.environ, MAILPREP_IMAP_PASSWORD="bench")
        url = f"imap://bench@127.0.0.1:{port}/Drafts"
        jobs = [("curl, each message whole", curl)]
        for name, extra in (("mailprep check imap://", []), ("mailprep check --exact", ["--exact"])):
            command = [MAILPREP, "check", "--json"] + extra + [url]
            sessions = session_count(root)
            probe = subprocess.run(command, capture_output=True, env=password, timeout=1800)
            if probe.returncode not in (0, 1):
                if imap_unsupported(probe):
                    print(f"{name}: skipped: mailprep has no IMAP support in this build"
                          + (" (or no --exact)" if extra else "") + f" (exit {probe.returncode}: "
                          f"{probe.stderr.decode(errors='replace').strip().splitlines()[-1][:200] if probe.stderr.strip() else ''})")
                    continue
                sys.exit(f"bench: {' '.join(command)} exited {probe.returncode}: {probe.stderr.decode(errors='replace').strip()[:2000]}")
            found = [json.loads(line) for line in probe.stdout.splitlines() if line.strip()]
            measured = sum(item.get("wireBytes", 0) for item in found)
            errors = [item for item in found if "error" in item]
            print(f"mailprep check --json{' --exact' if extra else ''} {url}: {len(found):,} JSON lines (folder: {len(messages):,}), wireBytes summing to {measured:,} "
                  f"({'the same as the files' if measured == octets else f'the files: {octets:,}, {measured - octets:+,}'}); "
                  f"Dovecot sent {session_output(root, sessions):,} bytes in the session"
                  + (f"; {len(errors)} errors, first {errors[0]}" if errors else ""))
            if len(found) != len(messages) or errors:
                sys.exit(f"bench: {name}: not one JSON line for each message of the folder")
            jobs.append((name, ["env", "MAILPREP_IMAP_PASSWORD=bench"] + command))
        print_header()
        print("(mailprep with --json; GB/s: the folder's message octets over wall time; cold: the first session after Dovecot's "
              "index and cache of the folder were removed, the files in the page cache; vs peer: time as a multiple of curl's, "
              "cold against cold)")
        peer = None
        for name, command in jobs:
            forget_dovecot_index(root, dovecot.pid)
            cold, rss_cold, cpu_cold = measure(command, 1)
            wall, rss, cpu = measure(command, args.runs)
            if peer is None:
                peer = (cold, wall)
                ratios = ("", "")
            else:
                ratios = (f"{cold / peer[0]:.2f} t", f"{wall / peer[1]:.2f} t")
            print_row(group, name + " (cold)", 1, cold, octets, rss_cold, cpu_cold, ratios[0])
            print_row(group, name, args.runs, wall, octets, rss, cpu, ratios[1])
            if name.startswith("curl"):
                print(f"curl: {octets / wall / 1e6:.1f} MB/s of message data warm, {octets / cold / 1e6:.1f} MB/s cold")
        log = os.path.join(root, "dovecot.log")
        trouble = [line.strip() for line in open(log) if re.search(r": (Error|Fatal|Panic|Warning): ", line)] if os.path.exists(log) else []
        print(f"Dovecot's log: {len(trouble)} errors or warnings" + "".join(f"\n  {line}" for line in trouble[:10]))
    finally:
        if dovecot:
            stop_dovecot(dovecot)
        shutil.rmtree(root, ignore_errors=True)


def serve_jobs(args):
    """Shares a 1 GB and a 100 MB attachment with fix, serves them, and downloads."""
    hundred = os.path.join(OUT, "share-100MB.eml")
    if not os.path.exists(SHARED):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "message", SHARED, "--decoded", "1GB", "--keep-decoded"], check=True)
    if not os.path.exists(hundred):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "message", hundred, "--decoded", "100MB"], check=True)
    shutil.rmtree(SHARE, ignore_errors=True)
    urls = {}
    for message in (SHARED, hundred):
        result = subprocess.run(LINK + ["--share", SHARE, "--json", "-o", message + ".linked", message], check=True, capture_output=True, text=True)
        link = next(action["link"] for action in json.loads(result.stdout)["actions"] if action["action"] == "link")
        urls[message] = (link["url"].replace("https://files.example.org/m/", ""), link["size"], link["fileName"])
    log = open(os.path.join(OUT, "serve-access.log"), "w")
    server = subprocess.Popen([MAILPREP, "serve", "--share", SHARE, "--listen", "127.0.0.1:0"], stdout=log, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        port = int(re.search(r":(\d+)/", line).group(1))
        base = f"http://127.0.0.1:{port}/"
        big_path, big_size, big_name = urls[SHARED]
        warm([os.path.join(SHARE, big_path.split("/")[0], big_name)])
        print(f"serving {SHARE} on {base}; {os.cpu_count()} cores")
        print_header()
        rows = [
            ("curl file:// (reading limit)", ["curl", "-s", "-o", "/dev/null", "file://" + os.path.join(SHARE, big_path.split("/")[0], big_name)]),
            ("curl from mailprep serve", ["curl", "-s", "-o", "/dev/null", base + big_path]),
        ]
        peer = None
        for name, command in rows:
            wall, rss, cpu = measure(command, args.runs)
            ratio = f"{wall / peer:.2f} t" if peer else ""
            peer = peer or wall
            print_row("1 GB download", name, args.runs, wall, big_size, rss, cpu, ratio)
        path, size, _ = urls[hundred]
        script = os.path.join(OUT, "ranges.lua")
        with open(script, "w") as lua:
            lua.write(RANGES_LUA.replace("SIZE", str(size)))
        page = path.split("/")[0] + "/"
        runs = [(connections, label, target, extra) for connections in (int(n) for n in args.wrk_connections.split(","))
                for label, target, extra in (("the download page", page, []),
                                             (f"random 1 MiB ranges of {size:,} bytes", path, ["-s", script]),
                                             (f"the whole {size:,}-byte file", path, []))]
        for connections, label, target, extra in runs:
            # The peak from here on: writing 5 to clear_refs resets the kernel's high-water mark of resident memory.
            with open(f"/proc/{server.pid}/clear_refs", "w") as clear:
                clear.write("5")
            result = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{args.wrk_seconds}s", "--timeout", "60s", "--latency"] + extra + [base + target],
                                    capture_output=True, text=True, check=True)
            if result.stderr.strip():
                sys.exit(f"bench: wrk: {result.stderr.strip()}")
            requests = int(re.search(r"(\d+) requests in", result.stdout).group(1))
            read = re.search(r"requests in \S+, (\S+) read", result.stdout).group(1)
            socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", result.stdout))
            non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout) or [0, 0])[1])
            wrong = re.search(r"not 206: (\d+)", result.stdout)
            transfer = re.search(r"Transfer/sec:\s+(\S+)", result.stdout).group(1)
            p50 = re.search(r"^\s+50%\s+(\S+)", result.stdout, re.M).group(1)
            p99 = re.search(r"^\s+99%\s+(\S+)", result.stdout, re.M).group(1)
            print(f"wrk: {connections:,} connections, {args.wrk_seconds} s, {label}: {requests:,} requests, {read} read, {transfer}/s, "
                  f"latency p50 {p50} p99 {p99}; errors: {socket_errors} socket, {non2xx} non-2xx"
                  + (f", {wrong.group(1)} not 206" if wrong else "") + f"; server peak RSS during the run {peak_rss_mb(server.pid):.1f} MB")
            sys.stdout.flush()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        log.close()


# Random 1 MiB ranges; each thread counts answers other than 206 and reports them once.
RANGES_LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  math.randomseed(os.time() + id)
  wrong = 0
end
function request()
  local first = math.random(0, SIZE - 1048576)
  wrk.headers["Range"] = "bytes=" .. first .. "-" .. (first + 1048575)
  return wrk.format("GET")
end
function response(status, headers, body)
  if status ~= 206 then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("wrong") end
  io.write("not 206: " .. total .. "\n")
end
"""


if __name__ == "__main__":
    main()
