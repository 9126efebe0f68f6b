import Foundation
import HTTPTypes
import PerkJSON
import Testing

@testable import PerkServer

@Suite struct ContentSignatureTests {
    /// semantics §1.2: key `fefecafedeadbeef`.
    @Test(arguments: [
        (#"{"coupon":"mycode","total":45.55}"#, "419e15a6798b49d68f73386bf5c30f1d"),
        ("", "0dbc664752c37541281e3eef8eee0d2d"),
        ("null", "1e559fe209653f16c3468fd27bef9e64"),
        ("[]", "75b25b80912097c225508b5ef3ce44d1"),
        (#"{"attributes":{"Email":"happycustomer@example.org"}}"#, "7a50137887dd35072ec4d35169105445"),
    ])
    func referenceVectors(_ body: String, _ signature: String) {
        #expect(ContentSignature.sign(Array(body.utf8), hexKey: "fefecafedeadbeef") == signature)
        #expect(ContentSignature.verify(Array(body.utf8), hexKey: "FEFECAFEDEADBEEF", signature: signature))
        #expect(!ContentSignature.verify(Array((body + " ").utf8), hexKey: "fefecafedeadbeef", signature: signature))
    }

    @Test func headersWithAndWithoutTheSpace() {
        let expected = ContentSignature.Header(signer: 12, signature: "abc")
        #expect(ContentSignature.parse("signer=12; signature=abc") == expected)
        #expect(ContentSignature.parse("signer=12;signature=ABC") == expected)
        #expect(ContentSignature.parse(" signature=abc ;signer=12 ") == expected)
        #expect(ContentSignature.parse("signer=x; signature=abc") == nil)
        #expect(ContentSignature.parse("signature=abc") == nil)
        #expect(ContentSignature.sign([], hexKey: "xyz") == nil)
    }

    @Test func signedRequestsAreAcceptedWhereTheReferenceAllowsThem() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication(extra: ["key": "fefecafedeadbeef"])
            let campaign = try await h.createCampaign(app, rules: [], extra: ["features": ["referrals"]])
            let body = #"{"campaignId":\#(campaign),"advocateProfileIntegrationId":"ann"}"#
            let signature = try #require(ContentSignature.sign(Array(body.utf8), hexKey: "fefecafedeadbeef"))
            var h = h
            h.token = ""
            let signed = try await h.raw(
                .post, "/v1/referrals", body,
                headers: [(HTTPField.Name("Content-Signature")!, "signer=\(app); signature=\(signature)")])
            #expect(signed.status == .created)
            #expect(signed["advocateProfileIntegrationId"] == "ann")

            let tampered = try await h.raw(
                .post, "/v1/referrals", body.replacingOccurrences(of: "ann", with: "bob"),
                headers: [(HTTPField.Name("Content-Signature")!, "signer=\(app);signature=\(signature)")])
            #expect(tampered.status == .badRequest)
            #expect(tampered["message"] == "HMAC signature mismatch.")

            let unknownSigner = try await h.raw(
                .post, "/v1/referrals", body,
                headers: [(HTTPField.Name("Content-Signature")!, "signer=999; signature=\(signature)")])
            #expect(unknownSigner.status == .unauthorized)

            // The v2 session update accepts only ApiKey-v1.
            let v2Body = #"{"customerSession":{}}"#
            let v2Signature = try #require(ContentSignature.sign(Array(v2Body.utf8), hexKey: "fefecafedeadbeef"))
            let v2 = try await h.raw(
                .put, "/v2/customer_sessions/s1", v2Body,
                headers: [(HTTPField.Name("Content-Signature")!, "signer=\(app); signature=\(v2Signature)")])
            #expect(v2.status == .unauthorized)
        }
    }
}
