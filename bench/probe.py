"""One client updating sessions one after another (a 10-item cart with the bench coupon), each
on a new session of a new customer, until SECONDS pass or STOP_FILE appears; prints the count,
failures and latency percentiles in milliseconds.
    python3 bench/probe.py BASE KEY COUPON LABEL (SECONDS | --until STOP_FILE)"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

base, key, coupon, label = sys.argv[1:5]
seconds = None if sys.argv[5] == "--until" else float(sys.argv[5])
stop_file = sys.argv[6] if seconds is None else None
items = [{"name": "Item %d" % i, "sku": "sku-%d" % i, "quantity": 1, "price": 10 + i, "category": "shoes"}
         for i in range(10)]
latencies, failures, n = [], 0, 0
start = time.time()
while (time.time() - start < seconds) if seconds is not None else not os.path.exists(stop_file):
    n += 1
    body = json.dumps({"customerSession": {"profileId": "probe-%s-%d" % (label, n), "couponCodes": [coupon],
                                           "cartItems": items}}).encode()
    request = urllib.request.Request("%s/v2/customer_sessions/probe-%s-%d" % (base, label, n), data=body,
                                     method="PUT", headers={"Content-Type": "application/json",
                                                            "Authorization": "ApiKey-v1 " + key})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except (urllib.error.URLError, OSError):
        failures += 1
    latencies.append((time.perf_counter() - t) * 1000)
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0
print("%s: updates=%d failures=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (
    label, len(latencies), failures, pick(0.5), pick(0.99), latencies[-1] if latencies else 0))
