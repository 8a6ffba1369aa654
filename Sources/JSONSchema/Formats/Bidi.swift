/// The Bidi rule of RFC 5893 for internationalized domain names, with bidirectional classes approximated from
/// Unicode blocks and general categories (the standard library does not expose the Bidi_Class property).
enum Bidi {
    enum Class {
        case leftToRight, rightToLeft, arabicLetter, europeanNumber, arabicNumber, nonspacingMark, other
    }

    static func bidiClass(_ scalar: Unicode.Scalar) -> Class {
        let value = scalar.value
        let category = scalar.properties.generalCategory
        if category == .nonspacingMark || category == .enclosingMark { return .nonspacingMark }
        switch value {
        case 0x30...0x39, 0x06F0...0x06F9, 0xB2, 0xB3, 0xB9: return .europeanNumber
        case 0x0660...0x0669, 0x066B, 0x066C: return .arabicNumber
        case 0x0590...0x05FF, 0x07C0...0x085F, 0xFB1D...0xFB4F: return .rightToLeft
        case 0x0600...0x07BF, 0x0860...0x08FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF: return .arabicLetter
        default: break
        }
        switch category {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spacingMark:
            return .leftToRight
        default:
            return .other
        }
    }

    static func satisfiesRule(_ labels: [[Unicode.Scalar]]) -> Bool {
        let classes = labels.map { $0.map(bidiClass) }
        // The rule applies only to domain names with a right-to-left label.
        let isBidiDomain = classes.contains { $0.contains { [.rightToLeft, .arabicLetter, .arabicNumber].contains($0) } }
        guard isBidiDomain else { return true }
        for label in classes {
            guard let first = label.first else { continue }
            let trimmed = label.reversed().drop { $0 == .nonspacingMark }
            guard let last = trimmed.first else { return false }
            switch first {
            case .rightToLeft, .arabicLetter:
                guard !label.contains(.leftToRight) else { return false }
                guard [.rightToLeft, .arabicLetter, .europeanNumber, .arabicNumber].contains(last) else { return false }
                guard !(label.contains(.europeanNumber) && label.contains(.arabicNumber)) else { return false }
            case .leftToRight:
                guard !label.contains(where: { [.rightToLeft, .arabicLetter, .arabicNumber].contains($0) }) else { return false }
                guard last == .leftToRight || last == .europeanNumber else { return false }
            default:
                return false
            }
        }
        return true
    }
}
