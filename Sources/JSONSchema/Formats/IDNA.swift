/// The IDNA 2008 rules for a label in Unicode form (RFC 5891 section 5.4, RFC 5892), derived from the Unicode
/// properties the standard library exposes. The Bidi rule (RFC 5893) is not checked.
enum IDNA {
    static func isValidULabel(_ label: [Unicode.Scalar]) -> Bool {
        guard let first = label.first else { return false }
        if label.count >= 4, label[2] == "-", label[3] == "-" { return false }
        if label.first == "-" || label.last == "-" { return false }
        if isCombiningMark(first) { return false }
        for (index, scalar) in label.enumerated() {
            switch scalar.value {
            case 0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007:
                continue  // PVALID exceptions
            case 0x0640, 0x07FA, 0x302E, 0x302F, 0x3031...0x3035, 0x303B:
                return false  // DISALLOWED exceptions
            case 0x00B7:
                guard index > 0, index < label.count - 1, label[index - 1] == "l", label[index + 1] == "l" else { return false }
            case 0x0375:
                guard index < label.count - 1, isGreek(label[index + 1]) else { return false }
            case 0x05F3, 0x05F4:
                guard index > 0, isHebrew(label[index - 1]) else { return false }
            case 0x30FB:
                guard label.contains(where: { $0.value != 0x30FB && isJapanese($0) }) else { return false }
            case 0x0660...0x0669:
                guard !label.contains(where: { (0x06F0...0x06F9).contains($0.value) }) else { return false }
            case 0x06F0...0x06F9:
                guard !label.contains(where: { (0x0660...0x0669).contains($0.value) }) else { return false }
            case 0x200D:
                guard index > 0, label[index - 1].properties.canonicalCombiningClass.rawValue == 9 else { return false }
            case 0x200C:
                // Valid after a virama, or between joining letters; without joining-type data, accept it inside
                // scripts that join (Arabic, Syriac, N'Ko and similar) as well.
                let afterVirama = index > 0 && label[index - 1].properties.canonicalCombiningClass.rawValue == 9
                let joining = label.contains { (0x0600...0x08FF).contains($0.value) || (0xA840...0xA87F).contains($0.value) }
                guard afterVirama || joining else { return false }
            default:
                guard isPValid(scalar) else { return false }
            }
        }
        return true
    }

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    private static func isPValid(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if scalar.isASCII { return scalar.isASCIILetter && properties.isLowercase || scalar.isASCIIDigit || scalar == "-" }
        if properties.changesWhenNFKCCaseFolded || properties.isDefaultIgnorableCodePoint || properties.isNoncharacterCodePoint {
            return false
        }
        // Old Hangul jamo are disallowed.
        if (0x1100...0x11FF).contains(scalar.value) || (0xA960...0xA97F).contains(scalar.value) || (0xD7B0...0xD7FF).contains(scalar.value) {
            return false
        }
        switch properties.generalCategory {
        case .lowercaseLetter, .otherLetter, .modifierLetter, .nonspacingMark, .spacingMark, .decimalNumber: return true
        default: return false
        }
    }

    private static func isGreek(_ scalar: Unicode.Scalar) -> Bool {
        (0x0370...0x03FF).contains(scalar.value) || (0x1F00...0x1FFF).contains(scalar.value)
    }

    private static func isHebrew(_ scalar: Unicode.Scalar) -> Bool {
        (0x0590...0x05FF).contains(scalar.value) || (0xFB1D...0xFB4F).contains(scalar.value)
    }

    private static func isJapanese(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (0x3040...0x309F).contains(value) || (0x30A0...0x30FF).contains(value) || (0x31F0...0x31FF).contains(value)
            || (0x4E00...0x9FFF).contains(value) || (0x3400...0x4DBF).contains(value) || (0x20000...0x2FFFF).contains(value)
            || (0xF900...0xFAFF).contains(value) || value == 0x3005
    }
}
