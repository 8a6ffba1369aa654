import JSON
extension JSONNumber {
    /// Whether `self` is an integer multiple of `divisor`, decided on the decimal values, so that `19.99` is a
    /// multiple of `0.01` even though neither is exact in binary floating point.
    func isMultiple(of divisor: JSONNumber) -> Bool {
        if case .integer(let value) = self, case .integer(let step) = divisor {
            return step == -1 || value % step == 0
        }
        guard let dividend = Decimal64(self), let step = Decimal64(divisor), step.significand != 0 else {
            return false
        }
        if dividend.significand == 0 { return true }
        // value = a·10^e1, step = b·10^e2. Scale both to the smaller exponent and test divisibility exactly.
        if dividend.exponent >= step.exponent {
            // a·10^k mod b, with k = e1 - e2, by modular exponentiation (no overflow: b < 10^17).
            let modulus = step.significand
            var result = dividend.significand % modulus
            var power = UInt64(10) % modulus
            var k = dividend.exponent - step.exponent
            var factor: UInt64 = 1 % modulus
            while k > 0 {
                if k & 1 == 1 { factor = Self.multiply(factor, power, modulo: modulus) }
                power = Self.multiply(power, power, modulo: modulus)
                k >>= 1
            }
            result = Self.multiply(result, factor, modulo: modulus)
            return result == 0
        }
        // a mod (b·10^k): when b·10^k exceeds a it can only divide a if a is 0 (handled above).
        var scaled = step.significand
        for _ in 0..<(step.exponent - dividend.exponent) {
            let (product, overflow) = scaled.multipliedReportingOverflow(by: 10)
            if overflow { return false }
            scaled = product
        }
        return dividend.significand % scaled == 0
    }

    private static func multiply(_ a: UInt64, _ b: UInt64, modulo m: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        return m.dividingFullWidth((high % m, low)).remainder
    }
}

/// A finite number as `significand · 10^exponent` with the shortest digits that round-trip, sign dropped.
private struct Decimal64 {
    let significand: UInt64
    let exponent: Int

    init?(_ number: JSONNumber) {
        switch number {
        case .integer(let value):
            significand = value.magnitude
            exponent = 0
        case .double(let value), .text(_, let value):
            guard value.isFinite else { return nil }
            // Swift prints the shortest decimal that reads back as the same double: "0.01", "1e-05", "1.5e+300".
            let text = value.magnitude.description
            var digits: UInt64 = 0
            var exponent = 0
            var seenPoint = false
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                if character == "." {
                    seenPoint = true
                } else if character == "e" || character == "E" {
                    guard let power = Int(text[text.index(after: index)...].replacing("+", with: "")) else { return nil }
                    exponent += power
                    break
                } else if let digit = character.wholeNumberValue {
                    digits = digits * 10 + UInt64(digit)
                    if seenPoint { exponent -= 1 }
                }
                index = text.index(after: index)
            }
            while digits != 0 && digits % 10 == 0 {
                digits /= 10
                exponent += 1
            }
            significand = digits
            self.exponent = exponent
        }
    }
}
