// libFuzzer harness for the ELF dynamic-symbol reader (Sources/Host/Core/ELFSymbols.swift), which
// reads every plugin file before it is opened.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let symbols = try? ELFSymbols.parse(Data(bytes)) else { return 0 }
    invariant(!symbols.defined.contains("") && !symbols.undefined.contains(""), "an empty symbol name")
    invariant((try? ELFSymbols.parse(Data(bytes))) == symbols, "the same bytes read the same")
    return 0
}
