"""The proof that no rule and no request takes Perk down, against a running `perk serve`:

1. a corpus of hostile rulesets: those that cannot run safely must be refused when saved (400
   with a pointer); the others are saved and evaluated on every update of a "hostile" client
   (1,000-item carts, a 10,000-character attribute), whose every update must answer 200 with the
   hostile rules reported in ruleFailureReasons and the honest campaign's effect applied;
2. a sign-in flood (wrong passwords for many accounts, from several threads), answered 401 or
   429, never 5xx;
while a "regular" client of another application on the same server keeps updating small sessions
one after another: its p99 under load must stay under the bound (or, on a machine too slow for
the bound even when quiet, under three times its quiet p99), and the server must be up at the end.
Prints the figures; exits 1 on a failure.

    python3 bench/hostile_load.py BASE ADMIN_EMAIL ADMIN_PASSWORD [--seconds N] [--p99-ms N]

The regular client runs in a process of its own, so that the load's threads (and Python's global
lock) do not slow its measurements down.
"""

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time

if sys.argv[1:2] == ["--regular"]:
    # The regular client: BASE KEY SECONDS; prints its latencies in milliseconds as JSON.
    base, key, seconds = sys.argv[2], sys.argv[3], float(sys.argv[4])
    cart = [{"name": "Item %d" % i, "sku": "sku-%d" % i, "quantity": 1, "price": 10 + i} for i in range(10)]
    host, port = base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    latencies, failures, n = [], 0, 0
    start = time.time()
    while time.time() - start < seconds:
        n += 1
        body = json.dumps({"customerSession": {"profileId": "r%d" % n, "cartItems": cart}})
        t = time.perf_counter()
        try:
            connection.request("PUT", "/v2/customer_sessions/regular-%d-%d" % (int(start), n), body=body,
                               headers={"Content-Type": "application/json", "Authorization": key})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures += 1
        except (http.client.HTTPException, OSError):
            failures += 1
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
        latencies.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"latencies": latencies, "failures": failures}))
    sys.exit(0)

parser = argparse.ArgumentParser()
parser.add_argument("base")
parser.add_argument("email")
parser.add_argument("password")
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--p99-ms", type=float, default=100)
args = parser.parse_args()
base = args.base.rstrip("/")
problems = []


connections = threading.local()


def call(method, path, body=None, auth=None, timeout=30):
    """One request on this thread's keep-alive connection (opened again after an error)."""
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    data = None if body is None else json.dumps(body)
    for attempt in range(2):
        if getattr(connections, "c", None) is None:
            host, port = base.split("//")[1].split(":")
            connections.c = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            connections.c.request(method, path, body=data, headers=headers)
            response = connections.c.getresponse()
            text = response.read()
            if response.getheader("Connection", "").lower() == "close":
                connections.c.close()
                connections.c = None
            try:
                return response.status, json.loads(text) if text else None
            except ValueError:
                return response.status, text
        except (http.client.HTTPException, OSError):
            connections.c.close()
            connections.c = None
            if attempt == 1:
                raise


status, login = call("POST", "/v1/sessions", {"email": args.email, "password": args.password})
assert status == 201, (status, login)
bearer = "Bearer " + login["token"]
status, app = call("POST", "/v1/applications", {"name": "Hostile", "currency": "EUR", "timezone": "UTC"}, bearer)
assert status == 201, (status, app)
app_id = app["id"]
status, key = call("POST", "/v1/applications/%d/api_keys" % app_id,
                   {"title": "proof", "expires": "2099-01-01T00:00:00Z"}, bearer)
api_key = "ApiKey-v1 " + key["key"]
# Another shop on the same server, with ordinary rules: the regular client's.
status, other = call("POST", "/v1/applications", {"name": "Regular", "currency": "EUR", "timezone": "UTC"}, bearer)
assert status == 201, (status, other)
status, other_key = call("POST", "/v1/applications/%d/api_keys" % other["id"],
                         {"title": "proof", "expires": "2099-01-01T00:00:00Z"}, bearer)
regular_key = "ApiKey-v1 " + other_key["key"]
status, c = call("POST", "/v1/applications/%d/campaigns" % other["id"],
                 {"name": "Ten percent", "state": "enabled", "tags": [], "features": [], "limits": []}, bearer)
status, _ = call("POST", "/v1/applications/%d/campaigns/%d/rulesets" % (other["id"], c["id"]), {
    "rules": [{"title": "10% from 50", "condition": [">=", [".", "Session", "Total"], 50],
               "effects": [["setDiscount", "10%", ["*", [".", "Session", "Total"], 0.1]]]}],
    "bindings": [], "activate": True}, bearer)
assert status == 201
call("POST", "/v1/attributes", {"entity": "CustomerSession", "name": "Text", "title": "Text", "type": "string",
                                "description": "", "suggestions": [], "editable": True}, bearer)


def campaign(name, rules):
    status, c = call("POST", "/v1/applications/%d/campaigns" % app_id,
                     {"name": name, "state": "enabled", "tags": [], "features": [], "limits": []}, bearer)
    assert status == 201, (status, c)
    status, r = call("POST", "/v1/applications/%d/campaigns/%d/rulesets" % (app_id, c["id"]),
                     {"rules": rules, "bindings": [], "activate": True}, bearer)
    return status, r


def rule(title, condition, effects=()):
    return {"title": title, "condition": condition, "effects": list(effects)}


items = [".", "Session", "CartItems"]
text = [".", "Session", "Attributes", "Text"]
nested = ["exists", items, "A", ["exists", items, "B", ["=", [".", "B", "Sku"], "none"]]]
deep = True
for _ in range(100):
    deep = ["not", deep]
fan_out = [["setTemplate", "t0()Decimal", 1]] + [
    ["setTemplate", "t%d()Decimal" % k, ["+", ["!", "t%d" % (k - 1)], ["!", "t%d" % (k - 1)]]] for k in range(1, 31)
] + [["=", ["!", "t30"], 0]]
doubling = [["set", "s", "ab"]] + [["set", "s", ["+", [".", "s"], [".", "s"]]] for _ in range(40)] + [
    ["=", [".", "s"], ""]]
refused = {
    "direct recursion": [rule("r", [["setTemplate", "f()Boolean", ["!", "f"]], ["!", "f"]])],
    "mutual recursion": [rule("a", [["setTemplate", "f()Boolean", ["!", "g"]], True]),
                         rule("b", [["setTemplate", "g()Boolean", ["!", "f"]], ["!", "f"]])],
    "invalid pattern": [rule("p", ["~", "(a+", text])],
    "backreference": [rule("p", ["~", "(a)\\1", text])],
    "deep nesting": [rule("d", deep)],
}
accepted = {
    "catastrophic pattern": [rule("regex", ["~", "^(a+)+$", text], [["setDiscount", "regex", 1]])],
    "nested loops over the cart": [rule("loops", nested, [["setDiscount", "loops", 1]])],
    "huge split and join": [rule("split", ["=", ["join", ["split", ["+", text, text, text, text], ""], "-"], ""])],
    "string doubling": [rule("doubling", doubling)],
    "template fan-out": [rule("fan-out", fan_out)],
    "sorting a split": [rule("sort", ["=", ["count", ["sort", ["split", text, ""]]], 0])],
}
# Campaigns run in the order they were made: the honest one first, so that the hostile ones
# cannot use up the request's time before it runs (each of them still stops at its own share).
status, _ = campaign("honest", [rule("always", True, [["setDiscount", "honest", 5]])])
assert status == 201
for name, rules in refused.items():
    status, body = campaign("refused: " + name, rules)
    pointer = ((body or {}).get("errors") or [{}])[0].get("source", {}).get("pointer")
    if status != 400 or not pointer:
        problems.append("%s was not refused with a pointer: %s %s" % (name, status, body))
for name, rules in accepted.items():
    status, body = campaign("hostile: " + name, rules)
    if status != 201:
        problems.append("%s was not saved: %s %s" % (name, status, body))
time.sleep(1)

stop = threading.Event()
lock = threading.Lock()
hostile_latencies, sign_ins = [], {}


def hostile(worker):
    cart = [{"name": "x", "sku": "s%d" % i, "quantity": 1, "price": 1} for i in range(1000)]
    attribute = "a" * 9999 + "!"
    n = 0
    while not stop.is_set():
        n += 1
        body = {"customerSession": {"profileId": "h%d" % worker, "cartItems": cart, "attributes": {"Text": attribute}},
                "responseContent": ["ruleFailureReasons"]}
        t = time.perf_counter()
        status, reply = call("PUT", "/v2/customer_sessions/hostile-%d-%d" % (worker, n), body, api_key)
        elapsed = (time.perf_counter() - t) * 1000
        with lock:
            hostile_latencies.append(elapsed)
        if status != 200:
            problems.append("a hostile update answered %s: %s" % (status, str(reply)[:300]))
            continue
        discounts = [e["props"]["name"] for e in reply["effects"] if e["effectType"] == "setDiscount"]
        failed = {f["campaignName"] for f in reply.get("ruleFailureReasons", [])}
        if "honest" not in discounts:
            problems.append("the honest campaign did not apply next to hostile ones: %s" % discounts)
        for name in ["catastrophic pattern", "nested loops over the cart", "template fan-out", "string doubling"]:
            if "hostile: " + name not in failed and "hostile: " + name in discounts:
                problems.append("%s fired" % name)


def sign_in_flood(worker):
    n = 0
    while not stop.is_set():
        n += 1
        status, _ = call("POST", "/v1/sessions", {"email": "user%d-%d@example.com" % (worker, n % 50),
                                                  "password": "guess%d" % n})
        with lock:
            sign_ins[status] = sign_ins.get(status, 0) + 1
        # Hundreds of attempts a second in all, without the load generator taking a core of the
        # two it shares with the server.
        time.sleep(0.02)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0


quiet_p99 = None


def phase(label, workers):
    global quiet_p99
    stop.clear()
    regular = subprocess.Popen([sys.executable, __file__, "--regular", base, regular_key, str(args.seconds)],
                               stdout=subprocess.PIPE, text=True)
    for t in workers:
        t.start()
    out, _ = regular.communicate()
    stop.set()
    for t in workers:
        t.join()
    result = json.loads(out)
    latencies = result["latencies"]
    p99 = pct(latencies, 0.99)
    print("%s: regular updates=%d failures=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (
        label, len(latencies), result["failures"], pct(latencies, 0.5), p99, max(latencies or [0])))
    if quiet_p99 is None:
        quiet_p99 = p99
    bound = max(args.p99_ms, 3 * quiet_p99)
    if p99 >= bound:
        problems.append("%s: the regular client's p99 was %.1f ms (bound %.0f ms)" % (label, p99, bound))
    if not latencies or result["failures"]:
        problems.append("%s: the regular client failed %d times" % (label, result["failures"]))


phase("quiet (for reference)", [])
phase("hostile rules", [threading.Thread(target=hostile, args=(0,))])
print("hostile rules: hostile updates=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (
    len(hostile_latencies), pct(hostile_latencies, 0.5), pct(hostile_latencies, 0.99), max(hostile_latencies or [0])))
if max(hostile_latencies or [0]) > 2000:
    problems.append("a hostile update took %.0f ms" % max(hostile_latencies))
if not hostile_latencies:
    problems.append("no hostile update was answered")
phase("sign-in flood", [threading.Thread(target=sign_in_flood, args=(w,)) for w in range(12)])
print("sign-in flood: answers %s" % json.dumps(sign_ins, sort_keys=True))
if any(s >= 500 for s in sign_ins):
    problems.append("sign-ins answered 5xx: %s" % sign_ins)
if 429 not in sign_ins:
    problems.append("the flood was never throttled: %s" % sign_ins)
status, _ = call("GET", "/health")
if status != 200:
    problems.append("/health answered %s after the load" % status)
for p in problems[:20]:
    print("FAILED: " + p)
sys.exit(1 if problems else 0)
