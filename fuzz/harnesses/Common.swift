// Shared by every harness: the input as bytes, and a check that stops the fuzzer (a crash it
// reports and keeps) when a reader accepted something that breaks its own promises.

/// The fuzzer's input as an array (libFuzzer may pass a null pointer for an empty input).
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops with a message when `condition` is false (`precondition` is compiled out nowhere we
/// build, but this says which invariant broke).
func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant broken: \(message())") }
}
