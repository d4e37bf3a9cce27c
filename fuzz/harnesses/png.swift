// libFuzzer harness for PNG decoding (Formats/PNG.swift, Formats/Inflate.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let image = try? PNG.decode(bytes, name: "fuzz.png") else { return 0 }
    invariant(image.pixels.count == image.width * image.height * image.channels, "pixel count")
    if image.pixels.count <= 1 << 16 {
        invariant((try? PNG.decode(PNG.encode(image))) == image, "round trip")
    }
    return 0
}
