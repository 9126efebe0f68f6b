import PerkJSON

/// The map of the rule language. Rule contexts are many small maps (a cart item has a dozen
/// fields) read by literal keys, which `OrderedMap` serves without hashing.
public typealias ValueMap = OrderedMap<Value>
