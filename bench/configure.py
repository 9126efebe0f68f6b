"""Configures a fresh Perk for the session-update benchmark through the management API:
one application with 10 running campaigns (cart, item and coupon rules) and one coupon.
Prints shell assignments of the API key and the coupon code."""

import json
import sys
import urllib.request

base = sys.argv[1]


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


token = call("POST", "/v1/sessions", {"email": "bench@example.com", "password": "bench"})["token"]
app = call("POST", "/v1/applications", {"name": "Bench", "currency": "EUR", "timezone": "UTC"}, token)["id"]
key = call("POST", "/v1/applications/%d/api_keys" % app, {"title": "bench", "expires": "2099-01-01T00:00:00Z"}, token)["key"]
# The attributes the benchmark's requests send must be declared, as in any Perk.
for entity, name in [("CustomerSession", "channel"), ("CartItem", "color")]:
    call("POST", "/v1/attributes", {"entity": entity, "name": name, "title": name, "type": "string",
                                    "description": "", "suggestions": [], "editable": True}, token)

total = [".", "Session", "Total"]
items = [".", "Session", "CartItems"]
rules = [
    {"title": "coupon 10%", "condition": ["and", ["couponValid"]], "effects": [["setDiscount", "10% off", ["*", total, 0.1]]]},
    {"title": "big cart", "condition": [">=", total, 100], "effects": [["setDiscount", "5 off", 5]]},
    {"title": "shoes in cart", "condition": ["exists", items, "Item", ["=", [".", "Item", "Category"], "shoes"]],
     "effects": [["addFreeItem", "socks", "Free socks"]]},
    {"title": "typical", "condition": ["and", [">=", total, 50],
                                       ["exists", items, "Item", ["=", [".", "Item", "Category"], "shoes"]],
                                       [">", ["sum", items, "Item", ["*", [".", "Item", "Price"], [".", "Item", "Quantity"]]], 50],
                                       ["=", ["catch", "none", [".", "Profile", "Attributes", "Tier"]], "none"]],
     "effects": [["showNotification", "Offer", "Nice cart", "Thanks"]]},
    {"title": "per item", "condition": True,
     "effects": [["map", ["filter", items, [["I"], ["=", [".", "I", "Category"], "shoes"]]], "Item",
                  ["setDiscountPerItem", "shoe deal", ["*", [".", "Item", "Price"], 0.05], [".", "Item", "Position"]]]]},
    {"title": "quantity", "condition": [">", ["sum", items, "Item", [".", "Item", "Quantity"]], 5],
     "effects": [["setDiscount", "bulk", 2]]},
    {"title": "never", "condition": ["<", total, 1], "effects": [["setDiscount", "tiny", 1]]},
    {"title": "attribute", "condition": ["=", [".", "Session", "Attributes", "channel"], "web"],
     "effects": [["showNotification", "Info", "Web", "Hello"]]},
    {"title": "count", "condition": [">=", ["count", items], 10], "effects": [["setDiscount", "ten items", 1]]},
    {"title": "every", "condition": ["every", items, "Item", [">", [".", "Item", "Price"], 1]],
     "effects": [["setDiscount", "all priced", 0.5]]},
]
coupon_campaign = None
for i, rule in enumerate(rules):
    campaign = call("POST", "/v1/applications/%d/campaigns" % app,
                    {"name": "Campaign %d" % i, "state": "enabled", "tags": [], "features": ["coupons"], "limits": []}, token)
    call("POST", "/v1/applications/%d/campaigns/%d/rulesets" % (app, campaign["id"]),
         {"rules": [rule], "bindings": [], "activate": True}, token)
    if i == 0:
        coupon_campaign = campaign["id"]
coupons = call("POST", "/v1/applications/%d/campaigns/%d/coupons" % (app, coupon_campaign),
               {"couponPattern": "BENCH-####", "validCharacters": ["A-Z"], "numberOfCoupons": 1, "usageLimit": 0}, token)
print("PERK_BENCH_KEY=%s" % key)
print("PERK_BENCH_COUPON=%s" % coupons["data"][0]["value"])
print("PERK_BENCH_APP=%d" % app)
print("PERK_BENCH_CAMPAIGN=%d" % coupon_campaign)
print("PERK_BENCH_TOKEN=%s" % token)
