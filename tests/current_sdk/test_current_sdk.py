"""Drives a running `perk serve` with Talon.One's current official Python client (talon_one
12.0.0, May 2026; not on PyPI, installed from its source package), client-side validation on as
shipped: every operation Perk has, every answer deserialized into the client's models."""

import datetime

import pytest
import talon_one
from talon_one.rest import ApiException

from perkserver import management, sign_in

assert talon_one.__version__ == "12.0.0", talon_one.__version__

SESSION_CONTENT = ["customerSession", "customerProfile", "coupons", "triggeredCampaigns", "referral", "loyalty",
                   "event", "awardedGiveaways", "ruleFailureReasons", "previousReturns"]
PROFILE_CONTENT = ["customerProfile", "triggeredCampaigns", "loyalty", "event", "awardedGiveaways",
                   "ruleFailureReasons"]


def client(base, key, prefix):
    configuration = talon_one.Configuration(host=base)
    configuration.client_side_validation = True
    configuration.api_key["Authorization"] = key
    configuration.api_key_prefix["Authorization"] = prefix
    return talon_one.ApiClient(configuration)


@pytest.fixture(scope="module")
def api(perk):
    base, key = perk
    return talon_one.IntegrationApi(client(base, key, "ApiKey-v1"))


@pytest.fixture(scope="module")
def manager(perk):
    base, _ = perk
    return talon_one.ManagementApi(client(base, sign_in(base), "Bearer"))


@pytest.fixture(scope="module")
def app(manager):
    return next(a for a in manager.get_applications().data if a.name == "Perk demo shop").id


def campaign_id(manager, app, name):
    return next(c.id for c in manager.get_campaigns(app).data if c.name == name)


def update(api, session_id, response_content=SESSION_CONTENT, dry=None, **fields):
    body = talon_one.IntegrationRequest(
        customer_session=talon_one.NewCustomerSessionV2(**fields), response_content=response_content)
    if dry is None:
        return api.update_customer_session_v2(session_id, body)
    return api.update_customer_session_v2(session_id, body, dry=dry)


def effects(state, kind):
    return [e.props for e in state.effects if e.effect_type == kind]


SHOES = [talon_one.CartItem(name="Running shoes", sku="shoe-01", quantity=1, price=120.0, category="shoes")]


def test_session_update_with_every_response_content(api):
    state = update(api, "cur-1", profile_id="cur-alice", coupon_codes=["SUMMER10"], cart_items=SHOES)
    assert isinstance(state, talon_one.IntegrationStateV2)
    assert effects(state, "acceptCoupon") == [{"value": "SUMMER10"}]
    assert effects(state, "setDiscount")[0]["value"] == 12
    session = state.customer_session
    assert session.update_count == 1 and session.total == 120 and session.cart_item_total == 120
    assert session.additional_cost_total == 0 and session.first_session is True
    assert state.customer_profile.integration_id == "cur-alice"
    assert [c.value for c in state.coupons] == ["SUMMER10"]
    assert all(c.reevaluate_on_return is True for c in state.triggered_campaigns)
    assert state.awarded_giveaways == [] and state.previous_returns == [] and state.rule_failure_reasons == []
    assert state.event.type == "talon_session_created"

    again = update(api, "cur-1", coupon_codes=["SUMMER10"], cart_items=SHOES * 2)
    assert again.customer_session.update_count == 2 and again.customer_session.total == 240
    closed = update(api, "cur-1", state="closed")
    assert closed.customer_session.update_count == 3 and closed.customer_session.state == "closed"
    assert closed.coupons[0].usage_counter >= 1

    read = api.get_customer_session("cur-1")
    assert isinstance(read, talon_one.IntegrationCustomerSessionResponse)
    assert read.customer_session.update_count == 3 and read.customer_session.state == "closed"
    assert [e.effect_type for e in read.effects if e.effect_type == "acceptCoupon"] == ["acceptCoupon"]

    update(api, "cur-1", state="cancelled")
    cancelled = api.get_customer_session("cur-1")
    assert cancelled.customer_session.state == "cancelled" and cancelled.effects == []
    with pytest.raises(ApiException) as missing:
        api.get_customer_session("cur-never")
    assert missing.value.status == 404


def test_dry_session_update_stores_nothing(api):
    state = update(api, "cur-dry", dry=True, profile_id="cur-dry-bob", coupon_codes=["SUMMER10"],
                   cart_items=SHOES, state="closed")
    assert state.customer_session.state == "closed" and effects(state, "setDiscount")[0]["value"] == 12
    with pytest.raises(ApiException) as missing:
        api.get_customer_session("cur-dry")
    assert missing.value.status == 404


def test_profile_updates(api):
    body = talon_one.CustomerProfileIntegrationRequestV2(attributes={"Name": "Carol"})
    quiet = api.update_customer_profile_v2("cur-carol", body)
    assert isinstance(quiet, talon_one.CustomerProfileIntegrationResponseV2)
    assert quiet.effects == [] and quiet.customer_profile is None
    assert quiet.created_coupons == [] and quiet.created_referrals == []

    asked = talon_one.CustomerProfileIntegrationRequestV2(attributes={"Email": "carol@example.com"},
                                                          response_content=PROFILE_CONTENT)
    state = api.update_customer_profile_v2("cur-carol", asked, run_rule_engine=True)
    assert state.customer_profile.attributes == {"Name": "Carol", "Email": "carol@example.com"}
    assert state.event.type == "talon_profile_updated"
    assert state.awarded_giveaways == [] and isinstance(state.triggered_campaigns, list)

    dry = talon_one.CustomerProfileIntegrationRequestV2(attributes={"Name": "Not stored"},
                                                        response_content=["customerProfile"])
    rehearsed = api.update_customer_profile_v2("cur-carol", dry, run_rule_engine=True, dry=True)
    assert rehearsed.customer_profile.attributes["Name"] == "Not stored"
    again = api.update_customer_profile_v2(
        "cur-carol", talon_one.CustomerProfileIntegrationRequestV2(response_content=["customerProfile"]),
        run_rule_engine=True)
    assert again.customer_profile.attributes["Name"] == "Carol"

    with pytest.raises(ApiException) as refused:
        api.update_customer_profile_v2("cur-carol", asked)
    assert refused.value.status == 400 and "runRuleEngine" in refused.value.body
    with pytest.raises(ApiException) as unknown:
        api.update_customer_profile_v2(
            "cur-carol", talon_one.CustomerProfileIntegrationRequestV2(attributes={"Shoe size": 42}))
    assert unknown.value.status == 400 and "/attributes" in unknown.value.body


def test_many_profiles_at_once(api):
    body = talon_one.MultipleCustomerProfileIntegrationRequest(customer_profiles=[
        talon_one.MultipleCustomerProfileIntegrationRequestItem(integration_id="cur-many-%d" % i,
                                                                attributes={"Name": "Customer %d" % i})
        for i in range(3)])
    assert api.update_customer_profiles_v2_with_http_info(body)[1] == 204  # silent by default
    answered = api.update_customer_profiles_v2(body, silent="no")
    assert isinstance(answered, talon_one.MultipleCustomerProfileIntegrationResponseV2)
    assert [s.customer_profile.integration_id for s in answered.integration_states] == \
        ["cur-many-0", "cur-many-1", "cur-many-2"]
    assert answered.integration_states[2].customer_profile.attributes == {"Name": "Customer 2"}


def test_events_of_a_profile(api, perk, manager, app):
    base, _ = perk
    token = sign_in(base)
    management(base, "POST", "/v1/attributes", {
        "entity": "Event", "eventType": "review_written", "name": "stars", "title": "Stars", "type": "number",
        "description": "", "suggestions": [], "editable": True, "subscribedApplicationsIds": [app]}, token=token)
    body = talon_one.IntegrationEventV2Request(profile_id="cur-dave", type="review_written",
                                               attributes={"stars": 5}, response_content=PROFILE_CONTENT)
    state = api.track_event_v2(body)
    assert isinstance(state, talon_one.IntegrationEventV2Response)
    assert state.event.type == "review_written" and state.event.attributes == {"stars": 5}
    assert state.customer_profile.integration_id == "cur-dave"
    assert state.created_coupons == [] and state.created_referrals == []
    events = manager.get_application_events_without_total_count(app, profile="cur-dave").data
    assert [e.type for e in events] == ["review_written"]

    rehearsed = api.track_event_v2(body, dry=True)
    assert rehearsed.event.type == "review_written"
    assert len(manager.get_application_events_without_total_count(app, profile="cur-dave").data) == 1

    with pytest.raises(ApiException) as reserved:
        api.track_event_v2(talon_one.IntegrationEventV2Request(profile_id="cur-dave", type="talon_session_closed"))
    assert reserved.value.status == 400
    with pytest.raises(ApiException) as anonymous:
        api.track_event_v2(talon_one.IntegrationEventV2Request(type="review_written"))
    assert anonymous.value.status == 400 and "/profileId" in anonymous.value.body


def test_running_campaigns(api, manager, app):
    running = api.integration_get_all_campaigns()
    assert isinstance(running, talon_one.InlineResponse200)
    names = {c.name for c in running.data}
    assert "Summer coupon: 10% off" in names and running.has_more is False
    summer = campaign_id(manager, app, "Summer coupon: 10% off")
    only = api.integration_get_all_campaigns(campaign_ids=[str(summer)], page_size=1)
    assert [c.id for c in only.data] == [summer] and only.data[0].state == "enabled"
    first = api.integration_get_all_campaigns(page_size=1)
    assert len(first.data) == 1 and first.has_more is (len(running.data) > 1)
    later = api.integration_get_all_campaigns(start_after=datetime.datetime(2999, 1, 1, tzinfo=datetime.timezone.utc))
    assert later.data == []


def test_referrals(api, manager, app):
    campaign = campaign_id(manager, app, "Refer a friend")
    referral = api.create_referral(talon_one.NewReferral(campaign_id=campaign, advocate_profile_integration_id="cur-ann"))
    assert isinstance(referral, talon_one.Referral) and referral.usage_limit == 1
    many = talon_one.NewReferralsForMultipleAdvocates(
        campaign_id=campaign, usage_limit=3, advocate_profile_integration_ids=["cur-ben", "cur-cid"])
    # The client cannot read the empty answer it asks for: look at the raw response.
    assert api.create_referrals_for_multiple_advocates(many, silent="yes", _preload_content=False).status == 204
    answered = api.create_referrals_for_multiple_advocates(many)
    assert answered.total_result_size == 2
    assert sorted(r.advocate_profile_integration_id for r in answered.data) == ["cur-ben", "cur-cid"]
    assert all(r.usage_limit == 3 and r.code.startswith("FRIEND-") for r in answered.data)

    state = update(api, "cur-ref-1", profile_id="cur-dan", referral_code=referral.code)
    assert effects(state, "acceptReferral") == [{"value": referral.code}]
    assert state.referral.code == referral.code
    listed = manager.get_referrals_without_total_count(app, campaign, advocate="cur-ben")
    assert len(listed.data) == 2


def test_reservations_inventory_and_customer_data(api):
    reserved = api.create_coupon_reservation("SUMMER10", talon_one.CouponReservations(integration_i_ds=["cur-erin"]))
    assert isinstance(reserved, talon_one.Coupon)
    assert [p.integration_id for p in api.get_reserved_customers("SUMMER10").data] == ["cur-erin"]
    api.delete_coupon_reservation("SUMMER10", talon_one.CouponReservations(integration_i_ds=["cur-erin"]))
    assert api.get_reserved_customers("SUMMER10").data == []

    update(api, "cur-erin-1", profile_id="cur-erin", state="closed", attributes={},
           cart_items=[talon_one.CartItem(name="Hat", sku="hat", quantity=1, price=20.0)])
    inventory = api.get_customer_inventory("cur-erin", profile=True, referrals=True)
    assert isinstance(inventory, talon_one.CustomerInventory)
    assert inventory.profile.closed_sessions == 1 and inventory.referrals == []
    api.delete_customer_data("cur-erin")
    with pytest.raises(ApiException) as unknown:
        api.delete_customer_data("cur-nobody")
    assert unknown.value.status == 404


def test_management_reads(api, manager, app):
    update(api, "cur-mgmt", profile_id="cur-mgmt-ann", coupon_codes=["SUMMER10"], state="closed", cart_items=SHOES)
    summer = campaign_id(manager, app, "Summer coupon: 10% off")
    referrals = campaign_id(manager, app, "Refer a friend")
    assert manager.get_application(app).currency == "EUR"
    campaign = manager.get_campaign(app, summer)
    assert isinstance(campaign, talon_one.Campaign) and campaign.reevaluate_on_return is True
    assert campaign.frontend_state == "running"
    ruleset = manager.get_rulesets(app, summer).data[0]
    assert manager.get_ruleset(app, summer, ruleset.id).rules == ruleset.rules
    coupons = manager.get_coupons_without_total_count(app, summer, value="summer10")
    assert [c.value for c in coupons.data] == ["SUMMER10"] and coupons.has_more is False
    assert [c.value for c in manager.search_coupons_advanced_without_total_count(app, summer, {}).data] == ["SUMMER10"]
    assert "SUMMER10" in [c.value for c in
                          manager.search_coupons_advanced_application_wide_without_total_count(app, {}).data]
    assert manager.get_referrals_without_total_count(app, referrals).data is not None
    assert "SUMMER10" in manager.export_coupons(app, campaign_id=summer)
    sessions = manager.get_application_sessions(app, integration_id="cur-mgmt").data
    assert len(sessions) == 1 and sessions[0].state == "closed"
    assert manager.get_application_session(app, sessions[0].id).profileintegrationid == "cur-mgmt-ann"
    events = manager.get_application_events_without_total_count(app, session="cur-mgmt").data
    assert events and any(e.effects for e in events)
    customer = next(c for c in manager.get_application_customers(app).data if c.integration_id == "cur-mgmt-ann")
    assert manager.get_customer_profile(customer.id).closed_sessions == 1
    assert manager.get_application_customer(app, customer.id).integration_id == "cur-mgmt-ann"
    attributes = manager.get_attributes().data
    email = next(a for a in attributes if a.name == "Email")
    assert manager.get_attribute(email.id).name == "Email"
    analytics = manager.get_campaign_analytics(app, summer, "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z",
                                               granularity="1 year")
    assert sum(a.coupon_redemptions for a in analytics.data) >= 1


def test_units_costs_and_reopen(api):
    """The demo flattens cart items: "3 for 2 on socks" discounts one unit, "Free shipping from 50"
    the shipping cost; both read into the client's effect props models. A closed session reopens
    with the rollbacks of a cancel."""
    socks = talon_one.CartItem(name="Socks", sku="socks-01", quantity=3, price=5.0, category="socks")
    hat = talon_one.CartItem(name="Hat", sku="hat", quantity=1, price=50.0)
    state = update(api, "cur-units", profile_id="cur-fay", cart_items=[socks, hat],
                   additional_costs={"shipping": talon_one.AdditionalCost(price=4.9)})
    free = effects(state, "setDiscountPerItem")
    assert free == [{"name": "3 for 2 on socks#0", "value": 5, "position": 0, "subPosition": 0}]
    props = api.api_client._ApiClient__deserialize(free[0], "SetDiscountPerItemEffectProps")
    assert props.sub_position == 0 and props.value == 5
    shipping = effects(state, "setDiscountPerAdditionalCost")
    assert shipping == [{"name": "Free shipping", "additionalCostId": 0, "additionalCost": "shipping", "value": 4.9}]
    assert api.api_client._ApiClient__deserialize(shipping[0], "SetDiscountPerAdditionalCostEffectProps").value == 4.9
    assert state.customer_session.cart_items[0].quantity == 3

    update(api, "cur-units", state="closed")
    reopened = api.reopen_customer_session("cur-units")
    assert isinstance(reopened, talon_one.ReopenSessionResponse)
    # The demo's points for the purchase are taken back too.
    assert {e.effect_type for e in reopened.effects} == {"rollbackDiscount", "rollbackAddedLoyaltyPoints"}
    assert api.get_customer_session("cur-units").customer_session.state == "open"
    with pytest.raises(ApiException) as missing:
        api.reopen_customer_session("cur-never")
    assert missing.value.status == 404


def test_returns(api):
    """A returned pair of socks ends "3 for 2": its discount is rolled back, shipping stays free."""
    socks = talon_one.CartItem(name="Socks", sku="socks-01", quantity=3, price=5.0, category="socks")
    hat = talon_one.CartItem(name="Hat", sku="hat", quantity=1, price=50.0)
    closed = update(api, "cur-return", profile_id="cur-gus", cart_items=[socks, hat], state="closed",
                    additional_costs={"shipping": talon_one.AdditionalCost(price=4.9)})
    body = talon_one.ReturnIntegrationRequest(
        _return=talon_one.NewReturn(returned_cart_items=[talon_one.ReturnedCartItem(position=0, quantity=1)]),
        response_content=["customerSession", "customerProfile", "previousReturns"])
    state = api.return_cart_items("cur-return", body)
    assert isinstance(state, talon_one.IntegrationStateV2)
    assert effects(state, "rollbackDiscount") == [{"name": "3 for 2 on socks#0", "value": 5}]
    assert state.customer_session.state == "partially_returned"
    assert state.customer_session.cart_items[0].returned_quantity == 1
    assert state.customer_session.cart_items[0].remaining_quantity == 2
    assert state.customer_profile.total_sales == pytest.approx(closed.customer_profile.total_sales - 5)
    assert state._return.returned_cart_items[0].quantity == 1 and state.previous_returns == []
    kept = api.get_customer_session("cur-return")
    assert [e.effect_type for e in kept.effects] == ["setDiscountPerAdditionalCost", "addLoyaltyPoints"]


def shop(perk, rules_by_campaign, **settings):
    """A new application with one campaign per ruleset and an Integration API client for it."""
    base, _ = perk
    token = sign_in(base)
    app = management(base, "POST", "/v1/applications", dict(name="Shop %s" % datetime.datetime.now().timestamp(),
                                                             currency="EUR", timezone="UTC", **settings), token=token)
    ids = []
    for name, rules, limits in rules_by_campaign:
        c = management(base, "POST", "/v1/applications/%d/campaigns" % app["id"],
                       {"name": name, "state": "enabled", "tags": [], "features": [], "limits": limits}, token=token)
        management(base, "POST", "/v1/applications/%d/campaigns/%d/rulesets" % (app["id"], c["id"]),
                   {"rules": rules, "bindings": [], "activate": True}, token=token)
        ids.append(c["id"])
    key = management(base, "POST", "/v1/applications/%d/api_keys" % app["id"],
                     {"title": "sdk", "expires": "2099-01-01T00:00:00Z"}, token=token)["key"]
    return app["id"], ids, token, talon_one.IntegrationApi(client(base, key, "ApiKey-v1"))


def rule(title, effects, condition=True):
    return {"title": title, "condition": condition, "effects": effects}


def props(api, effect_props, model):
    return api.api_client._ApiClient__deserialize(effect_props, model)


CART = [".", "Session", "CartItems"]


def test_bundles_spreads_partial_budgets_and_best_deals(perk):
    base, _ = perk
    socks = ["filter", CART, [["Item"], ["=", [".", "Item", "Category"], "socks"]]]
    hats = ["filter", CART, [["Item"], ["=", [".", "Item", "Category"], "hats"]]]
    bundles = ["bundles", socks, 2, hats, 1]
    app, (bundle, spread, small, big), token, api = shop(perk, [
        ("Bundle", [rule("Socks and a hat", [
            ["map", bundles, "Bundle", ["setDiscount", "Bundle", 3]],
            ["map", bundles, "Bundle", ["showBundleMetadata", "Socks and a hat", ["list", "Category"],
                                        ["map", [".", "Bundle"], "Item", [".", "Item", "Position"]]]]])], []),
        ("Spread", [rule("Ten off, spread", [["spreadDiscount", "Ten off", 10, CART]])], []),
        ("Small", [rule("Small", [["setDiscount", "Small", 4]])], [{"action": "setDiscount", "limit": 6, "entities": []}]),
        ("Big", [rule("Big", [["setDiscount", "Big", 9]])], []),
    ], enableFlattenedCartItems=True, enablePartialDiscounts=True)
    cart = [talon_one.CartItem(name="Socks", sku="s", quantity=2, price=5.0, category="socks"),
            talon_one.CartItem(name="Hat", sku="h", quantity=1, price=20.0, category="hats")]

    state = update(api, "sdk-mix-1", cart_items=cart, state="closed")
    meta = [props(api, p, "ShowBundleMetadataEffectProps") for p in effects(state, "showBundleMetadata")]
    assert [(m.description, m.bundle_attributes, m.items_indices) for m in meta] == [("Socks and a hat", ["Category"], [0, 0, 1])]
    spread_props = [props(api, p, "SetDiscountPerItemEffectProps") for p in effects(state, "setDiscountPerItem")]
    assert sum(p.value for p in spread_props) == pytest.approx(10) and all(p.total_discount == 10 for p in spread_props)
    # The budget of 6 gives 4, then the 2 that are left (partial), then nothing.
    second = update(api, "sdk-mix-2", cart_items=cart, state="closed")
    partial = [props(api, p, "SetDiscountEffectProps") for p in effects(second, "setDiscount") if p["name"] == "Small"]
    assert [(p.value, p.desired_value) for p in partial] == [(2, 4)]

    # An evaluation group keeps only the biggest of Small and Big.
    group = {"type": "SET", "name": "root", "operator": "ALL", "elements": [
        {"type": "SET", "name": "best", "operator": "ALL", "evaluationMode": "highestDiscount", "evaluationScope": "session",
         "elements": [{"type": "CAMPAIGN", "campaignId": small}, {"type": "CAMPAIGN", "campaignId": big}]}]}
    management(base, "PUT", "/v1/applications/%d/campaign_set" % app, {"applicationId": app, "set": group}, token=token)
    best = update(api, "sdk-mix-3", cart_items=cart)
    names = [p["name"] for p in effects(best, "setDiscount")]
    assert "Big" in names and "Small" not in names and "Bundle" in names


def test_loyalty_reads_and_effects(perk, manager):
    """Points earned at close, deducted by a rule, given back at cancel; the current reads of a
    profile's balances, transactions and points, and the effects' props in the current models."""
    base, _ = perk
    token = sign_in(base)
    program = management(base, "POST", "/v1/loyalty_programs", {
        "name": "sdk-points-%s" % datetime.datetime.now().timestamp(), "title": "SDK points",
        "defaultValidity": "30d", "allowSubledger": True}, token=token)
    earn = rule("Earn", [["addLoyaltyPoints", program["id"], ["/", [".", "Session", "Total"], 10]]])
    spend = rule("Spend", [["deductLoyaltyPoints", program["id"], 5], ["setDiscount", "Points", 2]],
                 ["and", [">=", ["loyaltyBalance", program["id"]], 5]])
    app, _, token, api = shop(perk, [("Earn", [earn], []), ("Spend", [spend], [])])
    management(base, "PUT", "/v1/loyalty_programs/%d" % program["id"], {"subscribedApplications": [app]}, token=token)
    cart = [talon_one.CartItem(name="Coat", sku="coat", quantity=1, price=80.0)]

    first = update(api, "sdk-loyal-1", profile_id="sdk-mia", cart_items=cart, state="closed")
    added = props(api, effects(first, "addLoyaltyPoints")[0], "AddLoyaltyPointsEffectProps")
    assert added.value == 8 and added.program_id == program["id"] and added.recipient_integration_id == "sdk-mia"
    second = update(api, "sdk-loyal-2", profile_id="sdk-mia", cart_items=cart, state="closed")
    deducted = props(api, effects(second, "deductLoyaltyPoints")[0], "DeductLoyaltyPointsEffectProps")
    assert deducted.value == 5 and deducted.rule_title == "Spend" and deducted.transaction_uuid
    cancelled = update(api, "sdk-loyal-2", state="cancelled")
    back = props(api, effects(cancelled, "rollbackDeductedLoyaltyPoints")[0], "RollbackDeductedLoyaltyPointsEffectProps")
    assert back.value == 5
    taken = props(api, effects(cancelled, "rollbackAddedLoyaltyPoints")[0], "RollbackAddedLoyaltyPointsEffectProps")
    assert taken.value == 8

    balances = api.get_loyalty_balances(program["id"], "sdk-mia")
    assert isinstance(balances, talon_one.LoyaltyBalancesWithTiers)
    assert balances.balance.active_points == 8 and balances.balance.spent_points == 0
    transactions = api.get_loyalty_program_profile_transactions(program["id"], "sdk-mia", page_size=2)
    assert transactions.has_more is True and len(transactions.data) == 2
    assert {t.type for t in transactions.data} <= {"addition", "subtraction"}
    points = api.get_loyalty_program_profile_points(program["id"], "sdk-mia")
    assert [p.amount for p in points.data] == [8] and points.data[0].expiry_date != "unlimited"
    with pytest.raises(ApiException) as missing:
        api.get_loyalty_balances(program["id"] + 1000, "sdk-mia")
    assert missing.value.status == 404


def test_webhook_models(perk, manager):
    base, _ = perk
    token = sign_in(base)
    app = management(base, "GET", "/v1/applications", token=token)["data"][0]["id"]
    created = management(base, "POST", "/v1/webhooks", {
        "applicationIds": [app], "title": "CDP", "verb": "PUT", "url": "https://example.com/profiles/${id}",
        "headers": ["Authorization: Bearer x"], "payload": '{"id": "${id}"}',
        "params": [{"type": "string", "title": "Profile", "key": "id", "description": "", "ui": {}}],
        "enabled": True}, token=token)
    webhook = manager.get_webhook(created["id"])
    assert isinstance(webhook, talon_one.Webhook) and webhook.params[0].key == "id"
    assert any(w.id == created["id"] for w in manager.get_webhooks().data)
