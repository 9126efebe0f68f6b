"""Perk's own OpenAPI document: valid OpenAPI 3.0, describing every route Perk answers, and
true to what Perk does under Schemathesis (PyPI) against a running Perk: no 5xx, no response
outside its schema, no undeclared status code or content type, no invalid request accepted."""

import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import pytest
import yaml
from openapi_spec_validator import validate

from perkserver import sign_in

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
METHODS = ["get", "put", "post", "delete", "patch"]


def served_document(base):
    with urllib.request.urlopen(base + "/openapi.yaml", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/yaml"
        return yaml.safe_load(response.read())


def test_document_is_valid_openapi(perk):
    base, _ = perk
    document = served_document(base)
    validate(document)
    assert document["openapi"].startswith("3.0")
    operation_ids = [op["operationId"] for item in document["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(operation_ids) == len(set(operation_ids))
    # The eleven Integration API operations are all there under their reference names.
    for name in ["createCouponReservation", "createReferral", "deleteCouponReservation", "deleteCustomerData",
                 "getCustomerInventory", "getReservedCoupons", "getReservedCustomers", "trackEvent",
                 "updateCustomerProfile", "updateCustomerSession", "updateCustomerSessionV2"]:
        assert name in operation_ids
    # Loyalty programs and webhooks, under the reference names (createLoyaltyProgram and
    # updateLoyaltyProgram are Perk's own).
    for name in ["createLoyaltyProgram", "updateLoyaltyProgram", "getLoyaltyPrograms", "getLoyaltyProgram",
                 "getLoyaltyPoints", "addLoyaltyPoints", "removeLoyaltyPoints", "getLoyaltyBalances",
                 "getLoyaltyProgramProfileTransactions", "getLoyaltyProgramProfilePoints", "createWebhook",
                 "getWebhooks", "getWebhook", "updateWebhook", "deleteWebhook", "getWebhookLogs",
                 "getWebhookActivationLogs"]:
        assert name in operation_ids


def test_every_documented_operation_is_routed(perk):
    """Each documented method and path reaches a handler: no 404 from the router (whose message
    is "Not found"), no 405."""
    base, _ = perk
    document = served_document(base)
    for path, item in document["paths"].items():
        concrete = path
        for parameter in ["applicationId", "campaignId", "couponId", "rulesetId", "referralId", "attributeId",
                          "customerId", "sessionId", "programId", "webhookId"]:
            concrete = concrete.replace("{%s}" % parameter, "1")
        concrete = concrete.replace("{customerSessionId}", "s").replace("{integrationId}", "c")
        concrete = concrete.replace("{couponValue}", "SUMMER10")
        for method in [m for m in item if m in METHODS]:
            request = urllib.request.Request(base + concrete, method=method.upper())
            try:
                with urllib.request.urlopen(request, timeout=10):
                    continue
            except urllib.error.HTTPError as error:
                body = error.read().decode()
                assert error.code != 405, (method, path, body)
                assert not (error.code == 404 and '"Not found"' in body), (method, path, body)


def test_schemathesis_finds_nothing(perk):
    base, key = perk
    env = dict(os.environ, PERK_API_KEY=key, PERK_TOKEN=sign_in(base))
    schemathesis = os.path.join(os.path.dirname(sys.executable), "st")
    # A fixed seed keeps CI repeatable; PERK_SCHEMATHESIS_SEED and _EXAMPLES explore further. One
    # worker: Hypothesis has failed internally ("AST constructor recursion depth mismatch") with two.
    # Signing out and revoking keys would end the very credentials the run uses (the Swift suites
    # test both).
    result = subprocess.run(
        [schemathesis, "--config-file", CONFIG, "--no-color", "run", base + "/openapi.yaml",
         "--exclude-operation-id", "destroySession", "--exclude-operation-id", "deleteApiKey",
         "--max-examples", os.environ.get("PERK_SCHEMATHESIS_EXAMPLES", "25"),
         "--seed", os.environ.get("PERK_SCHEMATHESIS_SEED", "20261128"), "--workers", "1"],
        env=env, cwd=tempfile.mkdtemp(), capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        pytest.fail("schemathesis failed:\n" + result.stdout[-20000:] + result.stderr[-5000:])
