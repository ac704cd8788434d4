"""How fast the web console's pages load on a big chain: populates a running devnet (its node
API given as --node, its home as --home, started with `--keyring-backend test`) with --devices
devices and --txs transactions through the node's API, signed with the repository's Python SDK,
then loads every page of the console in headless Chromium, three times each, and prints per
page: the median load time (navigation to the page's `data-rendered-ms` mark, set by app.js
once the page is drawn), the API calls behind it as the browser's Resource Timing saw them
(count, sum and longest) and the same URLs timed directly from here in the same run.
--json prints the table as JSON. Exits non-zero if a page fails to render or a transaction
fails to commit. The goal is under 1 s per page; the table says what was measured."""

import argparse
import json
import math
import random
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from plexus_sdk import Capabilities, Client, Key, tx
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

GOAL_MS = 1000
LOADS = 3
RENDER_WAIT_S = 60
COMMIT_WAIT_S = 1800
EPOCH_WAIT_S = 90
# The node keeps at most this many of one sender's transactions pending.
SENDER_WINDOW = 1000
MAX_SENDERS = 100
BATCH = 10_000
FUNDERS = ["alice", "bob", "carol", "dave", "erin"]
# Devices are placed in base cell 21 (not a pentagon, so any digits make a valid cell), at
# resolution 7: the map gets one hexagon per device, spread over that base cell.
BASE_CELL, RESOLUTION = 21, 7


STARTED = time.monotonic()


def log(*parts):
    print(f"[{time.monotonic() - STARTED:6.1f}s]", *parts, file=sys.stderr, flush=True)


def h3_cell(rng):
    """A random valid H3 cell of BASE_CELL at RESOLUTION."""
    cell = (1 << 59) | (RESOLUTION << 52) | (BASE_CELL << 45)
    for r in range(1, 16):
        digit = rng.randrange(7) if r <= RESOLUTION else 7
        cell |= digit << (3 * (15 - r))
    return cell


class Node:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.client = Client(self.url, timeout_s=120)

    def get(self, path):
        return self.client.get(path)

    def batch(self, signed):
        """Submits transactions in batches; raises on any refusal but a duplicate."""
        for i in range(0, len(signed), BATCH):
            chunk = signed[i:i + BATCH]
            answer = self.client.post("/v1/txs/batch", {"txs": [s.hex for s in chunk]})
            for s, result in zip(chunk, answer["results"]):
                error = result.get("error")
                if error and error.get("code") != "duplicate":
                    raise RuntimeError(f"tx {s.hash} (nonce {s.nonce}) refused: {error}")

    def nonce(self, address):
        return self.get(f"/v1/accounts/{address}")["nonce"]


def populate(node, home, devices, txs, seed):
    """Registers `devices` devices and sends transfers up to `txs` transactions in all (the
    funding of the senders included), and waits for every one to commit. Returns what the
    pages are then opened with and the population's figures."""
    rng = random.Random(seed)
    status = node.client.status()
    chain_id, fee = status.chain_id, status.min_fee
    devices_before = status.devices
    committed_before = status.txs_committed
    # Hotspots register at a resolution-12 cell they assert; the bench's devices declare a
    # coarse one, so it registers the classes that declare.
    classes = [c for c in node.get("/v1/chain")["device_classes"]
               if c.get("location", "declared") != "asserted"]
    senders_n = max(len(FUNDERS), min(MAX_SENDERS, math.ceil(txs / SENDER_WINDOW)))
    if txs < devices + senders_n:
        raise SystemExit(f"--txs {txs} is fewer than the {devices} registrations and "
                         f"{senders_n} fundings it takes")
    funders = [Key.from_file(Path(home) / "keyring-test" / f"{n}.json") for n in FUNDERS]
    senders = [Key.generate() for _ in range(senders_n)]

    # What each sender sends: registrations, then transfers among the senders, in turn.
    # Every class in turn, but the classes of a large stake (over 1000 PLX) only for one
    # device in a hundred: the devnet's accounts hold 5M PLX in all.
    cheap = [c for c in classes if int(c["min_stake"]) <= 1000 * 10**6] or classes
    dear = [c for c in classes if c not in cheap]
    plan = [[] for _ in senders]
    for i in range(devices):
        if dear and i % 100 == 99:
            cls = dear[(i // 100) % len(dear)]
        else:
            cls = cheap[i % len(cheap)]
        plan[i % senders_n].append(("register", cls))
    for i in range(txs - devices - senders_n):
        plan[i % senders_n].append(("transfer", None))
    need = [sum(int(c["min_stake"]) for kind, c in p if kind == "register") + len(p) * (fee + 1)
            for p in plan]

    held = sum(int(node.get(f"/v1/accounts/{f.address}")["balance"]) for f in funders)
    if sum(need) + senders_n * fee > held:
        raise SystemExit(f"the stakes and fees take {sum(need)} uplx, the devnet's accounts "
                         f"hold {held}")
    started = time.monotonic()
    log(f"funding {senders_n} senders from {len(funders)} devnet accounts")
    funding, funded_nonce = [], {}
    for j, funder in enumerate(funders):
        nonce = node.client.next_nonce(funder.address)
        for i in range(j, senders_n, len(funders)):
            funding.append(tx.sign(funder, chain_id, nonce, fee,
                                   tx.transfer(senders[i].address, need[i] + fee)))
            nonce += 1
        funded_nonce[str(funder.address)] = nonce
    node.batch(funding)
    wait_committed(node, funded_nonce, len(funding), started, "funding")

    log(f"signing {sum(len(p) for p in plan)} transactions")
    signed_per_sender = []
    first_device, a_transfer = None, None
    sign_started = time.monotonic()
    for i, (sender, steps) in enumerate(zip(senders, plan)):
        out = []
        for nonce, (kind, cls) in enumerate(steps):
            if kind == "register":
                device = Key.generate()
                caps = Capabilities(cpu_cores=8, memory_mb=16_384,
                                    gpu_model="A100" if cls["name"].startswith("gpu") else "",
                                    gpu_count=1 if cls["name"].startswith("gpu") else 0)
                body = tx.signed_registration(sender, device, chain_id, cls["name"], caps,
                                              h3_cell(rng), int(cls["min_stake"]))
                first_device = first_device or device.public_key.hex()
            else:
                body = tx.transfer(senders[(i + 1 + nonce) % senders_n].address, 1)
            s = tx.sign(sender, chain_id, nonce, fee, body)
            if kind == "transfer" and a_transfer is None:
                a_transfer = s.hash
            out.append(s)
        signed_per_sender.append(out)
    sign_s = time.monotonic() - sign_started
    log(f"signed in {sign_s:.1f} s")

    # Each sender keeps at most SENDER_WINDOW transactions pending: send its next ones as
    # the earlier commit.
    submit_started = time.monotonic()
    sent = [0] * senders_n
    done = [0] * senders_n
    total = sum(len(s) for s in signed_per_sender)
    deadline = time.monotonic() + COMMIT_WAIT_S
    last_line = 0.0
    base = node.client.status().txs_committed
    while sum(done) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{total - sum(done)} transactions not committed in {COMMIT_WAIT_S} s")
        wave = []
        for i, out in enumerate(signed_per_sender):
            upto = min(len(out), done[i] + SENDER_WINDOW)
            wave.extend(out[sent[i]:upto])
            sent[i] = max(sent[i], upto)
        if wave:
            node.batch(wave)
        time.sleep(0.5)
        # The chain's count says how far it got; each sender's nonce is read only when it has
        # more to send, or once the count says all may be in.
        progress = node.client.status().txs_committed - base
        all_sent = all(sent[i] == len(out) for i, out in enumerate(signed_per_sender))
        for i, sender in enumerate(senders):
            if done[i] < sent[i] and (sent[i] < len(signed_per_sender[i])
                                      or (all_sent and progress >= total)):
                done[i] = node.nonce(sender.address)
        if time.monotonic() - last_line > 5 or sum(done) == total:
            last_line = time.monotonic()
            elapsed = time.monotonic() - submit_started
            shown = max(sum(done), min(progress, total))
            log(f"  {shown}/{total} committed, {shown / max(elapsed, 1e-9):.0f} tx/s")
    submit_s = time.monotonic() - submit_started

    status = node.client.status()
    registered = status.devices - devices_before
    committed = status.txs_committed - committed_before
    if registered != devices:
        raise RuntimeError(f"{registered} devices registered, not {devices}")
    if committed < txs:
        raise RuntimeError(f"{committed} transactions committed, not {txs}")
    figures = {
        "devices": status.devices, "devices_registered": registered, "txs_committed": committed,
        "senders": senders_n, "sign_s": round(sign_s, 1), "submit_to_commit_s": round(submit_s, 1),
        "commit_rate_tps": round(total / submit_s), "population_s": round(time.monotonic() - started, 1),
    }
    log(f"population: {json.dumps(figures)}")
    return {"device": first_device, "account": str(senders[0].address), "tx": a_transfer}, figures


def wait_committed(node, nonces, count, started, what):
    deadline = time.monotonic() + COMMIT_WAIT_S
    while True:
        if all(node.nonce(a) >= n for a, n in nonces.items()):
            log(f"{what}: {count} committed after {time.monotonic() - started:.1f} s")
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not committed in {COMMIT_WAIT_S} s")
        time.sleep(0.2)


def pages(node, ids):
    """Every page of the console, with real ids; the pages with nothing to show on this chain
    (no blob, no training task) are left out and said so."""
    tx_view = node.get(f"/v1/txs/{ids['tx']}")
    # An epoch page needs an ended epoch: a fast population can finish before the first ends.
    deadline = time.monotonic() + EPOCH_WAIT_S
    while (last_epoch := node.get("/v1/rewards")["last_ended_epoch"]) < 1:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    devices = node.client.status().devices
    out = [
        ("network", "/"),
        ("devices", "/devices"),
        ("devices, middle page", f"/devices?from={(devices // 2) // 100 * 100}"),
        ("devices, filtered", "/devices?class=bw-home&status=active"),
        ("device", f"/devices/{ids['device']}"),
        ("epochs", "/epochs"),
        ("market", "/market"),
        ("storage", "/storage"),
        ("training", "/training"),
        ("account", f"/accounts/{ids['account']}"),
        ("tx", f"/txs/{ids['tx']}"),
        ("block", f"/blocks/{tx_view['height']}"),
    ]
    skipped = []
    if last_epoch >= 1:
        out.insert(6, ("epoch", f"/epochs/{last_epoch}"))
    else:
        skipped.append("epoch (no epoch has ended)")
    tasks = node.get("/v1/learn/tasks")["tasks"]
    if tasks:
        out.append(("training task", f"/training/{tasks[0]['id']}"))
    else:
        skipped.append("training task (none on this chain)")
    deals = node.get("/v1/storage/deals")["deals"]
    if deals:
        out.append(("blob", f"/blobs/{deals[0]['blob']}"))
    else:
        skipped.append("blob (no storage deal on this chain)")
    return out, skipped


RENDERED_JS = """
const page = document.getElementById('page');
if (!page) return null;
if (page.querySelector('[role=alert]')) return {error: page.innerText.slice(0, 300)};
if (page.dataset.renderedHash !== arguments[0]) return null;
const at = parseFloat(page.dataset.renderedMs);
const calls = performance.getEntriesByType('resource')
  .filter((e) => new URL(e.name).pathname.startsWith('/v1/') && !e.name.includes('/v1/events')
    && e.responseEnd <= at)
  .map((e) => ({url: e.name, ms: e.duration}));
return {ms: at, calls};
"""


def load(driver, node_url, route):
    driver.get("about:blank")
    driver.get(f"{node_url}/#{route}")
    deadline = time.monotonic() + RENDER_WAIT_S
    while time.monotonic() < deadline:
        got = driver.execute_script(RENDERED_JS, "#" + route)
        if got:
            return got
        time.sleep(0.02)
    return {"error": f"not rendered within {RENDER_WAIT_S} s"}


def direct(url):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        e.read()
    return (time.monotonic() - started) * 1000


def measure(node_url, routes, chromium, chromedriver):
    options = Options()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(RENDER_WAIT_S)
    # The live event stream is blocked: each load's stream holds one of the six connections
    # Chrome opens to a host for a while after the page is left, and later loads would queue
    # behind them; and a new block would redraw the page being measured.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/events"]})
    rows, failed = [], []
    try:
        for name, route in routes:
            loads = [load(driver, node_url, route) for _ in range(LOADS)]
            errors = [l["error"] for l in loads if "error" in l]
            if errors:
                failed.append(name)
                rows.append({"page": name, "route": route, "error": errors[0]})
                log(f"FAILED {name} ({route}): {errors[0]}")
                continue
            calls = loads[-1]["calls"]
            direct_ms = [direct(c["url"]) for c in calls]
            row = {
                "page": name, "route": route,
                "load_ms": round(statistics.median(l["ms"] for l in loads)),
                "loads_ms": [round(l["ms"]) for l in loads],
                "api_calls": len(calls),
                "api_sum_ms": round(sum(c["ms"] for c in calls)),
                "api_max_ms": round(max((c["ms"] for c in calls), default=0)),
                "direct_sum_ms": round(sum(direct_ms)),
                "direct_max_ms": round(max(direct_ms, default=0)),
                "slowest_call": max(calls, key=lambda c: c["ms"])["url"].split("/v1/", 1)[-1]
                if calls else None,
            }
            row["under_goal"] = row["load_ms"] < GOAL_MS
            rows.append(row)
            log(f"  {name}: {row['load_ms']} ms, {row['api_calls']} calls")
    finally:
        driver.quit()
    return rows, failed


def print_table(rows, skipped, figures):
    print(f"{figures['devices']} devices, {figures['txs_committed']} transactions committed by "
          f"the bench; population {figures['population_s']} s "
          f"({figures['commit_rate_tps']} tx/s from first submission to last commit)")
    head = ("page", "load ms", "API calls", "API sum ms", "API max ms", "direct sum ms",
            "direct max ms", "< 1 s")
    print(f"{head[0]:<22}" + "".join(f"{h:>14}" for h in head[1:]))
    for r in rows:
        if "error" in r:
            print(f"{r['page']:<22} FAILED: {r['error']}")
            continue
        vals = (r["load_ms"], r["api_calls"], r["api_sum_ms"], r["api_max_ms"],
                r["direct_sum_ms"], r["direct_max_ms"], "yes" if r["under_goal"] else "NO")
        print(f"{r['page']:<22}" + "".join(f"{v:>14}" for v in vals))
    for s in skipped:
        print(f"not measured: {s}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node", required=True, help="the node's API, http://host:port")
    parser.add_argument("--home", required=True, help="the devnet's home (its keyring-test)")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--txs", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    node = Node(args.node)
    ids, figures = populate(node, args.home, args.devices, args.txs, args.seed)
    routes, skipped = pages(node, ids)
    log(f"loading {len(routes)} pages {LOADS} times each")
    rows, failed = measure(node.url, routes, args.chromium, args.chromedriver)
    if args.json:
        print(json.dumps({"population": figures, "pages": rows, "skipped": skipped,
                          "goal_ms": GOAL_MS}, indent=1))
    else:
        print_table(rows, skipped, figures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
