import Crypto
import Foundation
import _CryptoExtras

/// Secrets: API keys and login tokens are random and stored only as SHA-256 digests; passwords as
/// salted PBKDF2-HMAC-SHA256.
public enum Credentials {
    static func randomHex(bytes: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return hex((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A password people can type: 16 characters without look-alikes.
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    /// Digest under which a key or token is stored and looked up.
    static func digest(_ secret: String) -> String { hex(SHA256.hash(data: Data(secret.utf8))) }

    /// OWASP's figure for PBKDF2-HMAC-SHA256 (2023 and since).
    public static let defaultIterations = 600_000

    static func hashPassword(_ password: String, iterations: Int = defaultIterations) -> String {
        let salt = randomHex(bytes: 16)
        return "pbkdf2-sha256$\(iterations)$\(salt)$\(pbkdf2(password, salt: salt, iterations: iterations))"
    }

    /// The iteration count a stored hash was made with (0 when it is not one of ours).
    static func iterations(of stored: String) -> Int {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256" else { return 0 }
        return Int(parts[1]) ?? 0
    }

    static func verifyPassword(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let n = Int(parts[1]), n > 0, n <= 100_000_000 else {
            return false
        }
        let computed = pbkdf2(password, salt: parts[2], iterations: n)
        // Constant-time comparison.
        guard computed.utf8.count == parts[3].utf8.count else { return false }
        return zip(computed.utf8, parts[3].utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// PBKDF2 with HMAC-SHA256, one 32-byte block, as lowercase hex.
    static func pbkdf2(_ password: String, salt: String, iterations: Int) -> String {
        // Only fails for parameters BoringSSL refuses (zero rounds), which callers never pass.
        let key = try? KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: Array(salt.utf8), using: .sha256, outputByteCount: 32,
            unsafeUncheckedRounds: max(iterations, 1))
        return key.map { $0.withUnsafeBytes { hex($0) } } ?? ""
    }
}

/// `Content-Signature: signer=<applicationId>; signature=<hex>`: HMAC-MD5 of the raw body under the
/// application's hex-decoded `key` (the 2020 `integration_auth` scheme; the space is optional).
enum ContentSignature {
    struct Header: Equatable {
        var signer: Int64
        var signature: String
    }

    static func parse(_ header: String) -> Header? {
        var signer: Int64?
        var signature: String?
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let value = String(pair[1]).trimmingSpaces
            switch String(pair[0]).trimmingSpaces {
            case "signer": signer = Int64(value)
            case "signature": signature = value.lowercased()
            default: continue
            }
        }
        guard let signer, let signature else { return nil }
        return Header(signer: signer, signature: signature)
    }

    /// The lowercase hex HMAC-MD5 of `body` under `hexKey`; nil when the key is not hex.
    static func sign(_ body: some Sequence<UInt8>, hexKey: String) -> String? {
        guard let key = bytes(hex: hexKey) else { return nil }
        return Credentials.hex(HMAC<Insecure.MD5>.authenticationCode(for: Array(body), using: SymmetricKey(data: key)))
    }

    static func verify(_ body: some Sequence<UInt8>, hexKey: String, signature: String) -> Bool {
        guard let expected = sign(body, hexKey: hexKey), expected.utf8.count == signature.utf8.count else {
            return false
        }
        return zip(expected.utf8, signature.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var i = 0
        while i < digits.count {
            guard let hi = value(digits[i]), let lo = value(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
