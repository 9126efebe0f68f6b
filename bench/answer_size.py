"""The size in bytes of Perk's answer to the request bench/session_update.lua sends (a 10-item cart
with the bench coupon, `responseContent: ["customerSession"]`), so that the baseline server answers
as many bytes.
    python3 bench/answer_size.py BASE KEY COUPON"""

import json
import sys
import urllib.request

base, key, coupon = sys.argv[1:4]
items = [{"name": "Item %d" % i, "sku": "sku-%d" % i, "quantity": (i % 3) + 1, "price": float("%d.99" % (10 + i * 7)),
          "category": "shoes" if i % 3 == 0 else "accessories", "attributes": {"color": "blue"}} for i in range(1, 11)]
body = {"customerSession": {"profileId": "customer-size", "couponCodes": [coupon], "cartItems": items,
                            "attributes": {"channel": "web"}}, "responseContent": ["customerSession"]}
request = urllib.request.Request(base + "/v2/customer_sessions/size-probe", data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json", "Authorization": "ApiKey-v1 " + key})
with urllib.request.urlopen(request, timeout=30) as response:
    print(len(response.read()))
