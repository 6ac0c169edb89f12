"""Commits changes of one event, as another replica commits them, and prints what they
cost the server under test: its CPU time (user and system, from /proc) per change,
while the changes are read from the log, fanned out to the live subscribers and
forgotten by the response cache.

Each change renames the event in one transaction with its change-log entry and its
NOTIFY, through one psql session held open for the whole run; changes are 50 ms apart,
so each one is read and fanned out on its own. Prints one line:

    publishing: LABEL changes=N server_cpu_ms_per_change=…

Usage: python3 bench/publishing-cpu.py DATABASE_URL EVENT_UUID SERVER_PID COUNT LABEL [OUT]

With OUT, the line is also appended to that file.
"""

import os
import subprocess
import sys
import time

database_url, event, pid, count, label = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
INTERVAL = 0.05
DONE = "__done__"
TICKS = os.sysconf("SC_CLK_TCK")

session = subprocess.Popen(
    ["psql", database_url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"],
    stdin=subprocess.PIPE,
    stdout=subprocess.PIPE,
    text=True,
    bufsize=1,
)


def psql(sql: str) -> None:
    session.stdin.write(f"{sql.rstrip().rstrip(';')};\n\\echo {DONE}\n")
    session.stdin.flush()
    while True:
        line = session.stdout.readline()
        if not line:
            sys.exit("psql ended: the change failed")
        if line.rstrip("\n") == DONE:
            return


def cpu_ms() -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the line; 12 and 13 after the command.
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


change = f"""BEGIN;
UPDATE events SET title = title || '.', version = version + 1 WHERE id = '{event}';
INSERT INTO change_log (item_kind, item_id, change, version, organization_id, public, at)
  SELECT 'EVENT', id, 'UPDATED', version, NULL, true, now() FROM events WHERE id = '{event}';
NOTIFY capitole_changes;
COMMIT"""

# Settle, then measure.
time.sleep(1)
before = cpu_ms()
start = time.monotonic()
for n in range(count):
    psql(change)
    time.sleep(max(0.0, start + (n + 1) * INTERVAL - time.monotonic()))
time.sleep(0.5)
spent = cpu_ms() - before
session.stdin.close()
session.wait()
line = f"publishing: {label} changes={count} server_cpu_ms_per_change={spent / count:.3f}"
print(line)
if len(sys.argv) > 6:
    with open(sys.argv[6], "a") as out:
        out.write(line + "\n")
