/// Currencies' decimal places, for amounts a rule spreads in the smallest unit.
enum Currency {
    /// ISO 4217 currencies without minor units; the others have cents.
    static let wholeUnits: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
        "XOF", "XPF",
    ]

    static func places(_ currency: String) -> Int { wholeUnits.contains(currency.uppercased()) ? 0 : 2 }
}
