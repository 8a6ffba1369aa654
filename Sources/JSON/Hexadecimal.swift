/// Bytes as lower-case hexadecimal text, two digits each: digests, random tokens and ids.
public enum Hexadecimal {
    public static func text(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `count` bytes from the system's random generator, as text.
    public static func random(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return text((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
