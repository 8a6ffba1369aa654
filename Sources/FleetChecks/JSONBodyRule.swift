import JSON
import JSONSchema

/// One `assert.json` entry of an `http@1` check: the value at a JSON Pointer in the body, compared with `op`.
struct JSONBodyRule: Sendable {
    enum Operation: String, Sendable {
        case equals = "==", notEquals = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case matches, exists, absent
    }

    let pointer: String
    let operation: Operation
    let value: JSONValue?
    let pattern: Pattern?

    init(_ data: JSONValue) throws(CheckDataError) {
        guard let pointer = data["pointer"]?.stringValue, pointer.isEmpty || pointer.hasPrefix("/") else {
            throw CheckDataError("assert.json: each entry needs a JSON Pointer in pointer (\"\" or starting with /)")
        }
        let name = data["op"]?.stringValue ?? "=="
        guard let operation = Operation(rawValue: name) else { throw CheckDataError("assert.json: unknown op \(name)") }
        self.pointer = pointer
        self.operation = operation
        value = data["value"]
        switch operation {
        case .exists, .absent:
            pattern = nil
        case .matches:
            guard let source = value?.stringValue, let compiled = try? Pattern(source) else {
                throw CheckDataError("assert.json \(pointer): matches needs a valid regular expression in value")
            }
            pattern = compiled
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard value?.numberValue != nil else { throw CheckDataError("assert.json \(pointer): \(name) needs a number in value") }
            pattern = nil
        case .equals, .notEquals:
            guard value != nil else { throw CheckDataError("assert.json \(pointer): \(name) needs a value") }
            pattern = nil
        }
    }

    /// Why `document` breaks this rule, or nil.
    func violation(in document: JSONValue) -> String? {
        let found = JSONPointer.value(at: pointer, in: document)
        let shown = found.map { JSONWriter.string(from: $0) } ?? "nothing"
        let expected = value.map { JSONWriter.string(from: $0) } ?? ""
        let holds: Bool
        switch operation {
        case .exists: holds = found != nil
        case .absent: holds = found == nil
        case .equals: holds = found.map { Self.same($0, value!) } ?? false
        case .notEquals: holds = !(found.map { Self.same($0, value!) } ?? false)
        case .matches: holds = found?.stringValue.map { pattern!.match($0) == .matched } ?? false
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let number = found?.numberValue?.doubleValue, let limit = value?.numberValue?.doubleValue else {
                return "assert.json \(pointer): \(shown) is not a number"
            }
            holds = switch operation {
            case .less: number < limit
            case .lessOrEqual: number <= limit
            case .greater: number > limit
            default: number >= limit
            }
        }
        guard !holds else { return nil }
        switch operation {
        case .exists: return "assert.json \(pointer): not in the body"
        case .absent: return "assert.json \(pointer): in the body (\(shown))"
        case .matches: return "assert.json \(pointer): \(shown) does not match /\(expected.dropFirst().dropLast())/"
        default: return "assert.json \(pointer): \(shown) is not \(operation.rawValue) \(expected)"
        }
    }

    /// Numbers compare by value (`1` equals `1.0`), as JSON Schema's `const` does.
    private static func same(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if let left = lhs.numberValue?.doubleValue, let right = rhs.numberValue?.doubleValue { return left == right }
        return lhs == rhs
    }
}
