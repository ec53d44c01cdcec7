#!/usr/bin/env python3
"""onestack identity vs the real Keystone: side by side, interleaved, reported as ratios.

The CPU speed here drifts (up to ~2.5x), so each test alternates onestack and Keystone runs (the
order flips every round); the ratio is the geometric mean of the per-round ratios.  Load: wrk and
the Lua scripts of /work/shared/bench/wrk for both (token-method issue: a script generated here on
the shared report.lua).  Keystone: /work/shared/bench/peer-keystone.sh (gunicorn sync x2,
KS_CACHE=memory).  Same bcrypt cost on both sides, read back from both databases.  Stdlib + wrk.
Everything started here is stopped at the end, also on Ctrl-C / SIGTERM.

    python3 benchmarks/identity.py [--secs 10] [--rounds 2] [--skip-keystone] [--keystone-uncached]
"""
import argparse
import collections
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

WRK_DIR, PEER_KS = "/work/shared/bench/wrk", "/work/shared/bench/peer-keystone.sh"
KS_BASE = os.environ.get("KS_BASE", "/tmp/peers/keystone")
KS_ADMIN_PASS = os.environ.get("KS_ADMIN_PASS", "keystone-bench-admin")  # peer-keystone.sh default
ADMIN_PASS = "onestack-bench-admin"
USER_PASS = os.environ.get("KS_USER_PASS", "keystone-bench-user")  # bench-user, on both sides
N_PROJECTS = 1000
BCRYPT_COST = 12  # Keystone 30 default ([identity] password_hash_rounds unset -> bcrypt cost 12)

TOKEN_METHOD_LUA = f"""dofile("{WRK_DIR}/report.lua")  -- token-method issue; env KS_SUBJECT_TOKEN, KS_PROJECT
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{{"auth":{{"identity":{{"methods":["token"],"token":{{"id":"' .. os.getenv("KS_SUBJECT_TOKEN") ..
  '"}}}},"scope":{{"project":{{"name":"' .. os.getenv("KS_PROJECT") .. '","domain":{{"name":"Default"}}}}}}}}}}'
"""

# (key, label, lua script, path under the v3 root, target ratio); each at concurrency 1 and 8
TESTS = [
    ("validate", "token validate", "token_validate.lua", "/auth/tokens", 10),  # + onestack p99 < 10 ms at c=8
    ("list", "list 1000 projects", "auth_get.lua", "/projects", 10),
    ("issue_pw", "issue: password", "token_issue.lua", "/auth/tokens", 1),  # 1: just ahead of Keystone
    ("issue_tok", "issue: token", "token_method.lua", "/auth/tokens", 10),
]


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def call(url, method="GET", body=None, token=None, headers=None, ok=(200, 201, 204)):
    """-> (status, headers, parsed JSON or None); a status outside ``ok`` raises."""
    hdrs = {"Content-Type": "application/json", **({"X-Auth-Token": token} if token else {}), **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, hdrs, method=method), timeout=60) as r:
            raw = r.read()
            return r.status, r.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, e.headers, None
        raise RuntimeError(f"{method} {url} -> {e.code}: {e.read()[:300]!r}") from None


def password_token(v3, user, password, project):
    auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
    return call(f"{v3}/auth/tokens", "POST", auth)[1]["X-Subject-Token"]


def prepare_peer(v3, admin_pass):
    """Idempotent: project bench, bench-user (member on it), N_PROJECTS bench-proj-NNNN."""
    admin = password_token(v3, "admin", admin_pass, "admin")

    def find(kind, name):
        d = call(f"{v3}/{kind}?name={name}", token=admin)[2]
        return d[kind][0]["id"] if d[kind] else None

    def create(kind, obj):
        return call(f"{v3}/{kind}s", "POST", {kind: obj}, admin)[2][kind]["id"]

    pid = find("projects", "bench") or create("project", {"name": "bench", "domain_id": "default"})
    uid = find("users", "bench-user") or create("user", {
        "name": "bench-user", "domain_id": "default", "password": USER_PASS, "default_project_id": pid})
    rid = find("roles", "member") or find("roles", "reader") or create("role", {"name": "member"})
    call(f"{v3}/projects/{pid}/users/{uid}/roles/{rid}", "PUT", token=admin)
    have = {p["name"] for p in call(f"{v3}/projects", token=admin)[2]["projects"]}
    t0, made = time.time(), 0
    for i in range(N_PROJECTS):  # Keystone lists at most 1000 rows, so a 409 means "already there"
        if f"bench-proj-{i:04d}" not in have:
            made += call(f"{v3}/projects", "POST", {"project": {"name": f"bench-proj-{i:04d}",
                         "domain_id": "default", "description": f"bench project {i}"}}, admin, ok=(201, 409))[0] == 201
    log(f"{v3}: created {made} projects in {time.time() - t0:.1f}s; GET /projects returns "
        f"{len(call(f'{v3}/projects', token=admin)[2]['projects'])}")


def bcrypt_costs(db_path):
    """The bcrypt costs of every hash stored anywhere in an SQLite database (read-only)."""
    if not os.path.exists(db_path):
        return f"(no {db_path})"
    costs, con = set(), sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    for (table,) in con.execute("select name from sqlite_master where type='table'").fetchall():
        for col in con.execute(f'pragma table_info("{table}")').fetchall():
            for (v,) in con.execute(f'select "{col[1]}" from "{table}" where "{col[1]}" like \'$2%$%\''):
                if m := re.match(r"\$2[aby]?\$(\d\d)\$", str(v)):
                    costs.add(int(m.group(1)))
    con.close()
    return sorted(costs)


def tree_memory_mb(root):
    """(RSS summed over root and its descendants, PSS summed, number of processes); MB."""
    children = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{d}/stat") as f:
            children.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(d))
    kb, pids, todo = {"Rss:": 0, "Pss:": 0}, [], [root]
    while todo:
        pids.append(todo.pop())
        todo.extend(children.get(pids[-1], []))
        with contextlib.suppress(OSError, ValueError), open(f"/proc/{pids[-1]}/smaps_rollup") as f:
            for field, value, *_ in (ln.split() for ln in f):
                if field in kb:
                    kb[field] += int(value)
    return kb["Rss:"] / 1024, kb["Pss:"] / 1024, len(pids)


class Onestack:
    def __init__(self, binary, workers, data_dir):
        self.binary, self.workers, self.data_dir, self.proc = binary, workers, data_dir, None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.v3 = f"http://127.0.0.1:{self.port}/identity/v3"

    def start(self, timeout=60.0):
        """Start `onestack serve`; returns the seconds until /identity/v3 first answers 200."""
        env = dict(os.environ, ONESTACK_ADMIN_PASSWORD=ADMIN_PASS,
                   ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS=str(BCRYPT_COST))
        cmd = [self.binary, "serve", "--data-dir", self.data_dir, "--port", str(self.port)]
        cmd += ["--workers", str(self.workers)] if self.workers else []
        self.logf = open(f"{self.data_dir}.log", "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        while time.perf_counter() - t0 < timeout:
            with contextlib.suppress(OSError), urllib.request.urlopen(self.v3, timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
            if self.proc.poll() is not None:
                raise RuntimeError(f"{' '.join(cmd)} exited {self.proc.returncode}: "
                                   + open(self.logf.name, errors="replace").read()[-1500:])
            time.sleep(0.01)
        raise RuntimeError(f"onestack did not answer {self.v3} within {timeout}s; see {self.logf.name}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:  # its own session: the workers go with it
                log(f"onestack pid {self.proc.pid} ignored SIGTERM for 20 s; SIGKILL to its session")
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.logf.close()
        self.proc = None


class Keystone:
    """The peer-keystone.sh server; stopped at the end only if this script started it."""

    def __init__(self, port):
        self.port, self.started, self.mode = port, False, "memory"
        self.v3 = f"http://127.0.0.1:{port}/v3"

    def script(self, cmd, mode):
        env = dict(os.environ, KS_CACHE=mode, KS_PORT=str(self.port), KS_WORKERS="2")
        subprocess.run([PEER_KS, cmd], env=env, check=True, stdout=sys.stderr)

    def pid(self):
        try:
            pid = int(open(f"{KS_BASE}/keystone.pid").read())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def ensure(self, mode):
        conf = f"{KS_BASE}/etc/keystone.conf"
        if self.pid() and ("dogpile.cache.memory" in open(conf).read()) != (mode == "memory"):
            if not self.started:  # someone else's Keystone, in the other cache mode
                raise SystemExit(f"a Keystone not started here runs with another cache mode: {PEER_KS} stop")
            self.script("stop", mode)
        if not self.pid():
            self.script("start", mode)
            self.started = True
        self.mode = mode
        log(f"keystone up: {self.v3} cache={mode}")

    def stop(self):
        if self.started and self.pid():
            self.script("stop", self.mode)


def wrk(url, lua, conns, secs, env):
    cmd = ["wrk", f"-t{1 if conns < 2 else 2}", f"-c{conns}", f"-d{secs}s", "--timeout", "60s",
           "--latency", "-s", lua, url]
    out = subprocess.run(cmd, env=dict(os.environ, **env), capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"no RESULT line from wrk:\n{out}")
    r = {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    # wrk leaves requests in flight; let the server finish them so the next run starts clean
    time.sleep(min(r["max_ms"] / 1000, 5))
    return r


class Peer(collections.namedtuple("Peer", "name v3 admin_pass")):
    def wrk_env(self, key):
        """Fresh tokens for one test; the request is made once by hand so wrk never times errors."""
        admin = password_token(self.v3, "admin", self.admin_pass, "admin")
        user = password_token(self.v3, "bench-user", USER_PASS, "bench")
        if key == "validate":
            call(f"{self.v3}/auth/tokens", headers={"X-Subject-Token": user}, token=admin)
        elif key == "list":
            n = len(call(f"{self.v3}/projects", token=admin)[2]["projects"])
            assert n >= N_PROJECTS, f"only {n} projects listed"
        elif key == "issue_tok":
            call(f"{self.v3}/auth/tokens", "POST", {"auth": {"identity": {"methods": ["token"], "token": {
                "id": user}}, "scope": {"project": {"name": "bench", "domain": {"name": "Default"}}}}}, ok=(201,))
        return {"KS_ADMIN_TOKEN": admin, "KS_SUBJECT_TOKEN": user, "KS_USER": "bench-user",
                "KS_PASS": USER_PASS, "KS_PROJECT": "bench"}


def run_suite(peers, args, lua_dir, rows):
    """Each test: per round one wrk run per peer, the order flipping every round."""
    for (key, label, lua, path, target), conns in ((t, c) for t in TESTS for c in (1, 8)):
        if args.only and key not in args.only:
            continue
        envs, row = {}, {"test": label, "c": conns, "target": target, "key": key, "runs": {}, "errors": {}}
        for p in peers:
            try:
                envs[p.name], row["runs"][p.name] = p.wrk_env(key), []
            except Exception as e:  # one broken endpoint must not stop the rest of the suite
                row["errors"][p.name] = str(e)
                log(f"{label}: {p.name} fails the sanity request, not measured: {e}")
        ok = [p for p in peers if p.name in envs]
        lua_path = os.path.join(lua_dir if lua == "token_method.lua" else WRK_DIR, lua)
        for rnd in range(args.rounds):
            for p in ok if rnd % 2 == 0 else ok[::-1]:
                if args.warmup:
                    wrk(p.v3 + path, lua_path, conns, args.warmup, envs[p.name])
                r = wrk(p.v3 + path, lua_path, conns, args.secs, envs[p.name])
                row["runs"][p.name].append(r)
                log(f"{label} c={conns} round {rnd + 1} {p.name}: {r['rps']:.1f} req/s "
                    f"p50 {r['p50_ms']:.2f} ms p99 {r['p99_ms']:.2f} ms non2xx {r['non2xx']:.0f}")
        if len(ok) == 2:
            row["ratios"] = [a["rps"] / b["rps"] for a, b in zip(*(row["runs"][p.name] for p in ok), strict=True)]
        rows.append(row)


def startup_figures(args, tmp, started):
    """Cold start (fresh data dir) and restart of `onestack serve` as a user runs it; idle memory."""
    cold, warm, mem = [], [], []
    for i in range(args.rounds):
        inst = Onestack(args.onestack, None, os.path.join(tmp, f"cold-{i}"))
        started.append(inst)
        cold.append(inst.start())
        time.sleep(2)
        mem.append(tree_memory_mb(inst.proc.pid))
        inst.stop()
        warm.append(inst.start())
        inst.stop()
    return {"cold_start_s": statistics.median(cold), "restart_s": statistics.median(warm), "idle": max(mem)}


def print_suite(names, rows):
    hdr = (f"{'test':<19}{'c':>2} | " + " | ".join(f"{n + ' req/s':>22}{'p50 ms':>8}{'p99 ms':>8}" for n in names)
           + f" | {'ratio (per round)':<19} verdict")
    print(hdr + "\n" + "-" * len(hdr))
    for row in rows:
        cells, verdict = [], []
        for name in names:
            if runs := row["runs"].get(name):
                rps, p50, p99 = (statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms"))
                cells.append(f"{rps:>22.1f}{p50:>8.2f}{p99:>8.2f}")
                err = sum(r[k] for r in runs for k in ("non2xx", "connect_err", "read_err", "write_err", "timeouts"))
                verdict += [f"{name} ERRORS={err:.0f}"] if err else []
                if name == "onestack" and row["key"] == "validate" and row["c"] == 8:
                    verdict.append(f"p99<10ms {'PASS' if p99 < 10 else 'FAIL'}")
            else:
                cells.append(f"{'FAILED' if name in row['errors'] else '-':>38}")
                verdict += [f"{name}: {row['errors'][name][:70]}"] if name in row["errors"] else []
        ratio = ""
        if "ratios" in row:
            g, goal = math.exp(statistics.fmean(math.log(x) for x in row["ratios"])), row["target"]
            fmt = lambda x: f"{x:.1f}" if x >= 10 else f"{x:.2f}"  # noqa: E731
            ratio = f"{fmt(g):>5}x ({'/'.join(fmt(x) for x in row['ratios'])})"
            passed = g >= goal if goal > 1 else g > 1
            verdict.insert(0, f"{'>=' if goal > 1 else '>'}{goal}x {'PASS' if passed else 'FAIL'}")
        print(f"{row['test']:<19}{row['c']:>2} | {' | '.join(cells)} | {ratio:<19} {', '.join(verdict)}")
    print()


def report(args, facts, suites):
    yes = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    print(f"\nonestack identity vs Keystone: wrk {args.secs}s x {args.rounds} interleaved rounds "
          f"(+{args.warmup}s warmup each) on {os.cpu_count()} CPUs; req/s, p50, p99 = medians over "
          f"rounds; ratio = geometric mean of the per-round onestack/Keystone req/s")
    print(f"bcrypt cost: onestack {facts.get('onestack_bcrypt', 'n/a')}, keystone {facts.get('keystone_bcrypt', 'n/a')}"
          f"; onestack --workers 2, keystone gunicorn sync workers=2")
    print(f"{facts.get('calib_before', '')}  ->  {facts.get('calib_after', '(interrupted)')}\n")
    for names, rows in suites:
        print_suite(names, rows)
    if "onestack_error" in facts:
        print(f"ONESTACK FAILED: {facts['onestack_error'][:1500]}\n")
    if "cold_start_s" in facts:
        cs, (rss, pss, n) = facts["cold_start_s"], facts["idle"]
        print(f"cold start (`onestack serve`, fresh data dir, to the first 200 on /identity/v3): {cs:.2f} s "
              f"[target < 2 s: {yes(cs < 2)}]; restart on the existing data dir {facts['restart_s']:.2f} s")
        print(f"idle RSS summed over the process tree (default workers, {n} process{'es' * (n > 1)}): "
              f"{rss:.0f} MB [target < 150 MB: {yes(rss < 150)}]; PSS {pss:.0f} MB")
    for key, what in (("w2_idle", "onestack --workers 2, idle"), ("keystone_memory", "keystone cache=memory"),
                      ("keystone_none", "keystone stock")):
        if key in facts:
            rss, pss, n = facts[key]
            print(f"{what}: RSS {rss:.0f} MB summed over {n} processes (PSS {pss:.0f} MB)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for opt, default, what in (("--secs", 10, "seconds per wrk run"), ("--rounds", 2, "interleaved rounds"),
                               ("--warmup", 2, "discarded wrk seconds before each run")):
        ap.add_argument(opt, type=int, default=default, help=f"{what} [{default}]")
    ap.add_argument("--skip-keystone", action="store_true")
    ap.add_argument("--skip-onestack", action="store_true", help="Keystone's own figures only")
    ap.add_argument("--keystone-uncached", action="store_true", help="then again vs stock Keystone (no cache)")
    ap.add_argument("--only", nargs="*", choices=sorted({t[0] for t in TESTS}), help="subset of the tests")
    ap.add_argument("--onestack", default=shutil.which("onestack") or "/tmp/devvenv/bin/onestack")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk missing: apt-get install -y wrk")
    [signal.signal(sig, signal.default_int_handler) for sig in (signal.SIGINT, signal.SIGTERM)]  # -> KeyboardInterrupt
    tmp = tempfile.mkdtemp(prefix="onestack-bench-")
    with open(os.path.join(tmp, "token_method.lua"), "w") as f:
        f.write(TOKEN_METHOD_LUA)
    calib = lambda: subprocess.run([PEER_KS, "calib"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    started, suites, facts, ks, os_peer = [], [], {"calib_before": calib()}, None, None
    try:
        try:
            if not args.skip_onestack:
                facts.update(startup_figures(args, tmp, started))
                inst = Onestack(args.onestack, 2, os.path.join(tmp, "bench"))
                started.append(inst)
                inst.start()
                time.sleep(2)
                facts["w2_idle"] = tree_memory_mb(inst.proc.pid)
                prepare_peer(inst.v3, ADMIN_PASS)
                facts["onestack_bcrypt"] = bcrypt_costs(os.path.join(inst.data_dir, "onestack.db"))
                os_peer = Peer("onestack", inst.v3, ADMIN_PASS)
        except (OSError, RuntimeError, KeyError) as e:  # still measure Keystone on its own
            facts["onestack_error"] = f"{type(e).__name__}: {e}"
            log(f"onestack is not usable, Keystone only: {facts['onestack_error']}")
        for mode in [None] if args.skip_keystone else ["memory"] + ["none"] * args.keystone_uncached:
            peers = [os_peer] if os_peer else []
            if mode:
                ks = ks or Keystone(int(os.environ.get("KS_PORT", 5001)))
                ks.ensure(mode)
                prepare_peer(ks.v3, KS_ADMIN_PASS)
                facts["keystone_bcrypt"] = bcrypt_costs(f"{KS_BASE}/keystone.db")
                facts[f"keystone_{mode}"] = tree_memory_mb(ks.pid())
                peers.append(Peer("keystone-cached" if mode == "memory" else "keystone-stock", ks.v3, KS_ADMIN_PASS))
            suites.append((["onestack"] + [p.name for p in peers if p is not os_peer], []))
            run_suite(peers, args, tmp, suites[-1][1])
        facts["calib_after"] = calib()
    except KeyboardInterrupt:
        log("interrupted; stopping what was started")
    finally:
        for inst in started:
            inst.stop()
        if ks:
            ks.stop()
    report(args, facts, suites)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
