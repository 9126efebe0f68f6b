/// How the listings search coupon and referral codes by part of a code: both the code and the
/// searched text lose case and everything that is not a letter or a digit, so `abcd` finds
/// `AB-CD-EF`. Each code is stored folded next to itself (column `folded`), so the search reads an
/// index instead of folding every code.
public enum CodeFolding {
    public static func fold(_ code: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in code.lowercased().unicodeScalars
        where scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
            out.append(scalar)
        }
        return String(out)
    }
}
