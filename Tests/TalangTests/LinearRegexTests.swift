import Testing

@testable import Talang

/// One search and its answer under Go's `regexp.MatchString`.
struct RegexMatchCase: Sendable, CustomTestStringConvertible {
    let pattern: String
    let text: String
    let expected: Bool

    init(_ pattern: String, _ text: String, _ expected: Bool) {
        self.pattern = pattern
        self.text = text
        self.expected = expected
    }

    var testDescription: String { "\(pattern) ~ \(text.debugDescription) == \(expected)" }
}

/// A pattern Go refuses, and the message.
struct RegexErrorCase: Sendable, CustomTestStringConvertible {
    let pattern: String
    let message: String

    init(_ pattern: String, _ message: String) {
        self.pattern = pattern
        self.message = message
    }

    var testDescription: String { pattern.debugDescription }
}

@Suite struct LinearRegexTests {
    static func search(_ pattern: String, _ text: String) throws -> Bool {
        var fuel = Int.max
        return try LinearRegex(pattern).matches(text, fuel: &fuel)
    }

    static func fuelUsed(_ regex: LinearRegex, _ text: String) throws -> (matched: Bool, fuel: Int) {
        var fuel = Int.max
        let matched = try regex.matches(text, fuel: &fuel)
        return (matched, Int.max - fuel)
    }

    static func syntaxError(_ pattern: String) -> String? {
        do {
            _ = try LinearRegex(pattern)
            return nil
        } catch {
            return error.message
        }
    }

    /// The character sets the parser built, as flat lo, hi pairs.
    static func sets(_ pattern: String) throws -> [[UInt32]] {
        try RegexParser.parse(Array(pattern.unicodeScalars)).sets.map(\.ranges)
    }

    // Mostly from Go's find_test.go and RE2's search tests, answered as Go answers them.
    static let matchCases: [RegexMatchCase] = [
        // Literals and the empty pattern.
        .init(#""#, "", true),
        .init(#""#, "abc", true),
        .init(#"a"#, "a", true),
        .init(#"x"#, "y", false),
        .init(#"b"#, "abc", true),
        .init(#"abc"#, "xabcy", true),
        .init(#"abc"#, "ab", false),
        .init(#"aa"#, "aA", false),
        .init(#"ABC"#, "abc", false),
        .init(#"^abcdefg"#, "abcdefg", true),
        .init(#"abcd.."#, "abcdef", true),
        .init(#"日本語+"#, "日本語語語語", true),
        .init(#"\a\f\n\r\t\v"#, "\u{07}\u{0C}\n\r\t\u{0B}", true),
        .init(#"\x41\x{1F600}\101\0"#, "A😀A\u{0}", true),
        .init(#"\08"#, "\u{0}8", true),
        .init(
            ##"\!\"\#\$\%\&\'\(\)\*\+\,\-\.\/\:\;\<\=\>\?\@\[\\\]\^\_\{\|\}\~"##,
            ##"!"#$%&'()*+,-./:;<=>?@[\]^_{|}~"##, true),
        .init(#"\`"#, "`", true),
        .init(#"\Q+|*?{[\E"#, "+|*?{[", true),
        .init(#"\Q.*\E"#, "abc", false),
        .init(#"\Qab\E+"#, "abbb", true),
        .init(#"\Qab\E+"#, "abab", true),
        .init(#"\Qa.b"#, "a.b", true),
        .init(#"\Qa.b"#, "axb", false),
        // Malformed counts are literal braces, as in Go.
        .init(#"a{,2}"#, "a{,2}", true),
        .init(#"x{1001"#, "x{1001", true),
        .init(#"a{"#, "a{", true),
        .init(#"a*{"#, "aaa{", true),
        .init(#"{"#, "{", true),
        .init(#"}"#, "}", true),
        .init(#"a{01}"#, "a{01}", true),
        // Dot.
        .init(#"."#, "a", true),
        .init(#"."#, "", false),
        .init(#"."#, "\n", false),
        .init(#"(?s)."#, "\n", true),
        .init(#"(?s:.)"#, "\n", true),
        .init(#"(?s-s:.)"#, "\n", false),
        .init(#"^.$"#, "日", true),
        .init(#"^.$"#, "e\u{301}", false),  // two scalars, one grapheme: Go counts runes
        .init(#"^..$"#, "e\u{301}", true),
        .init(#"^.$"#, "😀", true),
        // Classes.
        .init(#"[abc]"#, "xxxbxx", true),
        .init(#"[abc]"#, "xyz", false),
        .init(#"[^x]"#, "xxxaxx", true),
        .init(#"[^x]"#, "xxx", false),
        .init(#"[^a]"#, "\n", true),
        .init(#"[a-z]+"#, "ABCdEF", true),
        .init(#"[^a-z]+"#, "abc", false),
        .init(#"[a\-\]z]+"#, "-", true),
        .init(#"[a\-\]z]+"#, "]", true),
        .init(#"[a\-\]z]+"#, "b", false),
        .init(#"[]a]"#, "]", true),
        .init(#"[^]a]"#, "]", false),
        .init(#"[^]a]"#, "b", true),
        .init(#"[a-]"#, "-", true),
        .init(#"[-a]"#, "-", true),
        .init(#"[a-b-c]"#, "-", true),
        .init(#"[a-b-c]"#, "c", true),
        .init(#"[a-b-c]"#, "B", false),
        .init(#"[日本語]+"#, "x本", true),
        .init(#"[α-ε☺]"#, "δ", true),
        .init(#"[α-ε☺]"#, "ζ", false),
        .init(#"[\x{41}-\x7a]"#, "_", true),
        .init(#"[\012-\234]"#, "\u{9C}", true),
        .init(#"[\a\f\n\r\t\v]+"#, "\u{0B}", true),
        .init(#"[.]"#, ".", true),
        .init(#"[.]"#, "a", false),
        .init(##"[\!\"\#\$\%\&\'\(\)\*\+\,\-\.\/\:\;\<\=\>\?\@\[\\\]\^\_\{\|\}\~]+"##, "~", true),
        .init(#"[^\S\s]"#, "abcd", false),
        .init(#"[^\S[:space:]]"#, "abcd", false),
        .init(#"[^\D\d]"#, "abcd", false),
        .init(#"[^\D[:digit:]]"#, "abcd", false),
        .init(#"[\s\S]"#, "\n", true),
        .init(#"[[:alpha:]]"#, "x", true),
        .init(#"[[:alpha:]]"#, "é", false),
        .init(#"[[:^alpha:]]"#, "é", true),
        .init(#"[[:digit:][:upper:]]+"#, "a", false),
        .init(#"[[:digit:][:upper:]]+"#, "Z", true),
        .init(#"[[:word:]]"#, "_", true),
        .init(#"[[:xdigit:]]"#, "g", false),
        .init(#"[[:punct:]]"#, "@", true),
        .init(#"[[:space:]]"#, "\u{0B}", true),
        .init(#"[[:blank:]]"#, "\n", false),
        .init(#"[[:cntrl:]]"#, "\u{7F}", true),
        .init(#"[[:print:]]"#, " ", true),
        .init(#"[[:graph:]]"#, " ", false),
        .init(#"[[:ascii:]]"#, "\u{80}", false),
        .init(#"[[:lower:]]"#, "A", false),
        .init(#"[[:alpha]"#, ":", true),  // no `:]`, so `[` is a member
        // Perl classes are ASCII, as in RE2.
        .init(#"\d"#, "7", true),
        .init(#"\d"#, "٣", false),
        .init(#"\D"#, "٣", true),
        .init(#"\s"#, " ", true),
        .init(#"\s"#, "\u{0B}", false),  // RE2's \s has no \v
        .init(#"\s"#, "\u{3000}", false),
        .init(#"\S"#, " \t\n", false),
        .init(#"\w+"#, "_", true),
        .init(#"\w"#, "é", false),
        .init(#"\W"#, "é", true),
        // Unicode general categories.
        .init(#"\pL"#, "é", true),
        .init(#"\pL"#, "1", false),
        .init(#"\PL"#, "1", true),
        .init(#"\p{L}"#, "日", true),
        .init(#"\p{^L}"#, "日", false),
        .init(#"\P{^L}"#, "日", true),
        .init(#"\p{Lu}"#, "É", true),
        .init(#"\p{Lu}"#, "é", false),
        .init(#"\p{Ll}"#, "é", true),
        .init(#"\p{Lt}"#, "ǅ", true),
        .init(#"\pN"#, "٣", true),
        .init(#"\p{Nd}"#, "Ⅻ", false),
        .init(#"\p{Nl}"#, "Ⅻ", true),
        .init(#"\pP"#, "¿", true),
        .init(#"\p{Sc}"#, "€", true),
        .init(#"\p{Sm}"#, "+", true),
        .init(#"\pS"#, "a", false),
        .init(#"\p{Zs}"#, "\u{3000}", true),
        .init(#"\pZ"#, "\u{2028}", true),
        .init(#"\pC"#, "\u{7}", true),
        .init(#"\p{Co}"#, "\u{E000}", true),
        .init(#"\p{Mn}"#, "e\u{301}", true),
        .init(#"\pM"#, "e", false),
        .init(#"\p{Uppercase_Letter}"#, "A", true),
        .init(#"\p{lu}"#, "a", false),
        .init(#"\p{Any}"#, "\n", true),
        .init(#"\p{^Any}"#, "x", false),
        .init(#"\p{ASCII}"#, "é", false),
        .init(#"[\p{Lu}\d]+"#, "x", false),
        .init(#"[\p{Lu}\d]+"#, "Ä", true),
        .init(#"[^\pL\pN]"#, "aé1٣", false),
        .init(#"[^\pL\pN]"#, "a-b", true),
        .init(#"[\P{L}]"#, "a", false),
        // Case folding.
        .init(#"(?i)abc"#, "xAbCx", true),
        .init(#"(?i)k"#, "\u{212A}", true),  // KELVIN SIGN
        .init(#"(?i)\x{212A}"#, "k", true),
        .init(#"(?i)K"#, "k", true),
        .init(#"k"#, "\u{212A}", false),
        .init(#"(?i)s"#, "ſ", true),
        .init(#"(?i)ſ"#, "S", true),
        .init(#"(?i)[k]"#, "\u{212A}", true),
        .init(#"(?i)[^k]"#, "\u{212A}", false),
        .init(#"(?i)[a-z]"#, "ſ", true),
        .init(#"(?i)[[:lower:]]"#, "Q", true),
        .init(#"(?i)[^[:lower:]]"#, "\u{212A}", false),
        .init(#"(?i)\w"#, "\u{212A}", true),
        .init(#"(?i)\W"#, "x", false),
        .init(#"(?i)\W"#, "k", false),
        .init(#"(?i)\W"#, "ſ", false),
        .init(#"(?i)σ"#, "ς", true),
        .init(#"(?i)σ"#, "Σ", true),
        .init(#"(?i)θ"#, "ϑ", true),
        .init(#"(?i)µ"#, "Μ", true),
        .init(#"(?i)ǅ"#, "ǆ", true),
        .init(#"(?i)ß"#, "ẞ", true),
        .init(#"(?i)straße"#, "STRASSE", false),  // simple folding only
        .init(#"(?i)ı"#, "I", false),  // dotless i does not fold
        .init(#"(?i)i"#, "İ", false),
        .init(#"(?i)é"#, "É", true),
        .init(#"(?i)\p{Lu}"#, "é", true),
        .init(#"(?i)\P{Lu}"#, "é", false),
        .init(#"(?i)[\p{Lu}]"#, "é", true),
        .init(#"(?i)\p{ascii}"#, "\u{212A}", true),
        .init(#"(?i:A)b"#, "aB", false),
        .init(#"(?i:A)b"#, "ab", true),
        .init(#"(?i)a(?-i)b"#, "AB", false),
        .init(#"(?i)a(?-i)b"#, "Ab", true),
        .init(#"(?:(?i)a|b)"#, "B", true),  // flags last to the end of the group, across `|`
        .init(#"(a(?i)b)c"#, "aBC", false),
        .init(#"(a(?i)b)c"#, "aBc", true),
        .init(#"(?i)(?-i:a)"#, "A", false),
        // Anchors and multi-line mode.
        .init(#"^"#, "abcde", true),
        .init(#"$"#, "abcde", true),
        .init(#"^abcd$"#, "abcd", true),
        .init(#"^abcd$"#, "abcde", false),
        .init(#"^bcd"#, "abcdef", false),
        .init(#"/$"#, "/abc/", true),
        .init(#"/$"#, "/abc", false),
        .init(#"^$"#, "", true),
        .init(#"^$"#, "x", false),
        .init(#"^^^^$$$$"#, "", true),
        .init(#"a$"#, "a\n", false),  // Go's $ is \z outside multi-line mode
        .init(#"^b"#, "a\nb", false),
        .init(#"(?m)^b"#, "a\nb", true),
        .init(#"(?m)a$"#, "a\nb", true),
        .init(#"(?m)^$"#, "a\n\nb", true),
        .init(#"(?m)^$"#, "a\nb", false),
        .init(#"(?m)^$"#, "a\n", true),
        .init(#"(?m)\Ab"#, "a\nb", false),
        .init(#"(?m)a\z"#, "a\n", false),
        .init(#"\Aa\z"#, "a", true),
        .init(#"(?m)^[a-z]+$"#, "12\nab\n34", true),
        .init(#"(?m:^b)|^c"#, "a\nc", false),
        .init(#"x*^"#, "b", true),
        .init(#"^(foo|bar|[A-Z])$"#, "foo\n", false),
        // Word boundaries (ASCII, as in RE2).
        .init(#"\bfoo\b"#, "nofoo foo that", true),
        .init(#"\bfoo\b"#, "nofoo foothat", false),
        .init(#"a\b"#, "faoa x", true),
        .init(#"\bbar"#, "foo\nbar x", true),
        .init(#"bar\b"#, "foobar", true),
        .init(#"\b"#, "", false),
        .init(#"\b"#, "x", true),
        .init(#"\b\b"#, "x", true),
        .init(#"\B"#, "", true),
        .init(#"\B"#, "x", false),
        .init(#"\B"#, "xx", true),
        .init(#"\B"#, "x y", false),
        .init(#"\B"#, "xx yy", true),
        .init(#"\bé"#, "é", false),  // é is not a word character
        .init(#"a\b"#, "aé", true),
        .init(#"^\b(foo|bar|[A-Z])\b"#, "X", true),
        .init(#"\b(foo|bar|[A-Z])\b"#, "ffoo bbar N x", true),
        .init(#"\b(foo|bar|[A-Z])\b"#, "XY", false),
        // Groups and alternation.
        .init(#"()"#, "", true),
        .init(#"(a)"#, "a", true),
        .init(#"(?:ab)+c"#, "abababc", true),
        .init(#"(?P<word>ab)c"#, "abc", true),
        .init(#"(?<word>ab)c"#, "xabcx", true),
        .init(#"(?P<x>a)(?P<x>b)"#, "ab", true),  // Go allows repeated names
        .init(#"ab|cd"#, "xabcdx", true),
        .init(#"^(?:ab|cd)$"#, "xabcdx", false),
        .init(#"a|"#, "xyz", true),
        .init(#"|"#, "", true),
        .init(#"^(?:a|)$"#, "", true),
        .init(#"^(?:|a)$"#, "a", true),
        .init(#"^(?:a|b|c)$"#, "d", false),
        .init(#"(fo|foo)$"#, "foo", true),
        .init(#"((a|b|c)*(d))"#, "abcd", true),
        .init(#"(([^xyz]*)(d))"#, "abcd", true),
        .init(#"a*(|(b))c*"#, "abc", true),
        .init(#"(?)a"#, "a", true),  // an empty flag group, accepted by Go
        .init(#"(?i)"#, "", true),
        // Repetition.
        .init(#"a+"#, "baaab", true),
        .init(#"a*"#, "bbb", true),
        .init(#"a*b"#, "cab", true),
        .init(#"^a*b$"#, "aaac", false),
        .init(#"^a+$"#, "", false),
        .init(#"^a?$"#, "", true),
        .init(#"^a??$"#, "a", true),
        .init(#"^a*?$"#, "aaa", true),
        .init(#"^a+?b$"#, "aab", true),
        .init(#"(?U)^a+$"#, "aaa", true),
        .init(#"^a{2}$"#, "aa", true),
        .init(#"^a{2}$"#, "aaa", false),
        .init(#"^a{2,}$"#, "aaaa", true),
        .init(#"^a{2,}$"#, "a", false),
        .init(#"^a{2,3}$"#, "aaa", true),
        .init(#"^a{2,3}$"#, "aaaa", false),
        .init(#"^a{2,3}?$"#, "aa", true),
        .init(#"^a{0}$"#, "", true),
        .init(#"^a{0}b$"#, "b", true),
        .init(#"^a{0,}$"#, "aaa", true),
        .init(#"^a{1,}$"#, "", false),
        .init(#"^a{0,1}$"#, "aa", false),
        .init(#"^(?:ab){2}$"#, "abab", true),
        .init(#"^(?:ab){2}$"#, "aba", false),
        .init(#"^(?:a{2}){3}$"#, "aaaaaa", true),
        .init(#"^(?:a{2}){3}$"#, "aaaaa", false),
        .init(#"^[a-z]{3}\d{2,4}$"#, "abc123", true),
        .init(#"^[a-z]{3}\d{2,4}$"#, "abc12345", false),
        .init(#"(|a)*"#, "aa", true),
        .init(#"(|a)+"#, "aa", true),
        .init(#"^(?:a*)*$"#, "aaa", true),
        .init(#"^(?:a*)+$"#, "aab", false),
        .init(#"^(a+|b)+$"#, "abba", true),
        .init(#"^(?:(?:a|b)*c)+$"#, "abcabcc", true),
        .init(#"^\b*$"#, "", true),
        .init(#"(?:^)*x"#, "ax", true),
        .init(#"(.*)"#, "", true),
        .init(#"(.*).*"#, "ab", true),
        .init(#"h.*od?"#, "hello\ngoodbye\n", true),
        .init(#"^(?:h.*od?)$"#, "hello\ngoodbye\n", false),
        .init(#"(?s)^(?:h.*od?)"#, "hello\ngoodbye\n", true),
        .init(#"x+y"#, "xxxxz", false),
        .init(#"(?:.)+"#, "xy", true),
    ]

    @Test(arguments: matchCases)
    func matchesAsGoDoes(_ c: RegexMatchCase) throws {
        #expect(try Self.search(c.pattern, c.text) == c.expected)
    }

    static let errorCases: [RegexErrorCase] = [
        .init(#"(ab"#, "missing closing ): `(ab`"),
        .init(#"("#, "missing closing ): `(`"),
        .init(#"(a|b"#, "missing closing ): `(a|b`"),
        .init(#"(?P<name>a"#, "missing closing ): `(?P<name>a`"),
        .init(#"(?i:a"#, "missing closing ): `(?i:a`"),
        .init(#")"#, "unexpected ): `)`"),
        .init(#"ab)"#, "unexpected ): `ab)`"),
        .init(#"(a))"#, "unexpected ): `(a))`"),
        .init(#"a|b)"#, "unexpected ): `a|b)`"),
        .init(#"[a-z"#, "missing closing ]: `[a-z`"),
        .init(#"([a-z)"#, "missing closing ]: `[a-z)`"),
        .init(#"[]"#, "missing closing ]: `[]`"),
        .init(#"[^]"#, "missing closing ]: `[^]`"),
        .init(#"["#, "missing closing ]: `[`"),
        .init(#"[a-Z]"#, "invalid character class range: `a-Z`"),
        .init(#"(?i)[a-Z]"#, "invalid character class range: `a-Z`"),
        .init(#"[z-a]"#, "invalid character class range: `z-a`"),
        .init(#"[[:foo:]]"#, "invalid character class range: `[:foo:]`"),
        .init(#"[[:^foo:]]"#, "invalid character class range: `[:^foo:]`"),
        .init(#"[\b]"#, #"invalid escape sequence: `\b`"#),
        .init(#"[a-\d]"#, #"invalid escape sequence: `\d`"#),
        .init(#"\y"#, #"invalid escape sequence: `\y`"#),
        .init(#"\1"#, #"invalid escape sequence: `\1`"#),
        .init(#"(a)\1"#, #"invalid escape sequence: `\1`"#),
        .init(#"\8"#, #"invalid escape sequence: `\8`"#),
        .init(#"\C"#, #"invalid escape sequence: `\C`"#),
        .init(#"\Z"#, #"invalid escape sequence: `\Z`"#),
        .init(#"\E"#, #"invalid escape sequence: `\E`"#),
        .init(#"\é"#, #"invalid escape sequence: `\é`"#),
        .init(#"\x"#, #"invalid escape sequence: `\x`"#),
        .init(#"\xZ1"#, #"invalid escape sequence: `\xZ1`"#),
        .init(#"\x4"#, #"invalid escape sequence: `\x4`"#),
        .init(#"\x{}"#, #"invalid escape sequence: `\x{}`"#),
        .init(#"\x{12"#, #"invalid escape sequence: `\x{12`"#),
        .init(#"\x{110000}"#, #"invalid escape sequence: `\x{110000`"#),
        .init(#"a\"#, "trailing backslash at end of expression"),
        .init(#"[a\"#, "trailing backslash at end of expression"),
        .init(#"a**"#, "invalid nested repetition operator: `**`"),
        .init(#"a*+"#, "invalid nested repetition operator: `*+`"),
        .init(#"a++"#, "invalid nested repetition operator: `++`"),
        .init(#"a?*"#, "invalid nested repetition operator: `?*`"),
        .init(#"a??*"#, "invalid nested repetition operator: `??*`"),
        .init(#"a{1}*"#, "invalid nested repetition operator: `{1}*`"),
        .init(#".{1}{2}"#, "invalid nested repetition operator: `{1}{2}`"),
        .init(#"*"#, "missing argument to repetition operator: `*`"),
        .init(#"+a"#, "missing argument to repetition operator: `+`"),
        .init(#"a|*"#, "missing argument to repetition operator: `*`"),
        .init(#"(*)"#, "missing argument to repetition operator: `*`"),
        .init(#"(?i)??"#, "missing argument to repetition operator: `??`"),
        .init(#"\Q\E*"#, "missing argument to repetition operator: `*`"),
        .init(#"{2}"#, "missing argument to repetition operator: `{2}`"),
        .init(#"x{1001}"#, "invalid repeat count: `{1001}`"),
        .init(#"x{1001,}"#, "invalid repeat count: `{1001,}`"),
        .init(#"x{2,1}"#, "invalid repeat count: `{2,1}`"),
        .init(#"x{9876543210}"#, "invalid repeat count: `{9876543210}`"),
        .init(#"x{1,9876543210}"#, "invalid repeat count: `{1,9876543210}`"),
        .init(#"(a{1000}){1000}"#, "invalid repeat count: `{1000}`"),
        .init(#"(?:[a-z]{4}){0,251}"#, "invalid repeat count: `{0,251}`"),
        .init(#"((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})"#, "invalid repeat count: `{2}`"),
        .init(#"(?=a)"#, "invalid or unsupported Perl syntax: `(?=`"),
        .init(#"(?!a)"#, "invalid or unsupported Perl syntax: `(?!`"),
        .init(#"(?<=a)b"#, "invalid or unsupported Perl syntax: `(?<=`"),
        .init(#"(?<!a)b"#, "invalid or unsupported Perl syntax: `(?<!`"),
        .init(#"(?>a)"#, "invalid or unsupported Perl syntax: `(?>`"),
        .init(#"(?#comment)"#, "invalid or unsupported Perl syntax: `(?#`"),
        .init(#"(?P=name)"#, "invalid or unsupported Perl syntax: `(?P`"),
        .init(#"(?'name'a)"#, "invalid or unsupported Perl syntax: `(?'`"),
        .init(#"(?i"#, "invalid or unsupported Perl syntax: `(?i`"),
        .init(#"(?z)"#, "invalid or unsupported Perl syntax: `(?z`"),
        .init(#"(?-)"#, "invalid or unsupported Perl syntax: `(?-)`"),
        .init(#"(?i-)"#, "invalid or unsupported Perl syntax: `(?i-)`"),
        .init(#"(?i--s)"#, "invalid or unsupported Perl syntax: `(?i--`"),
        .init(#"(?P<x y>a)"#, "invalid named capture: `(?P<x y>`"),
        .init(#"(?P<>a)"#, "invalid named capture: `(?P<>`"),
        .init(#"(?<>a)"#, "invalid named capture: `(?<>`"),
        .init(#"(?P<name"#, "invalid named capture: `(?P<name`"),
        .init(#"(?<name"#, "invalid named capture: `(?<name`"),
        .init(#"\p"#, #"invalid character class range: `\p`"#),
        .init(#"\p{L"#, #"invalid character class range: `\p{L`"#),
        .init(
            #"\pX"#,
            #"invalid character class range: `\pX` (unknown Unicode class: general categories such as L, Lu or Nd "#
                + "are supported, scripts such as Greek are not)"),
        .init(
            #"[\P{Greek}]"#,
            #"invalid character class range: `\P{Greek}` (unknown Unicode class: general categories such as L, "#
                + "Lu or Nd are supported, scripts such as Greek are not)"),
    ]

    @Test(arguments: errorCases)
    func refusesWhatGoRefuses(_ c: RegexErrorCase) {
        #expect(Self.syntaxError(c.pattern) == c.message)
    }

    @Test func errorDescriptionIsTheMessage() {
        let error = RegexSyntaxError("invalid escape sequence", #"\y"#)
        #expect(error.description == #"invalid escape sequence: `\y`"#)
        #expect("\(error)" == error.message)
    }

    // MARK: Character sets, compared with Go's parse dumps

    @Test func setsAreGos() throws {
        #expect(
            try Self.sets(#"\pZ"#) == [
                [
                    0x20, 0x20, 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F, 0x202F,
                    0x205F, 0x205F, 0x3000, 0x3000,
                ]
            ])
        #expect(try Self.sets(#"\s"#) == [[0x9, 0xA, 0xC, 0xD, 0x20, 0x20]])
        #expect(try Self.sets(#"\S"#) == [[0x0, 0x8, 0xB, 0xB, 0xE, 0x1F, 0x21, 0x10FFFF]])
        #expect(try Self.sets(#"\W"#) == [[0x0, 0x2F, 0x3A, 0x40, 0x5B, 0x5E, 0x60, 0x60, 0x7B, 0x10FFFF]])
        let foldedWord: [UInt32] = [0x30, 0x39, 0x41, 0x5A, 0x5F, 0x5F, 0x61, 0x7A, 0x17F, 0x17F, 0x212A, 0x212A]
        #expect(try Self.sets(#"(?i)\w"#) == [foldedWord])
        #expect(
            try Self.sets(#"(?i)\W"#) == [
                [
                    0x0, 0x2F, 0x3A, 0x40, 0x5B, 0x5E, 0x60, 0x60, 0x7B, 0x17E, 0x180, 0x2129, 0x212B, 0x10FFFF,
                ]
            ])
        #expect(try Self.sets(#"(?i)[[:lower:]]"#) == [[0x41, 0x5A, 0x61, 0x7A, 0x17F, 0x17F, 0x212A, 0x212A]])
        let notLower: [UInt32] = [0x0, 0x40, 0x5B, 0x60, 0x7B, 0x17E, 0x180, 0x2129, 0x212B, 0x10FFFF]
        #expect(try Self.sets(#"(?i)[^[:lower:]]"#) == [notLower])
        #expect(try Self.sets(#"(?i)[[:^lower:]]"#) == [notLower])
        #expect(try Self.sets(#"(?i)\p{ascii}"#) == [[0x0, 0x7F, 0x17F, 0x17F, 0x212A, 0x212A]])
        #expect(try Self.sets(#"[\012-\234]"#) == [[0xA, 0x9C]])
        #expect(try Self.sets(#"[α-ε☺]"#) == [[0x3B1, 0x3B5, 0x263A, 0x263A]])
        #expect(try Self.sets(#"[^\\]"#) == [[0x0, 0x5B, 0x5D, 0x10FFFF]])
        #expect(try Self.sets(#"\p{^Any}"#) == [[]])
        #expect(try Self.sets(#"[\s\S]"#) == [[0x0, 0x10FFFF]])
        #expect(try Self.sets(#"(?i)k"#) == [[0x4B, 0x4B, 0x6B, 0x6B, 0x212A, 0x212A]])
    }

    @Test func caseFoldingOrbitsAreGos() {
        func orbit(_ c: UInt32) -> [UInt32] { RegexCaseFolding.orbit(of: c).sorted() }
        #expect(orbit(0x6B) == [0x4B, 0x6B, 0x212A])  // k K KELVIN SIGN
        #expect(orbit(0x73) == [0x53, 0x73, 0x17F])  // s S LONG S
        #expect(orbit(0x3C3) == [0x3A3, 0x3C2, 0x3C3])  // Σ ς σ
        #expect(orbit(0x3B8) == [0x398, 0x3B8, 0x3D1, 0x3F4])  // Θ θ ϑ ϴ
        #expect(orbit(0xB5) == [0xB5, 0x39C, 0x3BC])  // µ Μ μ
        #expect(orbit(0x3B9) == [0x345, 0x399, 0x3B9, 0x1FBE])  // ͅ Ι ι ι
        #expect(orbit(0x1C5) == [0x1C4, 0x1C5, 0x1C6])  // Ǆ ǅ ǆ
        #expect(orbit(0xDF) == [0xDF, 0x1E9E])  // ß ẞ
        #expect(orbit(0x69) == [0x49, 0x69])
        #expect(orbit(0x130) == [0x130])
        #expect(orbit(0x131) == [0x131])
        #expect(orbit(0x31) == [0x31])
    }

    // MARK: Limits

    @Test func patternLength() throws {
        #expect(try LinearRegex(String(repeating: "a", count: LinearRegex.maxPatternLength)).programSize == 1001)
        #expect(
            Self.syntaxError(String(repeating: "a", count: LinearRegex.maxPatternLength + 1))
                == "expression too long: 1001 characters, at most 1000 allowed")
        // Counted in scalars, not bytes or graphemes.
        #expect(Self.syntaxError(String(repeating: "é", count: 1000)) == nil)
        #expect(Self.syntaxError(String(repeating: "e\u{301}", count: 501)) != nil)
    }

    @Test func programSize() throws {
        #expect(try LinearRegex("a").programSize == 2)
        #expect(try LinearRegex("a|b").programSize == 5)  // split, a, jump, b, match
        #expect(try LinearRegex("a*").programSize == 4)
        #expect(try LinearRegex("a{2,4}").programSize == 7)  // a a split a split a match
        #expect(try LinearRegex(#"\pL{1000}"#).programSize == 1001)
        #expect(try LinearRegex("(?:abcdefghi){1000}").programSize == 9001)
        let tooLarge = "expression too large: it compiles to more than 10000 instructions"
        #expect(Self.syntaxError("(?:abcdefghij){1000}") == tooLarge)
        #expect(Self.syntaxError("(?:a{1000}){1}" + String(repeating: "b{1000}", count: 9)) == tooLarge)
        // Refused from the computed size, before any instruction is built: this one would need
        // almost a million.
        #expect(Self.syntaxError("(?:" + String(repeating: "a", count: 990) + "){1000}") == tooLarge)
        #expect(Self.syntaxError("(?:(?:ab){1000}|c){1000}") == "invalid repeat count: `{1000}`")
    }

    @Test func nestingDepth() throws {
        let deepest = String(repeating: "(", count: 100) + "a" + String(repeating: ")", count: 100)
        #expect(try Self.search(deepest, "xay"))
        let starred = String(repeating: "(?:", count: 100) + "a" + String(repeating: ")*", count: 100)
        #expect(try Self.search("^" + starred + "$", "aaaa"))
        let tooDeep = "expression nests too deeply: more than 100 nested groups"
        #expect(Self.syntaxError(String(repeating: "(", count: 101) + String(repeating: ")", count: 101)) == tooDeep)
        // Unbalanced and as deep as the length limit allows: refused, no stack overflow.
        #expect(Self.syntaxError(String(repeating: "(", count: 1000)) == tooDeep)
        #expect(Self.syntaxError(String(repeating: "(?i:", count: 250)) == tooDeep)
        #expect(Self.syntaxError(String(repeating: "(", count: 100_000)) != nil)
    }

    // MARK: Linear time and fuel

    @Test func nestedPlusIsLinear() throws {
        let regex = try LinearRegex("^(a+)+$")
        let text = String(repeating: "a", count: 10_000) + "!"
        let (matched, fuel) = try Self.fuelUsed(regex, text)
        #expect(!matched)
        #expect(fuel <= 10_002 * regex.programSize)  // each instruction at most once per position
        #expect(fuel < 50 * 10_001 * regex.programSize)
        #expect(try Self.fuelUsed(regex, String(repeating: "a", count: 10_000)).matched)
    }

    @Test func redundantAlternationIsLinear() throws {
        let regex = try LinearRegex("(a|a)*b")
        let text = String(repeating: "a", count: 10_000)
        let (matched, fuel) = try Self.fuelUsed(regex, text)
        #expect(!matched)
        #expect(fuel <= 10_001 * regex.programSize)
        #expect(try Self.fuelUsed(regex, text + "b").matched)
    }

    @Test func doublePlusIsLinear() throws {
        let regex = try LinearRegex("(x+x+)+y")
        let text = String(repeating: "x", count: 5_000)
        let (matched, fuel) = try Self.fuelUsed(regex, text)
        #expect(!matched)
        #expect(fuel <= 5_001 * regex.programSize)
        #expect(try Self.fuelUsed(regex, text + "y").matched)
    }

    @Test func optionalsThenRequiredIsLinear() throws {
        // (a?){n}a{n} on a^n: exponential for backtrackers.
        let regex = try LinearRegex("^(?:a?){500}a{500}$")
        let text = String(repeating: "a", count: 500)
        let (matched, fuel) = try Self.fuelUsed(regex, text)
        #expect(matched)
        #expect(fuel <= 501 * regex.programSize)
        #expect(try !Self.fuelUsed(regex, String(repeating: "a", count: 1001)).matched)
    }

    @Test func emptyLoopsTerminate() throws {
        for pattern in ["(a*)*", "(|a)*", "(a*)+", "(?:a*|b)*", "(?:(?:)*)*", #"(?:\b)*"#, "(?:^|$)*"] {
            let regex = try LinearRegex(pattern)
            #expect(try Self.fuelUsed(regex, "").matched, "\(pattern)")
            #expect(try Self.fuelUsed(regex, String(repeating: "ab", count: 1000)).matched, "\(pattern)")
        }
        let anchored = try LinearRegex("^(a*)*$")
        let (matched, fuel) = try Self.fuelUsed(anchored, String(repeating: "a", count: 5_000) + "b")
        #expect(!matched)
        #expect(fuel <= 5_002 * anchored.programSize)
        #expect(try !Self.fuelUsed(try LinearRegex("^(|a)*$"), String(repeating: "a", count: 5_000) + "b").matched)
    }

    @Test func runningOutOfFuelThrows() throws {
        let regex = try LinearRegex("a*b")
        let text = String(repeating: "a", count: 1_000)
        var fuel = 100
        #expect(throws: RegexOutOfFuel.self) { try regex.matches(text, fuel: &fuel) }
        #expect(fuel == 0)
        fuel = 0
        #expect(throws: RegexOutOfFuel()) { try regex.matches("b", fuel: &fuel) }
    }

    @Test func fuelIsChargedPerStep() throws {
        let regex = try LinearRegex("b")
        var fuel = 1_000
        #expect(try regex.matches("aab", fuel: &fuel))
        let used = 1_000 - fuel
        #expect(used > 0 && used <= 4 * regex.programSize)
        // Exactly enough fuel is enough.
        var exact = used
        #expect(try regex.matches("aab", fuel: &exact))
        #expect(exact == 0)
        // An anchored pattern stops at the first position where no thread is left.
        let anchored = try LinearRegex("^ab")
        let (matched, spent) = try Self.fuelUsed(anchored, "ax" + String(repeating: "y", count: 10_000))
        #expect(!matched)
        #expect(spent < 10)
    }

    @Test func regexIsAValue() throws {
        let regex = try LinearRegex("(?i)hello")
        #expect(regex.pattern == "(?i)hello")
        let copy = regex
        var fuel = 100
        #expect(try copy.matches("say HELLO", fuel: &fuel))
    }
}
