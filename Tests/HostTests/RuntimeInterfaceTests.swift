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

    /// The id compiled into every plugin is the digest of the runtime just built: a public
    /// change that did not update it fails here, naming the value to write.
    func testTheCompiledInIDIsTheDigestOfTheRuntimesExports() throws {
        #if DEBUG
        throw XCTSkip("the id is the release build's interface (debug builds export more symbols); run the tests with -c release")
        #else
        let digest = RuntimeInterface.digest(exports: try runtime().symbols.defined)
        XCTAssertEqual(PluginABI.loadedRuntimeBuildID, digest, """
            the runtime's public interface changed: set PluginABI.runtimeBuildID \
            (Sources/PluginAPI/Sources/PluginAPI/Plugin/PluginABI.swift) to "\(digest)"
            """)
        #endif
    }

    /// A public signature changed (an Int parameter became a Float) changes the digest; the
    /// same source built again gives the same one.
    func testAChangedPublicSignatureChangesTheDigest() throws {
        guard let swiftc = TestSupport.tool("swiftc") else { throw XCTSkip("swiftc is not on PATH") }
        let folder = TestSupport.temporaryFolder("interface")
        func digest(_ source: String, _ name: String) throws -> String {
            try source.write(toFile: "\(folder)/\(name).swift", atomically: true, encoding: .utf8)
            let result = try TestSupport.run(swiftc, ["-emit-library", "-O", "-module-name", "PluginAPI", "\(folder)/\(name).swift", "-o", "\(folder)/lib\(name).so"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return RuntimeInterface.digest(exports: try ELFSymbols.read(path: "\(folder)/lib\(name).so").defined)
        }
        let before = "public struct Layer { public var width: Int; public init(width: Int) { self.width = width } }\npublic func conv2d(_ x: Int) -> Int { x }\n"
        let after = before.replacingOccurrences(of: "conv2d(_ x: Int) -> Int { x }", with: "conv2d(_ x: Float) -> Int { Int(x) }")
        let field = before.replacingOccurrences(of: "public var width: Int;", with: "public var width: Int; public var height = 1;")
        XCTAssertEqual(try digest(before, "Before"), try digest(before, "Again"))
        XCTAssertNotEqual(try digest(before, "Before"), try digest(after, "After"))
        XCTAssertNotEqual(try digest(before, "Before"), try digest(field, "Field"), "a new public stored property changes it too")
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
