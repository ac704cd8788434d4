"""Browser tests of the node's web console: headless Chromium, driven by Selenium, against a
running devnet (its node API given as --node). Each test reads what the page shows and checks
it against what the API says; it prints one line per test and a closing `N passed, M failed`,
and exits non-zero if any failed. A screenshot of every page goes to --screenshots."""

import argparse
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import StaleElementReferenceException

WAIT_S = 30


class Console:
    def __init__(self, node, screenshots, chromium, chromedriver):
        self.node = node.rstrip("/")
        self.screenshots = screenshots
        options = Options()
        options.binary_location = chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,1000"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(executable_path=chromedriver),
                                       options=options)
        self.driver.set_page_load_timeout(WAIT_S)

    def api(self, path):
        with urllib.request.urlopen(self.node + path, timeout=10) as resp:
            return json.load(resp)

    def api_status(self, path):
        try:
            with urllib.request.urlopen(self.node + path, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code

    def all_pages(self, path, field):
        items, start = [], 0
        while True:
            sep = "&" if "?" in path else "?"
            page = self.api(f"{path}{sep}from={start}&limit=100")
            items.extend(page[field])
            if page.get("next") is None:
                return items
            start = page["next"]

    def open(self, route):
        """Opens a route of the console, by a full load the first time and by its hash after."""
        url = f"{self.node}/#{route}"
        if not self.driver.current_url.startswith(self.node + "/"):
            self.driver.get(url)
        else:
            self.driver.execute_script("location.hash = arguments[0]", "#" + route)
        self.wait_rendered()

    def wait_rendered(self):
        self.until(lambda: self.driver.find_element(By.ID, "page").get_attribute("data-rendered-at")
                   or self.errors(), "the page to render")

    def errors(self):
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#page .error")]

    def until(self, condition, what, timeout=WAIT_S):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except Exception as e:  # the page re-rendered under us: look again
                last_error = e
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}"
                             + (f" (last error: {last_error})" if last_error else "")
                             + (f"; page errors: {self.errors()}" if self.errors() else ""))

    def stable(self, read):
        """Runs `read` again when the page re-rendered under it (it does on every new block)."""
        for _ in range(20):
            try:
                return read()
            except StaleElementReferenceException:
                time.sleep(0.1)
        return read()

    def css(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def shot(self, name):
        os.makedirs(self.screenshots, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.screenshots, f"{name}.png"))

    def close(self):
        self.driver.quit()


def plx(uplx):
    v = int(uplx)
    whole, frac = divmod(v, 1_000_000)
    frac_s = f"{frac:06d}".rstrip("0")
    return f"{whole:,}" + (f".{frac_s}" if frac_s else "") + " PLX"


# ---------- the tests ----------

def test_network_page_shows_the_height_and_follows_new_blocks_without_reloading(c):
    c.open("/")
    c.until(lambda: c.css("#height"), "the height card")
    shown = c.stable(lambda: int(c.css("#height")[0].text))
    api_height = c.api("/v1/status")["height"]
    assert abs(api_height - shown) <= 5, f"page shows {shown}, the API {api_height}"
    assert c.stable(lambda: c.css("#chain-id")[0].text) == c.api("/v1/status")["chain_id"]
    c.driver.execute_script("window.__notReloaded = true")
    c.until(lambda: int(c.css("#height")[0].text) > shown + 2, "the height to rise live")
    assert c.driver.execute_script("return window.__notReloaded === true"), "the page reloaded"
    c.until(lambda: c.css("#live.on"), "the live badge")
    assert c.css("#latest-blocks tbody tr"), "no latest blocks listed"
    c.shot("network")


def devices_as_shown(c):
    rows = c.css("#devices-table tr[data-device-row]")
    out = {}
    for row in rows:
        key = row.get_attribute("data-device-row")
        cell = row.find_element(By.CSS_SELECTOR, "[data-rewards]")
        out[key] = (cell.get_attribute("data-rewards"), cell.text)
    return out


def test_devices_page_lists_every_device_with_the_rewards_the_api_gives(c):
    c.open("/devices")
    api_keys = {d["key"] for d in c.all_pages("/v1/devices", "devices")}
    assert api_keys, "the devnet has no devices"

    def matches():
        shown = devices_as_shown(c)
        if set(shown) != api_keys:
            return False
        for key, (raw, text) in shown.items():
            total = c.api(f"/v1/devices/{key}/rewards")["total"]
            if raw != total or text != plx(total):
                return False
        return True

    c.until(matches, "the devices table to match /v1/devices and each device's rewards")
    cells = int(c.css("#device-map")[0].get_attribute("data-cells"))
    assert cells == len(api_keys), f"{cells} hexagons for {len(api_keys)} devices"
    assert len(c.css("#device-map polygon")) == len(api_keys)
    c.shot("devices")


def test_a_device_reached_from_the_list_shows_its_rewards_per_epoch(c):
    c.open("/devices")
    c.until(lambda: devices_as_shown(c), "the devices table")
    shown = c.stable(lambda: devices_as_shown(c))
    paid = [k for k, (raw, _) in shown.items() if int(raw) > 0]
    key = paid[0] if paid else next(iter(shown))
    c.stable(lambda: c.css(f'#devices-table a[data-device="{key}"]')[0].click())
    c.until(lambda: c.driver.execute_script("return location.hash") == f"#/devices/{key}",
            "the device's page")
    c.wait_rendered()

    def matches():
        if c.css("#device-key")[0].text != key:
            return False
        api_epochs = c.api(f"/v1/devices/{key}/rewards")["epochs"]
        shown = {int(r.get_attribute("data-epoch")):
                 r.find_element(By.CSS_SELECTOR, "[data-amount]").get_attribute("data-amount")
                 for r in c.css("#device-rewards tr[data-epoch]")}
        return shown == {e["epoch"]: e["amount"] for e in api_epochs} and len(shown) > 0

    c.until(matches, "the device's rewards per epoch to match the API")
    c.until(lambda: c.css("#device-evidence") or c.css("#page .empty"), "the evidence section")
    c.shot("device")


def test_an_epoch_page_shows_the_manifest_roots_the_api_shows(c):
    last = c.until(lambda: c.api("/v1/rewards")["last_ended_epoch"] >= 2
                   and c.api("/v1/rewards")["last_ended_epoch"], "two ended epochs")
    c.open("/epochs")
    c.until(lambda: c.css("#epochs-table tbody tr"), "the epochs table")
    c.shot("epochs")
    epoch = last - 1
    c.stable(lambda: c.css(f'#epochs-table a[href="#/epochs/{epoch}"]')[0].click())
    c.until(lambda: c.css("#pools-table"), "the pools table")
    view = c.api(f"/v1/epochs/{epoch}")
    expected = {p["resource"]: p["manifest"]["root"] for p in view["pools"] if p["manifest"]}
    assert expected, f"epoch {epoch} has no final manifest"
    def roots_shown():
        shown = {}
        for row in c.css("#pools-table tr[data-pool]"):
            roots = row.find_elements(By.CSS_SELECTOR, "[data-root]")
            if roots:
                shown[row.get_attribute("data-pool")] = roots[0].text
        return shown

    shown = c.stable(roots_shown)
    assert shown == expected, f"page {shown} vs API {expected}"
    c.shot("epoch")


def test_the_epochs_page_charts_the_economics_of_every_listed_epoch(c):
    c.until(lambda: c.api("/v1/rewards")["last_ended_epoch"] >= 2, "two ended epochs")
    c.open("/epochs")
    c.until(lambda: c.css("#economics"), "the economics charts")

    def matches():
        listed = [int(a.text) for a in c.css("#epochs-table tbody tr td:first-child a")]
        emission = c.css('svg[data-chart="emission"] polyline[data-series="emission"]')[0]
        points = len(emission.get_attribute("points").split())
        minted = c.css('svg[data-chart="minted"] circle.point')
        # The newest epoch's point of "minted to date" is everything minted so far.
        last = minted[-1].find_element(By.TAG_NAME, "title").get_attribute("textContent")
        total = int(c.api("/v1/rewards")["minted"]) / 1e6
        shown_total = last.split(": ")[1]
        expected = f"{total / 1000:.1f}k" if total >= 1000 else (f"{total:.0f}" if total >= 10 else f"{total:.2f}")
        return (listed and points == len(listed) == len(minted)
                and c.api("/v1/rewards")["last_ended_epoch"] == max(listed)
                and shown_total == expected)

    c.until(lambda: c.stable(matches), "one point per listed epoch, the last at the total minted")
    resources = {p["resource"] for e in [c.api("/v1/epochs/latest")] for p in e["pools"]}
    charted = c.stable(lambda: {p.get_attribute("data-series")
                                for p in c.css('svg[data-chart="pools"] polyline[data-series]')})
    assert charted >= resources, f"a class's pool is not charted: {resources - charted}"
    c.shot("epochs-economics")


def test_a_training_chart_has_one_point_per_round_the_api_lists(c):
    tasks = c.until(lambda: c.api("/v1/learn/tasks")["tasks"], "a training task")
    task = tasks[0]["id"]
    c.until(lambda: len(c.all_pages(f"/v1/learn/tasks/{task}/rounds", "rounds")) >= 2,
            "two training rounds")
    c.open("/training")
    c.until(lambda: c.css("#tasks-table"), "the tasks table")
    c.shot("training")
    c.open(f"/training/{task}")

    def matches():
        rounds = len(c.all_pages(f"/v1/learn/tasks/{task}/rounds", "rounds"))
        for chart in ("accuracy", "loss"):
            svg = c.css(f'svg[data-chart="{chart}"]')[0]
            if len(svg.find_elements(By.CSS_SELECTOR, "circle.point")) != rounds:
                return False
        return rounds

    c.until(matches, "one point per round in both charts")
    c.shot("training-task")


def test_search_by_an_address_opens_that_account(c):
    owner = c.all_pages("/v1/devices", "devices")[0]["owner"]
    c.open("/")
    box = c.css("#search-input")[0]
    box.clear()
    box.send_keys(owner, Keys.ENTER)
    c.until(lambda: c.driver.execute_script("return location.hash") == f"#/accounts/{owner}",
            "the account page")
    c.until(lambda: c.css("#account-address") and c.css("#account-address")[0].text == owner,
            "the account's address")
    balance = c.api(f"/v1/accounts/{owner}")["balance"]
    assert c.stable(lambda: c.css("#account-balance")[0].text).endswith("PLX")
    assert int(balance) >= 0
    c.shot("account")


def test_search_by_a_tx_hash_and_a_device_key_opens_their_pages(c):
    block = c.until(lambda: next((b for b in (c.api(f"/v1/blocks/{h}") for h in
                                  range(c.api("/v1/status")["height"], 0, -1)) if b["txs"]), None),
                    "a block with a transaction")
    tx = block["txs"][0]
    key = c.all_pages("/v1/devices", "devices")[0]["key"]
    for query, route in ((tx, f"#/txs/{tx}"), (key, f"#/devices/{key}")):
        box = c.css("#search-input")[0]
        box.clear()
        box.send_keys(query, Keys.ENTER)
        c.until(lambda: c.driver.execute_script("return location.hash") == route, route)
        c.wait_rendered()
    c.open(f"/txs/{tx}")
    c.until(lambda: tx in c.css("#page")[0].text, "the transaction's hash on its page")
    c.shot("tx")


def test_market_and_storage_pages_show_what_the_api_lists(c):
    orders = c.all_pages("/v1/market/orders", "orders")
    c.open("/market")
    if orders:
        c.until(lambda: len(c.css("#orders-table tbody tr")) == min(len(c.all_pages(
            "/v1/market/orders", "orders")), 100), "one row per order")
    else:
        c.until(lambda: "No compute orders" in c.css("#page")[0].text, "the empty state")
    c.shot("market")
    deals = c.all_pages("/v1/storage/deals", "deals")
    c.open("/storage")
    if deals:
        c.until(lambda: len(c.css("#deals-table tbody tr")) == len(deals), "one row per deal")
    else:
        c.until(lambda: "No storage deals" in c.css("#page")[0].text, "the empty state")
    c.shot("storage")


def audit_result(c, resource, epoch):
    """The audit result the page shows for `resource` in `epoch`, once it has finished."""
    for el in c.css(f'[data-audit="{resource}"][data-epoch="{epoch}"] [data-audit-result]'):
        if el.get_attribute("data-audit-result") != "running":
            return el
    return None


def test_the_audit_of_an_epochs_compute_pool_matches_the_honest_oracle(c):
    def paying_epoch():
        """The latest ended epoch whose final compute manifest pays a device."""
        for e in range(c.api("/v1/rewards")["last_ended_epoch"], 0, -1):
            pool = next(p for p in c.api(f"/v1/epochs/{e}")["pools"] if p["resource"] == "compute")
            if pool["manifest"] and pool["manifest"]["total_units"] != "0":
                return e, pool
        return None

    epoch, pool = c.until(paying_epoch, "a final compute manifest that pays a device", timeout=120)
    c.open(f"/epochs/{epoch}")
    c.until(lambda: c.css('[data-audit="compute"] button'), "the compute pool's audit button")
    c.stable(lambda: c.css('[data-audit="compute"] button')[0].click())
    result = c.until(lambda: audit_result(c, "compute", epoch), "the audit's result", timeout=60)

    def read():
        el = audit_result(c, "compute", epoch)
        return (el.get_attribute("data-audit-result"), el.text,
                el.find_element(By.CSS_SELECTOR, "[data-recomputed-root]").get_attribute("data-recomputed-root"),
                el.find_element(By.CSS_SELECTOR, "[data-on-chain-root]").get_attribute("data-on-chain-root"))

    assert result is not None
    state, text, recomputed, on_chain = c.stable(read)
    assert state == "match", f"the audit says {state}: {text}"
    assert text.startswith("matches"), text
    assert recomputed == on_chain == pool["manifest"]["root"], (recomputed, on_chain, pool["manifest"])
    # The node's answer is what the page shows.
    audit = c.api(f"/v1/epochs/{epoch}/audit/compute")
    assert audit["match"] is True and audit["recomputed"]["root"] == recomputed, audit
    assert audit["devices_rewarded"] > 0 and audit["records"] > 0, audit
    assert audit["oracle"] in c.api("/v1/console")["oracles"], audit
    c.shot("epoch-audit")

    # A device paid from that manifest shows the audit on its page.
    for d in c.all_pages("/v1/devices", "devices"):
        rewards = c.api(f"/v1/devices/{d['key']}/rewards")
        if rewards["resource"] == "compute" and any(
                e["epoch"] == epoch and e["claimed"] for e in rewards["epochs"]):
            c.open(f"/devices/{d['key']}")
            c.until(lambda: audit_result(c, "compute", epoch), "the device's audit of the manifest")
            assert c.stable(lambda: audit_result(c, "compute", epoch).get_attribute(
                "data-audit-result")) == "match"
            c.shot("device-audit")
            break


def replicas_expected(deals):
    out = set()
    for d in list(reversed(deals))[:100]:
        for a in d.get("assigned") or []:
            out.add((str(d["id"]), a["device"], None))
        for f in d.get("failed") or []:
            out.add((str(d["id"]), f["device"], str(f["epoch"])))
    return out


def replicas_shown(c, table):
    return {(r.get_attribute("data-deal"), r.get_attribute("data-replica"),
             r.get_attribute("data-failed-epoch"))
            for r in c.css(f"#{table} tr[data-replica]")}


def test_the_storage_page_shows_each_replicas_audits_and_repairs(c):
    deals = c.until(lambda: c.all_pages("/v1/storage/deals", "deals"), "a storage deal")
    c.open("/storage")
    c.until(lambda: replicas_shown(c, "replicas-table")
            == replicas_expected(c.all_pages("/v1/storage/deals", "deals")),
            "the replicas and their failed audits to match the API")

    def counts_match():
        api = {str(d["id"]): (str(len(d.get("failed") or [])), str(len(d.get("handovers") or [])))
               for d in c.all_pages("/v1/storage/deals", "deals")}
        shown = {r.get_attribute("data-deal"):
                 (r.find_element(By.CSS_SELECTOR, "[data-failed]").get_attribute("data-failed"),
                  r.find_element(By.CSS_SELECTOR, "[data-repairs]").get_attribute("data-repairs"))
                 for r in c.css("#deals-table tr[data-deal]")}
        return shown == api

    c.until(counts_match, "each deal's failed audits and repairs to match the API")
    c.shot("storage")
    deal = deals[0]["id"]
    c.open(f"/storage/deals/{deal}")
    c.until(lambda: replicas_shown(c, "deal-replicas")
            == replicas_expected([c.api(f"/v1/storage/deals/{deal}")]), "the deal's replicas")
    c.shot("storage-deal")


def test_the_market_page_lists_the_re_executions_and_who_was_caught(c):
    def expected():
        leases = [l for o in c.all_pages("/v1/market/orders", "orders") for l in o.get("leases") or []]
        checks = {l["id"]: l["check"] for l in leases}
        reruns = {(str(l["id"]), checks.get(l["role"]["of"], "?"))
                  for l in leases if l["role"]["role"] != "run"}
        caught = {(str(l["id"]), l["provider"]) for l in leases if l["check"] in ("wrong", "forfeited")}
        return reruns, caught

    def shown():
        reruns = {(r.get_attribute("data-lease"),
                   r.find_element(By.CSS_SELECTOR, "[data-outcome]").get_attribute("data-outcome"))
                  for r in c.css("#reexecutions-table tr[data-lease]")}
        caught = {(r.get_attribute("data-lease"), r.get_attribute("data-provider"))
                  for r in c.css("#caught-table tr[data-lease]")}
        return reruns, caught

    c.open("/market")
    c.until(lambda: c.css("#page h2") and "Re-executions" in c.css("#page")[0].text,
            "the re-executions section")
    # Bounded to the latest 100 of each; the devnet has fewer.
    c.until(lambda: shown() == expected(), "the re-executions and the caught to match the API")
    c.shot("market")


def test_unknown_things_show_clear_errors(c):
    c.open("/devices/" + "0" * 64)
    c.until(lambda: any("no device" in e for e in c.errors()), "an unknown device's error")
    c.open("/nowhere")
    c.until(lambda: any("No page" in e for e in c.errors()), "an unknown page's error")

    def bad_search_refused():
        # The page re-renders on new blocks: type into the box it shows now, and again if the
        # box went stale before the search ran.
        box = c.css("#search-input")[0]
        box.clear()
        box.send_keys("not a thing", Keys.ENTER)
        return c.stable(lambda: any("is not an address" in e for e in c.errors()))

    c.until(bad_search_refused, "a bad search's error")


def test_an_unreachable_api_is_said_plainly(c):
    c.open("/")
    c.driver.execute_cdp_cmd("Network.enable", {})
    c.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/*"]})
    try:
        c.open("/epochs")
        c.until(lambda: any("unreachable" in e for e in c.errors()), "the unreachable API's error")
        c.shot("unreachable")
    finally:
        c.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    c.open("/")
    c.until(lambda: not c.errors() and c.css("#height"), "the page to recover")


TESTS = [v for k, v in list(globals().items()) if k.startswith("test_")]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node", required=True, help="the node's API, http://host:port")
    parser.add_argument("--screenshots", default=os.environ.get("CONSOLE_SCREENSHOTS"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    screenshots = args.screenshots or os.path.join(
        os.environ.get("TMPDIR", "/tmp"), f"console-screenshots-{os.getpid()}")
    console = Console(args.node, screenshots, args.chromium, args.chromedriver)
    passed = failed = 0
    try:
        for test in TESTS:
            started = time.monotonic()
            try:
                test(console)
                passed += 1
                print(f"PASS {test.__name__} ({time.monotonic() - started:.1f}s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {test.__name__} ({time.monotonic() - started:.1f}s)", flush=True)
                traceback.print_exc()
                console.shot("FAILED-" + test.__name__)
    finally:
        console.close()
    print(f"screenshots in {screenshots}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
