// libFuzzer harness for the .npy reader (Formats/NPY.swift, Formats/NPYHeader.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let array = try? NPY.decode(bytes, name: "fuzz.npy") else { return 0 }
    invariant(array.shape.allSatisfy { $0 >= 0 }, "negative dimension \(array.shape)")
    invariant(array.values.count == array.count, "\(array.values.count) values for shape \(array.shape)")
    invariant(array.values.count <= bytes.count, "more values than bytes")
    if let floats = try? array.float32Values(source: "fuzz.npy") {
        invariant(floats.allSatisfy(\.isFinite), "float32Values let a non-finite value through")
    }
    // What we write, we read back the same.
    if array.dtype == "<f8", array.values.allSatisfy({ !$0.isNaN }) {
        invariant((try? NPY.decode(NPY.encode(array), name: "again")) == array, "float64 round trip")
    }
    return 0
}
