/// What the keywords applied to one instance location evaluated, as `unevaluatedProperties` and
/// `unevaluatedItems` need to know. Only collected when a schema uses those keywords.
struct Annotations {
    var properties: Set<String> = []
    /// Items `0..<evaluatedPrefix` were evaluated (by `prefixItems`/`items`); `allItems` when `items` covered the rest.
    var evaluatedPrefix = 0
    var allItems = false
    /// Items that matched `contains`.
    var containedItems: Set<Int> = []

    mutating func merge(_ other: Annotations) {
        properties.formUnion(other.properties)
        evaluatedPrefix = max(evaluatedPrefix, other.evaluatedPrefix)
        allItems = allItems || other.allItems
        containedItems.formUnion(other.containedItems)
    }

    func isItemEvaluated(_ index: Int) -> Bool {
        allItems || index < evaluatedPrefix || containedItems.contains(index)
    }
}
