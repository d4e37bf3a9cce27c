import Foundation
import HostKit
import PluginAPI
import XCTest

/// One deliberately broken plugin per stage of the handshake; each must fail with its own
/// message, and the good plugins must still load.
final class LoaderTests: XCTestCase {
    /// A folder holding every broken fixture, compiled once for the whole class.
    static let brokenFolder: Swift.Result<String, Error> = Swift.Result {
        let folder = TestSupport.temporaryFolder("broken-plugins")
        try "this is a text file, not an ELF library\n".write(toFile: "\(folder)/libNotALibrary.so", atomically: true, encoding: .utf8)
        _ = try TestSupport.compileBrokenPlugin(failure: 1, name: "MissingSymbol", into: folder)
        _ = try TestSupport.compileBrokenPlugin(failure: 2, name: "WrongABI", into: folder)
        _ = try TestSupport.compileBrokenPlugin(failure: 3, name: "WrongRuntime", into: folder)
        _ = try TestSupport.compileBrokenPlugin(failure: 4, name: "NullFactory", into: folder)
        _ = try TestSupport.compileSwiftPlugin("NotAPlugin.swift", module: "NotAPlugin", into: folder)
        return folder
    }

    func brokenFolder() throws -> String { try Self.brokenFolder.get() }

    func load(_ name: String) throws -> LoadFailure? {
        switch PluginLoader.load(path: "\(try brokenFolder())/lib\(name).so") {
        case .success: return nil
        case .failure(let failure): return failure
        }
    }

    /// The runtime is one shared library, so the host and a plugin see one copy of every type
    /// and of global state (docs/ARCHITECTURE.md, "One runtime library"): the plugin casts to the
    /// host's `Plugin`, its options to the host's `OptionSpec`, the `MetricsLog` the host made
    /// receives what the plugin logs, and the `PluginError` it throws is the host's type.
    func testAPluginSharesTheHostsTypesAndState() throws {
        let folder = TestSupport.temporaryFolder("shared-runtime")
        _ = try TestSupport.compileSwiftPlugin("Hello.swift", module: "Hello", into: folder)
        let loaded: LoadedPlugin
        switch PluginLoader.load(path: "\(folder)/libHello.so") {
        case .success(let plugin): loaded = plugin
        case .failure(let failure): return XCTFail(failure.message)
        }
        let greet = try XCTUnwrap(loaded.plugin.experiments.first { $0.name == "greet" })
        XCTAssertEqual(greet.options.map(\.name), ["n", "diverge"])
        func context(diverge: Bool) -> RunContext {
            RunContext(plugin: "Hello", experiment: "greet", options: OptionValues(["n": .int(4), "diverge": .bool(diverge)]),
                       seed: 0, threads: 1, outputDirectory: folder)
        }
        let ok = context(diverge: false)
        try XCTUnwrap(greet.train)(ok)
        XCTAssertEqual(ok.metrics.finals.map(\.0), ["sum"])
        XCTAssertEqual(ok.metrics.finals.first?.1, 10)
        XCTAssertThrowsError(try XCTUnwrap(greet.train)(context(diverge: true))) { error in
            XCTAssertEqual((error as? PluginError)?.kind, .diverged, "\(type(of: error)): \(error)")
        }
    }

    func testNotALibrary() throws {
        let failure = try XCTUnwrap(try load("NotALibrary"))
        guard case .notALibrary = failure else { return XCTFail("got \(failure)") }
        XCTAssertTrue(failure.message.contains("libNotALibrary.so"), failure.message)
        XCTAssertTrue(failure.message.contains("not a loadable shared library"), failure.message)
    }

    func testMissingSymbol() throws {
        let failure = try XCTUnwrap(try load("MissingSymbol"))
        XCTAssertEqual(failure, .missingSymbol(path: "\(try brokenFolder())/libMissingSymbol.so", symbol: "host_plugin_runtime_build_id"))
        XCTAssertTrue(failure.message.contains("does not export the C symbol host_plugin_runtime_build_id"), failure.message)
    }

    func testWrongABINamesBothVersions() throws {
        let failure = try XCTUnwrap(try load("WrongABI"))
        XCTAssertEqual(failure, .abiMismatch(path: "\(try brokenFolder())/libWrongABI.so", plugin: 999, host: PluginABI.version))
        XCTAssertTrue(failure.message.contains("plugin ABI 999") && failure.message.contains("plugin ABI \(PluginABI.version)"), failure.message)
    }

    func testWrongRuntimeNamesBothBuilds() throws {
        let failure = try XCTUnwrap(try load("WrongRuntime"))
        XCTAssertEqual(failure, .runtimeMismatch(path: "\(try brokenFolder())/libWrongRuntime.so", plugin: "pluginapi-0.0.1+0",
                                                 host: PluginABI.loadedRuntimeBuildID))
        XCTAssertTrue(failure.message.contains("pluginapi-0.0.1+0") && failure.message.contains(PluginABI.loadedRuntimeBuildID))
        XCTAssertTrue(failure.hint.contains("rebuild"))
    }

    func testFactoryReturningNothing() throws {
        let failure = try XCTUnwrap(try load("NullFactory"))
        XCTAssertEqual(failure, .factoryReturnedNothing(path: "\(try brokenFolder())/libNullFactory.so"))
    }

    func testFactoryReturningSomethingElse() throws {
        let failure = try XCTUnwrap(try load("NotAPlugin"))
        guard case .notAPlugin(_, let typeName) = failure else { return XCTFail("got \(failure)") }
        XCTAssertEqual(typeName, "NotAPlugin.Impostor")
        XCTAssertTrue(failure.message.contains("does not conform to PluginAPI.Plugin"))
    }

    func testEveryFailureHasItsOwnMessage() throws {
        let names = ["NotALibrary", "MissingSymbol", "WrongABI", "WrongRuntime", "NullFactory", "NotAPlugin"]
        let failures = try names.map { try XCTUnwrap(try load($0)) }
        let kinds = Set(failures.map { String(describing: $0).prefix { $0 != "(" } })
        XCTAssertEqual(kinds.count, names.count)
        for failure in failures { XCTAssertFalse(failure.hint.isEmpty) }
    }

    func testListStillShowsGoodPluginsAndExitsZero() throws {
        let result = try TestSupport.host(["list", "--plugins", try brokenFolder()], in: TestSupport.temporaryFolder())
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Parity 0.1.0"), result.stdout)
        for name in ["NotALibrary", "MissingSymbol", "WrongABI", "WrongRuntime", "NullFactory", "NotAPlugin"] {
            XCTAssertTrue(result.stderr.contains("lib\(name).so"), "no warning for \(name): \(result.stderr)")
        }
        XCTAssertFalse(result.stdout.contains("WrongABI"))
    }

    func testRunningABrokenPluginExitsTwoWithItsReason() throws {
        let result = try TestSupport.host(["run", "WrongABI", "--plugins", try brokenFolder()], in: TestSupport.temporaryFolder())
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("plugin ABI 999"), result.stderr)
        XCTAssertTrue(result.stderr.contains("hint:"), result.stderr)
    }

    func testLoadingContinuesAfterASwiftLibraryFailedTheCast() throws {
        // The impostor library is closed after the failed cast; later casts must still work.
        _ = try load("NotAPlugin")
        let result = try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--quiet", "--plugins", try brokenFolder()],
                                          in: TestSupport.temporaryFolder())
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testPluginFoundTwiceIsLoadedOnceWithAWarning() throws {
        let folder = TestSupport.temporaryFolder("dup")
        try FileManager.default.copyItem(atPath: TestSupport.products + "/libParity.so", toPath: folder + "/libParity.so")
        let result = try TestSupport.host(["list", "--plugins", folder], in: TestSupport.temporaryFolder())
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout.components(separatedBy: "Parity 0.1.0").count - 1, 1, result.stdout)
        XCTAssertTrue(result.stderr.contains("plugin Parity found twice: using \(folder)/libParity.so, ignoring"), result.stderr)
    }

    func testSearchPathOrder() {
        let path = PluginCatalog.searchPath(explicit: ["/a", "/b"], environment: ["HOST_PLUGIN_PATH": "/c::/d"], executableFolder: "/exe")
        XCTAssertEqual(path, ["/a", "/b", "/c", "/d", "/exe", "Plugins"])
    }
}
