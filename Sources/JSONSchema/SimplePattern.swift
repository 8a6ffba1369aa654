/// A linear-time matcher for the patterns most schemas use: an optionally anchored sequence of characters,
/// `.`, classes and class escapes, each with an optional quantifier (`^[a-f0-9]{8}-…$`, `^.+$`, `^[a-z_]+$`).
///
/// It simulates the pattern's automaton over the input's code points instead of backtracking, so it is fast and
/// never blows up. Anything else (groups, alternation, assertions, back references) is left to ICU.
struct SimplePattern: Sendable {
    private struct Element: Sendable {
        enum Repetition: Sendable { case once, optional, star }
        let set: CodePointSet
        let repetition: Repetition
    }

    private let elements: [Element]
    private let anchoredAtStart: Bool
    private let anchoredAtEnd: Bool
    /// For each state, the states reachable from it without consuming input (past optional and starred elements).
    private let closures: [StateSet]
    private let isFixedSequence: Bool
    /// The quantified atoms, when an anchored pattern can be matched greedily without ever backtracking.
    private let greedyAtoms: [(set: CodePointSet, minimum: Int, maximum: Int?)]?

    /// Automata larger than this are not worth it; ICU handles them.
    private static let maximumElements = 255

    init?(_ source: String) {
        var parser = Parser(scalars: Array(source.unicodeScalars))
        guard let parsed = parser.parse() else { return nil }
        var elements: [Element] = []
        for (set, minimum, maximum) in parsed.atoms {
            elements += repeatElement(Element(set: set, repetition: .once), count: minimum)
            if let maximum {
                elements += repeatElement(Element(set: set, repetition: .optional), count: maximum - minimum)
            } else {
                elements.append(Element(set: set, repetition: .star))
            }
            if elements.count > Self.maximumElements { return nil }
        }
        self.elements = elements
        anchoredAtStart = parsed.anchoredAtStart
        anchoredAtEnd = parsed.anchoredAtEnd
        var closures = [StateSet](repeating: StateSet(), count: elements.count + 1)
        for state in stride(from: elements.count, through: 0, by: -1) {
            closures[state].insert(state)
            if state < elements.count && elements[state].repetition != .once {
                closures[state].formUnion(closures[state + 1])
            }
        }
        self.closures = closures
        isFixedSequence = elements.allSatisfy { $0.repetition == .once }
        greedyAtoms = parsed.anchoredAtStart && Self.isGreedySafe(parsed.atoms) ? parsed.atoms : nil
    }

    /// Greedy matching is exact when no variable atom can take a character that an atom able to follow it needs:
    /// its set is disjoint from the sets of the atoms up to and including the next mandatory one.
    private static func isGreedySafe(_ atoms: [(set: CodePointSet, minimum: Int, maximum: Int?)]) -> Bool {
        for (index, atom) in atoms.enumerated() where atom.maximum != atom.minimum {
            var next = index + 1
            while next < atoms.count {
                guard atom.set.isDisjoint(with: atoms[next].set) else { return false }
                if atoms[next].minimum > 0 { break }
                next += 1
            }
        }
        return true
    }

    private func matchesGreedily(_ string: String, _ atoms: [(set: CodePointSet, minimum: Int, maximum: Int?)]) -> Bool {
        var scalars = string.unicodeScalars.makeIterator()
        var pending = scalars.next()
        for atom in atoms {
            var count = 0
            while let scalar = pending, count != atom.maximum, atom.set.contains(scalar) {
                count += 1
                pending = scalars.next()
            }
            if count < atom.minimum { return false }
        }
        return !anchoredAtEnd || pending == nil
    }

    func matches(_ string: String) -> Bool {
        if isFixedSequence && anchoredAtStart && anchoredAtEnd { return matchesExactly(string) }
        if let greedyAtoms { return matchesGreedily(string, greedyAtoms) }
        let count = elements.count
        var current = closures[0]
        if current.contains(count) && !anchoredAtEnd { return true }
        for scalar in string.unicodeScalars {
            var next = anchoredAtStart ? StateSet() : closures[0]
            current.forEach { state in
                guard state < count else { return }
                let element = elements[state]
                if element.set.contains(scalar) {
                    next.formUnion(closures[element.repetition == .star ? state : state + 1])
                }
            }
            current = next
            if current.contains(count) && !anchoredAtEnd { return true }
            if current.isEmpty { return false }
        }
        return current.contains(count)
    }

    /// `^…$` with no quantifier that varies: one comparison per code point.
    private func matchesExactly(_ string: String) -> Bool {
        var index = 0
        for scalar in string.unicodeScalars {
            guard index < elements.count, elements[index].set.contains(scalar) else { return false }
            index += 1
        }
        return index == elements.count
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0

        struct Parsed {
            var atoms: [(set: CodePointSet, minimum: Int, maximum: Int?)] = []
            var anchoredAtStart = false
            var anchoredAtEnd = false
        }

        mutating func parse() -> Parsed? {
            var parsed = Parsed()
            if scalars.first == "^" {
                parsed.anchoredAtStart = true
                position = 1
            }
            while position < scalars.count {
                let scalar = scalars[position]
                if scalar == "$" && position == scalars.count - 1 {
                    parsed.anchoredAtEnd = true
                    position += 1
                    break
                }
                guard let set = atom() else { return nil }
                guard let (minimum, maximum) = quantifier() else { return nil }
                parsed.atoms.append((set, minimum, maximum))
            }
            return parsed
        }

        mutating func atom() -> CodePointSet? {
            let scalar = scalars[position]
            position += 1
            switch scalar {
            case ".": return .dot
            case "[": return characterClass()
            case "\\": return escape(inClass: false)
            case "^", "$", "(", ")", "|", "*", "+", "?", "{", "}", "]": return nil
            default: return CodePointSet(ranges: [(scalar.value, scalar.value)])
            }
        }

        /// `(minimum, maximum)`; nil maximum is unbounded. Returns nil for forms left to ICU.
        mutating func quantifier() -> (Int, Int?)? {
            guard position < scalars.count else { return (1, 1) }
            var bounds: (Int, Int?)
            switch scalars[position] {
            case "*": bounds = (0, nil); position += 1
            case "+": bounds = (1, nil); position += 1
            case "?": bounds = (0, 1); position += 1
            case "{":
                position += 1
                guard let low = number() else { return nil }
                var high: Int? = low
                if position < scalars.count, scalars[position] == "," {
                    position += 1
                    high = number()
                }
                guard position < scalars.count, scalars[position] == "}", high.map({ $0 >= low }) ?? true else { return nil }
                position += 1
                bounds = (low, high)
            default:
                return (1, 1)
            }
            // A lazy quantifier matches the same strings; a second quantifier is a syntax error left to ICU.
            if position < scalars.count, scalars[position] == "?" { position += 1 }
            if position < scalars.count, "*+?{".unicodeScalars.contains(scalars[position]) { return nil }
            return bounds
        }

        mutating func number() -> Int? {
            var value: Int?
            while position < scalars.count, scalars[position].isASCIIDigit {
                value = (value ?? 0) * 10 + Int(scalars[position].value - 48)
                guard value! <= 1000 else { return nil }
                position += 1
            }
            return value
        }

        mutating func escape(inClass: Bool) -> CodePointSet? {
            guard position < scalars.count else { return nil }
            let scalar = scalars[position]
            position += 1
            switch scalar {
            case "d": return .digit
            case "D": return CodePointSet.digit.inverted
            case "w": return .word
            case "W": return CodePointSet.word.inverted
            case "s": return .whitespace
            case "S": return CodePointSet.whitespace.inverted
            case "n": return .single("\n")
            case "r": return .single("\r")
            case "t": return .single("\t")
            case "f": return .single("\u{0C}")
            case "v": return .single("\u{0B}")
            case "^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/": return .single(scalar)
            case "-" where inClass: return .single(scalar)
            default: return nil
            }
        }

        mutating func characterClass() -> CodePointSet? {
            var negated = false
            if position < scalars.count, scalars[position] == "^" {
                negated = true
                position += 1
            }
            var ranges: [(UInt32, UInt32)] = []
            var sets: [CodePointSet] = []
            while position < scalars.count, scalars[position] != "]" {
                guard let low = classAtom() else { return nil }
                if position + 1 < scalars.count, scalars[position] == "-", scalars[position + 1] != "]" {
                    position += 1
                    guard let high = classAtom(), let lowValue = low.singleValue, let highValue = high.singleValue, lowValue <= highValue else { return nil }
                    ranges.append((lowValue, highValue))
                } else if let value = low.singleValue {
                    ranges.append((value, value))
                } else {
                    sets.append(low)
                }
            }
            guard position < scalars.count, !ranges.isEmpty || !sets.isEmpty else { return nil }
            position += 1
            var set = CodePointSet(ranges: ranges)
            for other in sets { set = set.union(other) }
            return negated ? set.inverted : set
        }

        mutating func classAtom() -> CodePointSet? {
            let scalar = scalars[position]
            position += 1
            switch scalar {
            case "\\":
                if position < scalars.count, scalars[position] == "b" {
                    position += 1
                    return .single("\u{08}")
                }
                return escape(inClass: true)
            case "[": return nil
            default: return .single(scalar)
            }
        }
    }
}

/// A set of code points as sorted ranges, with a bitmap for ASCII.
struct CodePointSet: Sendable {
    private var ranges: [(UInt32, UInt32)]
    private var negated = false
    private var ascii: (UInt64, UInt64) = (0, 0)

    init(ranges: [(UInt32, UInt32)], negated: Bool = false) {
        self.ranges = ranges
        self.negated = negated
        for (low, high) in ranges where low < 128 {
            for value in low...min(high, 127) {
                if value < 64 { ascii.0 |= 1 << UInt64(value) } else { ascii.1 |= 1 << UInt64(value - 64) }
            }
        }
    }

    static func single(_ scalar: Unicode.Scalar) -> CodePointSet { CodePointSet(ranges: [(scalar.value, scalar.value)]) }
    static let digit = CodePointSet(ranges: [(48, 57)])
    static let word = CodePointSet(ranges: [(48, 57), (65, 90), (95, 95), (97, 122)])
    static let whitespace = CodePointSet(ranges: [
        (9, 13), (32, 32), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F),
        (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF),
    ])
    static let dot = CodePointSet(ranges: [(10, 10), (13, 13), (0x2028, 0x2029)], negated: true)

    var inverted: CodePointSet {
        var copy = self
        copy.negated.toggle()
        return copy
    }

    var singleValue: UInt32? {
        guard !negated, ranges.count == 1, ranges[0].0 == ranges[0].1 else { return nil }
        return ranges[0].0
    }

    /// Union with another set; a negated operand is kept exact by listing the complement's ranges.
    func union(_ other: CodePointSet) -> CodePointSet {
        CodePointSet(ranges: positiveRanges + other.positiveRanges)
    }

    private var positiveRanges: [(UInt32, UInt32)] {
        guard negated else { return ranges }
        var result: [(UInt32, UInt32)] = []
        var next: UInt32 = 0
        for (low, high) in ranges.sorted(by: { $0.0 < $1.0 }) {
            if low > next { result.append((next, low - 1)) }
            next = max(next, high + 1)
        }
        if next <= 0x10FFFF { result.append((next, 0x10FFFF)) }
        return result
    }

    func isDisjoint(with other: CodePointSet) -> Bool {
        for (low, high) in positiveRanges {
            for (otherLow, otherHigh) in other.positiveRanges where low <= otherHigh && otherLow <= high {
                return false
            }
        }
        return true
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        let inside: Bool
        if value < 64 {
            inside = ascii.0 & (1 << UInt64(value)) != 0
        } else if value < 128 {
            inside = ascii.1 & (1 << UInt64(value - 64)) != 0
        } else {
            inside = ranges.contains { $0.0 <= value && value <= $0.1 }
        }
        return inside != negated
    }
}

/// A bit set of up to 256 automaton states, on the stack.
private struct StateSet: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    mutating func formUnion(_ other: StateSet) {
        words.0 |= other.words.0
        words.1 |= other.words.1
        words.2 |= other.words.2
        words.3 |= other.words.3
    }

    private func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
    }

    func contains(_ state: Int) -> Bool { word(state >> 6) & (1 << UInt64(state & 63)) != 0 }

    mutating func insert(_ state: Int) {
        let bit: UInt64 = 1 << UInt64(state & 63)
        switch state >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    func forEach(_ body: (Int) -> Void) {
        for index in 0..<4 {
            var remaining = word(index)
            while remaining != 0 {
                body(index << 6 + remaining.trailingZeroBitCount)
                remaining &= remaining - 1
            }
        }
    }
}
