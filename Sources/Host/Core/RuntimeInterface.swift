import Foundation
import PluginAPI

/// The runtime library's plugin-facing interface, read from its exported Swift symbols: every
/// public function, type, property and initialiser has one, named by its full signature, so a
/// changed signature changes a name (docs/ARCHITECTURE.md, "Compatibility").
///
/// Two uses. `digest` names the interface: `PluginABI.runtimeBuildID`, compiled into every
/// plugin, must equal the digest of the runtime it is built with (a test fails otherwise, giving
/// the new value), so any public change changes the id. And before a plugin is opened, the
/// runtime symbols it imports are looked up in the runtime's exports: a plugin built against an
/// older runtime gets the designed mismatch message, never dlopen's "undefined symbol".
public enum RuntimeInterface {
    /// The runtime's modules as they appear in mangled names (length, then name).
    public static let moduleManglings = ["9PluginAPI", "7Kernels", "13KernelSupport", "14KernelsGeneric", "11KernelsAVX2", "13KernelsAVX512"]

    /// A Swift symbol that belongs to the runtime's modules.
    public static func isRuntimeSymbol(_ name: String) -> Bool {
        name.hasPrefix("$s") && moduleManglings.contains { name.contains($0) }
    }

    /// "pluginapi-" and 16 hex digits: FNV-1a (64 bit) over the sorted exported Swift symbols,
    /// one per line.
    public static func digest(exports: Set<String>) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for name in exports.filter({ $0.hasPrefix("$s") }).sorted() {
            for byte in name.utf8 + [UInt8(ascii: "\n")] { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        let hex = String(hash, radix: 16)
        return "pluginapi-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The runtime symbols `plugin` imports that `runtime` does not export, sorted.
    public static func missingImports(of plugin: ELFSymbols, runtime: ELFSymbols) -> [String] {
        plugin.undefined.filter { isRuntimeSymbol($0) && !runtime.defined.contains($0) }.sorted()
    }

    /// The file of the runtime library loaded in this process: the mapping of /proc/self/maps
    /// that holds the runtime's anchor symbol (Glibc's dladdr is not visible to Swift).
    public static var libraryPath: String? {
        guard let handle = dlopen(nil, RTLD_NOW), let anchor = dlsym(handle, PluginABI.Symbol.runtimeAnchor),
              let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return nil }
        // (String(contentsOfFile:) stops after the first page of a /proc file.)
        let maps = String(decoding: data, as: UTF8.self)
        let address = UInt(bitPattern: anchor)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, let dash = fields[0].firstIndex(of: "-"),
                  let start = UInt(fields[0][..<dash], radix: 16), let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16),
                  start <= address, address < end else { continue }
            return fields[5...].joined(separator: " ")
        }
        return nil
    }

    /// The loaded runtime's symbols, read once (nil when its file cannot be read: the import
    /// check is then skipped and dlopen's own message stands).
    public static let loaded: ELFSymbols? = libraryPath.flatMap { try? ELFSymbols.read(path: $0) }

    /// A symbol as Swift source would write it, through the Swift runtime's demangler.
    public static func demangle(_ symbol: String) -> String {
        typealias Demangle = @convention(c) (UnsafePointer<CChar>?, Int, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int>?, UInt32) -> UnsafeMutablePointer<CChar>?
        guard let handle = dlopen(nil, RTLD_NOW), let function = dlsym(handle, "swift_demangle") else { return symbol }
        let demangle = unsafeBitCast(function, to: Demangle.self)
        return symbol.withCString { text in
            guard let result = demangle(text, strlen(text), nil, nil, 0) else { return symbol }
            defer { free(result) }
            return String(cString: result)
        }
    }
}
