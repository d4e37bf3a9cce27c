import Foundation
import PluginAPI

/// The runtime's plugin-facing interface and the plugin check built on it (docs/ARCHITECTURE.md,
/// "Compatibility").
///
/// Two uses. `digest` names the interface from the modules' symbol graphs:
/// `PluginABI.runtimeBuildID`, compiled into every plugin, must equal the digest of the runtime
/// it is built with (a test fails otherwise, giving the new value), so any public change changes
/// the id. And before a plugin is opened, the runtime symbols it imports are looked up in the
/// library's exports: a plugin built against an older runtime gets the designed mismatch
/// message, never dlopen's "undefined symbol".
public enum RuntimeInterface {
    /// Input to `digest` that is not a symbol graph.
    public struct NotASymbolGraph: Error {}

    /// The runtime's modules as they appear in mangled names (length, then name).
    public static let moduleManglings = ["9PluginAPI", "7Formats", "6Engine", "8Datasets", "5Plots", "7Kernels", "13KernelSupport", "14KernelsGeneric", "11KernelsAVX2", "13KernelsAVX512"]

    /// A Swift symbol that belongs to the runtime's modules.
    public static func isRuntimeSymbol(_ name: String) -> Bool {
        name.hasPrefix("$s") && moduleManglings.contains { name.contains($0) }
    }

    /// "pluginapi-" and 16 hex digits: FNV-1a (64 bit) over the runtime's interface as its symbol
    /// graphs give it (`swift-symbolgraph-extract -minimum-access-level private` on the built
    /// modules: PluginAPI, Formats, Engine, Datasets, Plots, Kernels and KernelSupport), one line per declaration, sorted: every
    /// public or open declaration, and every stored property, whatever its access, of a public
    /// struct or class (a plugin compiled against the module lays those out itself). Function
    /// bodies and internal declarations do not count, so the id changes with the interface and
    /// nothing else. (The library's exported symbols would not do: cross-module optimisation
    /// exports internal symbols too, and a clean build exported 3,055 where an incremental one
    /// exported 2,181.)
    public static func digest(symbolGraphs: [Data]) throws -> String {
        var lines: [String] = []
        for graph in symbolGraphs {
            guard let object = try JSONSerialization.jsonObject(with: graph) as? [String: Any],
                  let symbols = object["symbols"] as? [[String: Any]] else {
                throw NotASymbolGraph()
            }
            func access(_ s: [String: Any]) -> String { s["accessLevel"] as? String ?? "" }
            func path(_ s: [String: Any]) -> [String] { s["pathComponents"] as? [String] ?? [] }
            func kind(_ s: [String: Any]) -> String { (s["kind"] as? [String: Any])?["identifier"] as? String ?? "" }
            func declaration(_ s: [String: Any]) -> String {
                ((s["declarationFragments"] as? [[String: Any]]) ?? []).compactMap { $0["spelling"] as? String }.joined()
            }
            let publicTypes = Set(symbols.filter { ["public", "open"].contains(access($0)) && ["swift.struct", "swift.class"].contains(kind($0)) }
                                        .map { path($0) })
            for symbol in symbols {
                let text = declaration(symbol), parts = path(symbol)
                let exposed = ["public", "open"].contains(access(symbol))
                let storedInPublicType = kind(symbol) == "swift.property" && !text.contains("{ get") && publicTypes.contains(Array(parts.dropLast()))
                guard exposed || storedInPublicType else { continue }
                let precise = (symbol["identifier"] as? [String: Any])?["precise"] as? String ?? parts.joined(separator: ".")
                lines.append("\(precise) \(access(symbol)) \(text)")
            }
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for line in lines.sorted() {
            for byte in line.utf8 + [UInt8(ascii: "\n")] { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
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
