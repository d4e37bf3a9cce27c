import Foundation
import PluginAPI
import XCTest

/// Paths and helpers shared by the host's tests: the build products, a way to run the built
/// `host` as a user would, and the deliberately broken plugins compiled on demand.
enum TestSupport {
    /// The folder with the built `host`, `libPluginAPI.so` and `Modules/` (the test binary's own).
    static let products: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = n > 0 ? String(cString: buffer) : CommandLine.arguments[0]
        var folder = (exe as NSString).deletingLastPathComponent
        // The XCTest bundle is a file on Linux, but be tolerant of a bundle folder layout.
        while !FileManager.default.fileExists(atPath: folder + "/libPluginAPI.so"), folder.count > 1 {
            folder = (folder as NSString).deletingLastPathComponent
        }
        return folder
    }()

    static var hostPath: String { products + "/host" }
    static let fixtures = (URL(fileURLWithPath: #filePath).deletingLastPathComponent().path as NSString).appendingPathComponent("Fixtures")

    /// A new empty folder.
    static func temporaryFolder(_ name: String = "host-test") -> String {
        let path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program and waits; `interruptAfter` sends SIGINT after that many seconds.
    static func run(_ program: String, _ arguments: [String], in folder: String? = nil,
                    environment: [String: String] = [:], interruptAfter: Double? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        var env = ProcessInfo.processInfo.environment
        env["HOST_PLUGIN_PATH"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let interruptAfter {
            Thread.sleep(forTimeInterval: interruptAfter)
            kill(process.processIdentifier, SIGINT)
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs the built host.
    static func host(_ arguments: [String], in folder: String? = nil, environment: [String: String] = [:],
                     interruptAfter: Double? = nil) throws -> Result {
        try run(hostPath, arguments, in: folder, environment: environment, interruptAfter: interruptAfter)
    }

    /// A program on PATH.
    static func tool(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Compiles a one-file Swift plugin against the built PluginAPI, as the README shows.
    static func compileSwiftPlugin(_ source: String, module: String, into folder: String) throws -> String {
        try compileSwiftPlugin(atPath: "\(fixtures)/\(source)", module: module, into: folder)
    }

    /// Compiles the plugin source at `path` as the README shows.
    static func compileSwiftPlugin(atPath path: String, module: String, into folder: String) throws -> String {
        guard let swiftc = tool("swiftc") else { throw XCTSkip("swiftc is not on PATH") }
        let output = "\(folder)/lib\(module).so"
        let result = try run(swiftc, ["-emit-library", "-O", "-module-name", module, "-I", products + "/Modules",
                                      "-L", products, "-lPluginAPI", path, "-o", output])
        guard result.status == 0 else { throw CompileError(message: "swiftc failed:\n\(result.stderr)") }
        return output
    }

    /// Compiles `broken_plugin.c` with one failure selected.
    static func compileBrokenPlugin(failure: Int, name: String, into folder: String) throws -> String {
        guard let cc = tool("cc") ?? tool("clang") ?? tool("gcc") else { throw XCTSkip("no C compiler on PATH") }
        let output = "\(folder)/lib\(name).so"
        let result = try run(cc, ["-shared", "-fPIC", "-DFAILURE=\(failure)",
                                  "-DRUNTIME_BUILD_ID=\"\(PluginABI.loadedRuntimeBuildID)\"",
                                  "\(fixtures)/broken_plugin.c", "-o", output])
        guard result.status == 0 else { throw CompileError(message: "cc failed:\n\(result.stderr)") }
        return output
    }

    /// Every file and folder a run left in its folder is listed in its summary.json's `files`
    /// (summary.json aside), as the artifact writer lists what it writes.
    static func assertEveryFileListed(_ folder: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any],
                                    file: file, line: line)
        let listed = Set(try XCTUnwrap(summary["files"] as? [String], file: file, line: line))
        var present = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name != "summary.json" {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
            present.insert(isFolder.boolValue ? name + "/" : name)
        }
        XCTAssertEqual(present.subtracting(listed), [], "written but not listed in summary.json", file: file, line: line)
        XCTAssertEqual(listed.filter { !$0.contains("/") || $0.hasSuffix("/") }.subtracting(present), [], "listed but absent", file: file, line: line)
    }

    struct CompileError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}
