"""Drives a running `perk serve` with Talon.One's official Python SDK, client-side validation on:
every response must deserialize into the SDK's models. scripts/test runs it with 6.1.1 (the oldest
on PyPI) and again with 3.0.0 (April 2020, the client of the API Perk was made from; not on PyPI,
installed from its source package)."""

import json
import urllib.error
import urllib.request

import pytest
import talon_one
from talon_one.rest import ApiException

from perkserver import management, sign_in

ALL_CONTENT = ["customerSession", "customerProfile", "coupons", "triggeredCampaigns", "event", "loyalty"]


@pytest.fixture
def api(perk):
    base, key = perk
    configuration = talon_one.Configuration(host=base)
    configuration.client_side_validation = True
    configuration.api_key["Authorization"] = key
    configuration.api_key_prefix["Authorization"] = "ApiKey-v1"
    return talon_one.IntegrationApi(talon_one.ApiClient(configuration))


def demo_campaign(perk, name):
    base, _ = perk
    token = sign_in(base)
    apps = management(base, "GET", "/v1/applications", token=token)["data"]
    app = next(a for a in apps if a["name"] == "Perk demo shop")
    campaigns = management(base, "GET", "/v1/applications/%d/campaigns" % app["id"], token=token)["data"]
    return next(c for c in campaigns if c["name"] == name)["id"]


def update(api, session_id, response_content=ALL_CONTENT, **fields):
    body = talon_one.IntegrationRequest(
        customer_session=talon_one.NewCustomerSessionV2(**fields), response_content=response_content)
    return api.update_customer_session_v2(session_id, body)


def effects(state, kind):
    return [e.props for e in state.effects if e.effect_type == kind]


def test_coupon_accepted_discount_returned_then_close_and_cancel(api):
    cart = [talon_one.CartItem(name="Running shoes", sku="shoe-01", quantity=1, price=120.0, category="shoes")]
    state = update(api, "py-session-1", profile_id="alice", coupon_codes=["SUMMER10"], cart_items=cart)
    assert isinstance(state, talon_one.IntegrationStateV2)
    assert effects(state, "acceptCoupon") == [{"value": "SUMMER10"}]
    assert effects(state, "setDiscount")[0]["value"] == 12
    assert effects(state, "setDiscountPerItem")[0]["position"] == 0
    assert state.customer_session.total == 120
    assert state.customer_session.cart_items[0].position == 0
    assert state.customer_profile.integration_id == "alice"
    assert state.coupons[0].value == "SUMMER10"
    assert {c.name for c in state.triggered_campaigns} >= {"Summer coupon: 10% off"}
    assert state.event.type == "talon_session_created"
    assert state.created_coupons == [] and state.created_referrals == []

    closed = update(api, "py-session-1", state="closed")
    assert closed.customer_session.state == "closed"
    assert closed.coupons[0].usage_counter == 1
    assert closed.customer_profile.closed_sessions == 1
    assert effects(closed, "acceptCoupon") == [{"value": "SUMMER10"}]

    cancelled = update(api, "py-session-1", state="cancelled")
    assert cancelled.customer_session.state == "cancelled"
    assert effects(cancelled, "rollbackCoupon") == [{"value": "SUMMER10"}]
    assert effects(cancelled, "rollbackDiscount")[0]["value"] == 12
    assert cancelled.coupons[0].usage_counter == 0


def test_minimal_response_and_rejected_coupon(api):
    state = update(api, "py-session-2", response_content=None, coupon_codes=["NOSUCHCODE"])
    assert state.customer_session is None
    assert effects(state, "rejectCoupon") == [{"value": "NOSUCHCODE", "rejectionReason": "CouponNotFound"}]
    anonymous = update(api, "py-session-3", cart_items=[talon_one.CartItem(name="Socks", sku="s", quantity=1, price=5.0)])
    assert anonymous.customer_session.first_session is True
    assert anonymous.customer_profile.integration_id == ""
    assert effects(anonymous, "showNotification")[0]["notificationType"] == "Info"


def test_errors_are_reported_as_api_exceptions(api, perk):
    update(api, "py-session-4", state="closed")
    with pytest.raises(ApiException) as reopened:
        update(api, "py-session-4", state="open")
    assert reopened.value.status == 400
    assert "Cannot move session to state" in reopened.value.body

    base, _ = perk
    configuration = talon_one.Configuration(host=base)
    configuration.api_key["Authorization"] = "wrong"
    configuration.api_key_prefix["Authorization"] = "ApiKey-v1"
    with pytest.raises(ApiException) as unauthorized:
        update(talon_one.IntegrationApi(talon_one.ApiClient(configuration)), "py-session-5")
    assert unauthorized.value.status == 401


def test_referral_created_redeemed_and_rewarded(api, perk):
    campaign = demo_campaign(perk, "Refer a friend")
    referral = api.create_referral(
        talon_one.NewReferral(campaign_id=campaign, advocate_profile_integration_id="ann"))
    assert isinstance(referral, talon_one.Referral)
    assert referral.code.startswith("FRIEND-") and referral.usage_limit == 1 and referral.usage_counter == 0

    content = ALL_CONTENT + ["referral"]
    state = update(api, "py-referral-1", response_content=content, profile_id="bob", referral_code=referral.code)
    assert [e.effect_type for e in state.effects if "eferral" in e.effect_type] == ["acceptReferral", "redeemReferral"]
    assert effects(state, "redeemReferral") == [{"id": referral.id, "value": referral.code}]
    assert state.referral.code == referral.code

    closed = update(api, "py-referral-1", response_content=content, state="closed")
    assert closed.referral.usage_counter == 1
    thanks = effects(closed, "couponCreated")
    assert thanks[0]["profileId"] == "ann" and thanks[0]["value"].startswith("THANKS-")
    assert [c.value for c in closed.created_coupons] == [thanks[0]["value"]]
    assert closed.created_coupons[0].recipient_integration_id == "ann"

    again = update(api, "py-referral-2", response_content=content, profile_id="carl", referral_code=referral.code)
    assert effects(again, "rejectReferral") == [{"value": referral.code, "rejectionReason": "ReferralLimitReached"}]


def test_reservations_inventory_and_customer_data(api, perk):
    reserved = api.create_coupon_reservation("SUMMER10", talon_one.CouponReservations(integration_i_ds=["py-dana", "py-eve"]))
    assert isinstance(reserved, talon_one.Coupon) and reserved.value == "SUMMER10"
    customers = api.get_reserved_customers("SUMMER10")
    assert customers.total_result_size == 2
    assert [p.integration_id for p in customers.data] == ["py-dana", "py-eve"]
    api.delete_coupon_reservation("SUMMER10", talon_one.CouponReservations(integration_i_ds=["py-eve"]))
    assert [p.integration_id for p in api.get_reserved_customers("SUMMER10").data] == ["py-dana"]
    with pytest.raises(ApiException) as missing:
        api.get_reserved_customers("NOSUCHCODE")
    assert missing.value.status == 404

    campaign = demo_campaign(perk, "Refer a friend")
    referral = api.create_referral(talon_one.NewReferral(campaign_id=campaign, advocate_profile_integration_id="py-dana"))
    update(api, "py-dana-1", profile_id="py-dana", attributes={}, state="closed",
           cart_items=[talon_one.CartItem(name="Hat", sku="hat", quantity=1, price=20.0)])
    inventory = api.get_customer_inventory("py-dana", profile=True, referrals=True)
    assert inventory.profile.integration_id == "py-dana"
    assert inventory.profile.closed_sessions == 1
    assert [r.code for r in inventory.referrals] == [referral.code]

    api.delete_customer_data("py-dana")
    assert api.get_customer_inventory("py-dana", profile=True).profile.closed_sessions == 1
    with pytest.raises(ApiException) as unknown:
        api.delete_customer_data("py-nobody")
    assert unknown.value.status == 404


def integration(perk, method, path, body=None):
    """Raw HTTP with the demo key: the v1 operations the current SDK no longer has."""
    base, key = perk
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "ApiKey-v1 " + key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


SESSION_V1 = {"integrationId", "created", "applicationId", "profileId", "coupon", "referral", "state", "cartItems",
              "total", "attributes", "firstSession", "discounts"}
PROFILE = {"integrationId", "created", "attributes", "accountId", "closedSessions", "totalSales", "lastActivity"}
EVENT = {"id", "created", "applicationId", "type", "attributes", "effects", "ledgerEntries"}


def test_v1_operations_over_raw_http(perk):
    status, state = integration(perk, "PUT", "/v1/customer_sessions/py-v1", {
        "profileId": "py-frank", "coupon": "SUMMER10", "total": 120,
        "cartItems": [{"name": "Running shoes", "sku": "shoe-01", "quantity": 1, "price": 120, "category": "shoes"}]})
    assert status == 200
    assert SESSION_V1 <= set(state["session"]) and PROFILE <= set(state["profile"]) and EVENT <= set(state["event"])
    assert state["session"]["coupon"] == "SUMMER10" and state["session"]["total"] == 120
    assert state["event"]["effects"][0][3] == ["acceptCoupon", "SUMMER10"]
    assert state["session"]["discounts"]["10% off"] == 12
    assert state["coupon"]["value"] == "SUMMER10"

    status, closed = integration(perk, "PUT", "/v1/customer_sessions/py-v1", {"state": "closed"})
    assert status == 200 and closed["profile"]["closedSessions"] == 1
    status, error = integration(perk, "PUT", "/v1/customer_sessions/py-v1", {"state": "open"})
    assert status == 400 and error["message"] == 'Cannot move session to state "open" from state "closed"'

    status, profile = integration(perk, "PUT", "/v1/customer_profiles/py-frank", {"attributes": {"Name": "Frank"}})
    assert status == 200 and profile["profile"]["attributes"] == {"Name": "Frank"}
    assert profile["event"]["type"] == "talon_profile_updated"
    status, error = integration(perk, "PUT", "/v1/customer_profiles/py-frank", {"attributes": {"Shoe": 42}})
    assert status == 400 and error["errors"][0]["title"] == "Unknown"

    status, event = integration(perk, "POST", "/v1/events",
                                {"profileId": "py-frank", "type": "Visit", "attributes": {}, "sessionId": "py-v1-visit"})
    assert status == 201 and event["event"]["type"] == "Visit" and event["event"]["sessionId"] == "py-v1-visit"
    status, error = integration(perk, "POST", "/v1/events",
                                {"type": "talon_session_closed", "attributes": {}, "sessionId": "x"})
    assert status == 400

    status, reserved = integration(perk, "POST", "/v1/coupon_reservations/SUMMER10", {"integrationIDs": ["py-frank"]})
    assert status == 201
    status, coupons = integration(perk, "GET", "/v1/coupon_reservations/coupons/py-frank")
    assert status == 200 and [c["value"] for c in coupons["data"]] == ["SUMMER10"]
    assert coupons["totalResultSize"] == 1


def test_management_answers_deserialize_in_the_sdk(perk, api):
    """The management reads through the SDK's ManagementApi, client-side validation on. (6.1.1
    wants a few fields 3.0.0 does not know: totalDiscounts on sessions, loyalty points in
    analytics.)"""
    base, _ = perk
    api.update_customer_session_v2("py-mgmt", talon_one.IntegrationRequest(
        customer_session=talon_one.NewCustomerSessionV2(
            profile_id="py-mgmt-ann", coupon_codes=["SUMMER10"], state="closed",
            cart_items=[talon_one.CartItem(name="Shoes", sku="shoe-01", quantity=1, price=120)])))
    referrals = demo_campaign(perk, "Refer a friend")
    api.create_referral(talon_one.NewReferral(campaign_id=referrals, advocate_profile_integration_id="py-mgmt-ann"))

    configuration = talon_one.Configuration(host=base)
    configuration.client_side_validation = True
    configuration.api_key["Authorization"] = sign_in(base)
    configuration.api_key_prefix["Authorization"] = "Bearer"
    manager = talon_one.ManagementApi(talon_one.ApiClient(configuration))

    app = next(a for a in manager.get_applications().data if a.name == "Perk demo shop").id
    summer = demo_campaign(perk, "Summer coupon: 10% off")
    assert manager.get_application(app).currency == "EUR"
    assert any(c.id == summer for c in manager.get_campaigns(app).data)
    ruleset = manager.get_rulesets(app, summer).data[0]
    assert manager.get_ruleset(app, summer, ruleset.id).rules == ruleset.rules
    coupons = manager.get_coupons_without_total_count(app, summer, value="SUMMER10", exact_match=True)
    assert [c.value for c in coupons.data] == ["SUMMER10"] and coupons.has_more is False
    assert coupons.data[0].usage_counter >= 1
    found = manager.search_coupons_advanced_without_total_count(app, summer, {"attributes": {}})
    assert [c.value for c in found.data] == ["SUMMER10"]
    assert manager.get_referrals_without_total_count(app, referrals, advocate="py-mgmt-ann").data[0].usage_limit == 1
    sessions = manager.get_application_sessions(app, integration_id="py-mgmt").data
    assert len(sessions) == 1 and sessions[0].state == "closed"
    assert getattr(sessions[0], "total_discounts", 12) > 0
    assert manager.get_application_session(app, sessions[0].id).profileintegrationid == "py-mgmt-ann"
    events = manager.get_application_events_without_total_count(app, session="py-mgmt").data
    assert events and any(e.effects for e in events)
    customer = next(c for c in manager.get_application_customers(app).data if c.integration_id == "py-mgmt-ann")
    # 3.0.0 sends an application id this route does not use.
    profile = (manager.get_customer_profile(app, customer.id) if talon_one.__version__ == "3.0.0"
               else manager.get_customer_profile(customer.id))
    assert profile.closed_sessions == 1
    assert manager.get_application_customer(app, customer.id).integration_id == "py-mgmt-ann"
    assert any(a.name == "Email" for a in manager.get_attributes().data)
    analytics = manager.get_campaign_analytics(app, summer, "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z",
                                               granularity="1 year")
    assert sum(a.coupon_redemptions for a in analytics.data) >= 1


def test_loyalty_and_webhook_operations_deserialize(perk, api):
    """The 2020 loyalty and webhook operations through the SDK's ManagementApi, validation on:
    points earned by the demo's "1 point per 10 spent" at close, added and deducted by hand, a
    deduction past the balance refused."""
    base, _ = perk
    token = sign_in(base)
    configuration = talon_one.Configuration(host=base)
    configuration.client_side_validation = True
    configuration.api_key["Authorization"] = token
    configuration.api_key_prefix["Authorization"] = "Bearer"
    manager = talon_one.ManagementApi(talon_one.ApiClient(configuration))

    program = next(p for p in manager.get_loyalty_programs().data if p.name == "demo-points")
    assert manager.get_loyalty_program(str(program.id)).title == "Perk points"
    assert program.default_validity == "365d" and program.allow_subledger is False
    update(api, "py-points", profile_id="py-lena", state="closed",
           cart_items=[talon_one.CartItem(name="Coat", sku="coat-01", quantity=1, price=100)])
    ledger = manager.get_loyalty_points(str(program.id), "py-lena")
    assert isinstance(ledger, talon_one.LoyaltyLedger) and ledger.ledger.total == 10
    assert ledger.ledger.transactions[0].type == "addition" and ledger.ledger.transactions[0].amount == 10
    assert ledger.ledger.expiring_points[0].expiry_date is not None
    # 3.0.0 names the body LoyaltyPoints; later clients split it in two.
    points = getattr(talon_one, "LoyaltyPoints", None) or talon_one.AddLoyaltyPoints
    manager.add_loyalty_points(str(program.id), "py-lena", points(points=5, name="Goodwill"))
    manager.remove_loyalty_points(str(program.id), "py-lena", {"points": 3})
    assert manager.get_loyalty_points(str(program.id), "py-lena").ledger.total == 12
    with pytest.raises(ApiException) as refused:
        manager.remove_loyalty_points(str(program.id), "py-lena", {"points": 100})
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["errors"][0]["source"]["pointer"] == "/points"

    app = next(a for a in manager.get_applications().data if a.name == "Perk demo shop").id
    webhook = management(base, "POST", "/v1/webhooks", {
        "applicationIds": [app], "title": "CRM", "verb": "POST", "url": "http://127.0.0.1:9/hook",
        "headers": [], "payload": "{}", "params": [], "enabled": False}, token=token)
    listed = manager.get_webhooks(application_ids=str(app))
    assert any(w.id == webhook["id"] and w.title == "CRM" for w in listed.data)
    assert manager.get_webhook(webhook["id"]).verb == "POST"
    assert manager.get_webhook_logs(webhook_id=webhook["id"]).total_result_size == 0
    assert manager.get_webhook_activation_logs(application_id=app).total_result_size == 0
