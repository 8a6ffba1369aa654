import JSON

extension Validator {

    mutating func applyItems(_ rules: ItemRules, _ items: [JSONValue], _ annotations: inout Annotations?) -> Bool {
        var valid = true
        for (position, item) in items.enumerated() {
            let itemValid: Bool
            if position < rules.prefix.count {
                itemValid = descend(rules.prefix[position], item, at: .index(position), keyword: .key(rules.prefixKeyword), .index(position))
            } else if let rest = rules.rest {
                if program.nodes[rest].constant == false {
                    fail(rules.restKeyword, "must have at most \(rules.prefix.count) items, has \(items.count)")
                    return false
                }
                itemValid = descend(rest, item, at: .index(position), keyword: .key(rules.restKeyword))
            } else {
                break
            }
            if !itemValid {
                valid = false
                if !continuesAfterFailure { return false }
            }
        }
        if let previous = annotations?.evaluatedPrefix {
            annotations?.evaluatedPrefix = max(previous, min(items.count, rules.prefix.count))
        }
        if rules.rest != nil && items.count > rules.prefix.count { annotations?.allItems = true }
        return valid
    }

    mutating func applyContains(_ schema: NodeID, minimum: Int, maximum: Int?, _ items: [JSONValue], _ annotations: inout Annotations?) -> Bool {
        var matches = 0
        for (position, item) in items.enumerated() {
            let matched = silently { $0.descend(schema, item, at: .index(position), keyword: .key("contains")) }
            if matched {
                matches += 1
                annotations?.containedItems.insert(position)
            }
            if annotations == nil, matches >= minimum, maximum == nil { break }
        }
        if matches < minimum {
            fail("contains", "must contain at least \(minimum) matching item\(minimum == 1 ? "" : "s"), found \(matches)")
            return false
        }
        if let maximum, matches > maximum {
            fail("contains", "must contain at most \(maximum) matching item\(maximum == 1 ? "" : "s"), found \(matches)")
            return false
        }
        return true
    }

    mutating func applyUnevaluatedItems(_ schema: NodeID, _ items: [JSONValue], _ annotations: inout Annotations?) -> Bool {
        var valid = true
        for (position, item) in items.enumerated() where !(annotations?.isItemEvaluated(position) ?? false) {
            if program.nodes[schema].constant == false {
                instancePath.append(.index(position))
                fail("unevaluatedItems", "unexpected item (no keyword evaluated it)")
                instancePath.removeLast()
                valid = false
            } else if !descend(schema, item, at: .index(position), keyword: .key("unevaluatedItems")) {
                valid = false
            }
            if !valid && !continuesAfterFailure { return false }
        }
        if valid { annotations?.allItems = true }
        return valid
    }
}
