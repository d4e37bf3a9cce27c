import Foundation
import HostKit
import PluginAPI
import XCTest

/// Compatibility by construction: the runtime id follows the exported interface, and a plugin
/// built against another runtime is refused with the designed message before it is opened.
final class RuntimeInterfaceTests: XCTestCase {
    func runtime() throws -> (path: String, symbols: ELFSymbols) {
        let path = try XCTUnwrap(RuntimeInterface.libraryPath)
        XCTAssertTrue(path.hasSuffix("libPluginAPI.so"), path)
        return (path, try XCTUnwrap(RuntimeInterface.loaded))
    }

    /// Our reader gives the same exports and imports as binutils' nm.
    func testTheELFReaderAgreesWithNm() throws {
        let (path, symbols) = try runtime()
        guard let nm = TestSupport.tool("nm") else { throw XCTSkip("nm is not installed") }
        func names(_ flag: String) throws -> Set<String> {
            let out = try TestSupport.run(nm, ["-D", flag, "--format=posix", path]).stdout
            return Set(out.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                guard fields.count >= 2, !["w", "v"].contains(fields[1]) || flag == "--undefined-only" else { return nil }
                return String(fields[0].split(separator: "@").first ?? fields[0])
            })
        }
        XCTAssertTrue(symbols.defined.contains(PluginABI.Symbol.runtimeAnchor))
        XCTAssertGreaterThan(symbols.defined.filter(RuntimeInterface.isRuntimeSymbol).count, 1000)
        XCTAssertEqual(symbols.undefined, try names("--undefined-only"))
        XCTAssertTrue(try names("--defined-only").subtracting(symbols.defined).allSatisfy { !$0.hasPrefix("$s") })
    }

    /// Truncated and damaged libraries are errors, never reads outside the file.
    func testDamagedFilesAreRefusedNotReadPast() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try runtime().path)).prefix(1 << 16))
        for length in [0, 3, 16, 63, 64, 100, 4096] {
            XCTAssertThrowsError(try ELFSymbols.parse(Data(bytes.prefix(length))), "length \(length)")
        }
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            var damaged = bytes
            for _ in 0..<8 { damaged[Int(generator.next() % UInt64(min(damaged.count, 128)))] = UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? ELFSymbols.parse(Data(damaged))
        }
        XCTAssertThrowsError(try ELFSymbols.parse(Data("not a library".utf8)))
        // The fuzzer's kept findings and its seed (scripts/fuzz.sh elf).
        let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/fuzz"
        for name in try FileManager.default.contentsOfDirectory(atPath: fuzz + "/regressions/elf") {
            if let symbols = try? ELFSymbols.parse(try Data(contentsOf: URL(fileURLWithPath: fuzz + "/regressions/elf/" + name))) {
                XCTAssertFalse(symbols.defined.contains("") || symbols.undefined.contains(""), name)
            }
        }
        let seed = try ELFSymbols.read(path: fuzz + "/corpus/elf/plugin-with-one-import.so")
        XCTAssertEqual(seed, ELFSymbols(defined: ["host_plugin_abi_version", "host_plugin_create"], undefined: ["$s9PluginAPI6conv2dyySiF"]))
    }

    /// The symbol graphs of `modules` in `folder` (their .swiftmodule files), extensions of other
    /// modules' types included, as `RuntimeInterface.digest` reads them.
    static func symbolGraphs(_ modules: [String], in folder: String) throws -> [Data] {
        guard let extract = TestSupport.tool("swift-symbolgraph-extract") else { throw XCTSkip("swift-symbolgraph-extract is not on PATH") }
        let output = TestSupport.temporaryFolder("symbol-graphs")
        var graphs: [Data] = []
        for module in modules {
            let result = try TestSupport.run(extract, ["-module-name", module, "-I", folder, "-target", "\(machine())-unknown-linux-gnu",
                                                       "-output-dir", output, "-minimum-access-level", "private"])
            XCTAssertEqual(result.status, 0, result.stderr)
            // The module's own graph, then its extensions of other modules' types
            // (`PluginAPI@KernelSupport.symbols.json` holds `WorkerPool.runJobs`), by file name.
            let extensions = try FileManager.default.contentsOfDirectory(atPath: output)
                .filter { $0.hasPrefix(module + "@") && $0.hasSuffix(".symbols.json") }.sorted()
            for file in ["\(module).symbols.json"] + extensions {
                graphs.append(try Data(contentsOf: URL(fileURLWithPath: "\(output)/\(file)")))
            }
        }
        return graphs
    }

    static func machine() -> String {
        #if arch(x86_64)
        return "x86_64"
        #else
        return "aarch64"
        #endif
    }

    /// The id compiled into every plugin is the digest of the runtime's interface as built: a
    /// public change that did not update it fails here, naming the value to write.
    func testTheCompiledInIDIsTheDigestOfTheRuntimesInterface() throws {
        let modules = URL(fileURLWithPath: try runtime().path).deletingLastPathComponent().path + "/Modules"
        let digest = try RuntimeInterface.digest(symbolGraphs: try Self.symbolGraphs(["PluginAPI", "Formats", "Engine", "Datasets", "Plots", "Kernels", "KernelSupport"], in: modules))
        XCTAssertEqual(PluginABI.loadedRuntimeBuildID, digest, """
            the runtime's public interface changed: set PluginABI.runtimeBuildID \
            (Sources/PluginAPI/Sources/PluginAPI/Plugin/PluginABI.swift) to "\(digest)"
            """)
    }

    /// A changed public signature, a new public stored property and a new private stored
    /// property of a public struct (its layout) change the digest; a changed function body and a
    /// new internal function do not.
    func testTheDigestFollowsTheInterfaceAndNothingElse() throws {
        guard let swiftc = TestSupport.tool("swiftc") else { throw XCTSkip("swiftc is not on PATH") }
        func digest(_ source: String) throws -> String {
            let folder = TestSupport.temporaryFolder("interface")
            try source.write(toFile: "\(folder)/Source.swift", atomically: true, encoding: .utf8)
            let result = try TestSupport.run(swiftc, ["-emit-module", "-parse-as-library", "-module-name", "PluginAPI", "\(folder)/Source.swift",
                                                      "-emit-module-path", "\(folder)/PluginAPI.swiftmodule"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return try RuntimeInterface.digest(symbolGraphs: try Self.symbolGraphs(["PluginAPI"], in: folder))
        }
        let before = "public struct Layer { public var width: Int; public init(width: Int) { self.width = width } }\npublic func conv2d(_ x: Int) -> Int { x }\n"
        let base = try digest(before)
        XCTAssertEqual(try digest(before), base, "the same source, the same id")
        XCTAssertNotEqual(try digest(before.replacingOccurrences(of: "conv2d(_ x: Int) -> Int { x }", with: "conv2d(_ x: Float) -> Int { Int(x) }")), base)
        XCTAssertNotEqual(try digest(before.replacingOccurrences(of: "public var width: Int;", with: "public var width: Int; public var height = 1;")), base)
        XCTAssertNotEqual(try digest(before.replacingOccurrences(of: "public var width: Int;", with: "public var width: Int; private var cache = 0;")), base,
                          "a private stored property changes the layout plugins compile against")
        XCTAssertEqual(try digest(before.replacingOccurrences(of: "-> Int { x }", with: "-> Int { x + 1 }")), base, "a body is not the interface")
        XCTAssertEqual(try digest(before + "func helper() -> Int { 3 }\n"), base, "an internal function is not the interface")
    }

    /// A plugin importing a runtime function this runtime lacks gets the mismatch message,
    /// not dlopen's "undefined symbol".
    func testAPluginBuiltAgainstAnotherRuntimeIsRefusedBeforeLoading() throws {
        let folder = TestSupport.temporaryFolder("old-runtime")
        let path = try TestSupport.compileBrokenPlugin(failure: 9, name: "OldRuntime", into: folder)
        guard case .failure(let failure) = PluginLoader.load(path: path) else { return XCTFail("it loaded") }
        XCTAssertEqual(failure, .missingRuntimeSymbols(path: path, count: 1, example: "PluginAPI.conv2d(Swift.Int) -> ()"))
        XCTAssertTrue(failure.message.contains("was built against another runtime"), failure.message)
        XCTAssertFalse(failure.message.contains("undefined symbol"), failure.message)
        XCTAssertTrue(failure.hint.contains("rebuild"), failure.hint)
        // Every plugin shipped passes the check.
        for plugin in ["Parity", "ResNet", "SVM", "NNGP", "Autoencoder", "Review"] {
            let library = URL(fileURLWithPath: try XCTUnwrap(RuntimeInterface.libraryPath)).deletingLastPathComponent().path + "/lib\(plugin).so"
            XCTAssertEqual(RuntimeInterface.missingImports(of: try ELFSymbols.read(path: library), runtime: try runtime().symbols), [], plugin)
        }
    }
}
