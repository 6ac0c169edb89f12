"""Writes to the news every 100 ms and measures how long each write takes to show in the
news page that readers get from a replica.

Each write renames the newest article in one transaction with its change-log entry, as a
replica of Capitole commits a write: through one psql session held open for the whole
run, as a replica holds its connections (the server under load is not the one that
writes). After each write, the page is asked again every 10 ms until it shows the new
title; the time from the write's commit to then is its lag, to about 10 ms. Prints one
line:

    writes=N lag_p50_ms=… lag_p99_ms=… lag_max_ms=… unseen=K

Usage: python3 bench/news-writes.py BASE_URL DATABASE_URL SECONDS QUERY
"""

import json
import subprocess
import sys
import time
import urllib.request

base, database_url, seconds, query = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
INTERVAL = 0.1
POLL = 0.01
GIVE_UP = 5.0
DONE = "__done__"

session = subprocess.Popen(
    ["psql", database_url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"],
    stdin=subprocess.PIPE,
    stdout=subprocess.PIPE,
    text=True,
    bufsize=1,
)


def psql(sql: str) -> str:
    """Runs `sql` in the session and returns what it printed, once it has run."""
    session.stdin.write(f"{sql.rstrip().rstrip(';')};\n\\echo {DONE}\n")
    session.stdin.flush()
    lines = []
    while True:
        line = session.stdout.readline()
        if not line:
            sys.exit("psql ended: the write failed")
        if line.rstrip("\n") == DONE:
            return "\n".join(lines).strip()
        lines.append(line.rstrip("\n"))


def first_title() -> str:
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(
        f"{base}/graphql",
        data=body,
        headers={"content-type": "application/json", "accept": "application/graphql-response+json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    return answer["data"]["news"]["nodes"][0]["title"]


newest = psql(
    "SELECT id FROM articles WHERE status = 'PUBLISHED' AND published_at <= now() "
    "ORDER BY published_at DESC, id DESC LIMIT 1"
)
lags = []
unseen = 0
deadline = time.monotonic() + seconds
n = 0
while time.monotonic() < deadline:
    started = time.monotonic()
    n += 1
    title = f"Bench write {n} {time.time():.3f}"
    psql(
        "BEGIN; UPDATE articles SET title = '%s', version = version + 1 WHERE id = '%s'; "
        "INSERT INTO change_log (item_kind, item_id, change, version, public, at) "
        "SELECT 'ARTICLE', id, 'UPDATED', version, true, now() FROM articles WHERE id = '%s'; "
        "COMMIT"
        % (title, newest, newest)
    )
    committed = time.monotonic()
    while first_title() != title:
        if time.monotonic() - committed > GIVE_UP:
            unseen += 1
            break
        time.sleep(POLL)
    else:
        lags.append(time.monotonic() - committed)
    time.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))

session.stdin.close()
session.wait()
lags.sort()


def pct(p: float) -> float:
    return 1000 * lags[min(len(lags) - 1, int(p * len(lags)))] if lags else float("nan")


print(
    f"writes={n} lag_p50_ms={pct(0.5):.0f} lag_p99_ms={pct(0.99):.0f} "
    f"lag_max_ms={1000 * lags[-1] if lags else float('nan'):.0f} unseen={unseen}"
)
