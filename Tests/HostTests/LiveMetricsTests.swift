import Foundation
import HostKit
import XCTest

/// Metrics written while a run trains: metrics.csv line by line, and TensorBoard's event file,
/// read back by our own decoder and by TensorBoard's `EventAccumulator` (scripts/tensorboard-read.py,
/// with the Python that `TENSORBOARD_PYTHON` names: .ci/run installs tensorboard for it).
final class LiveMetricsTests: XCTestCase {
    /// One TFRecord event: its step and scalars.
    struct Event { var step: Int64?; var fileVersion: String?; var scalars: [(String, Float)] }

    /// Decodes an event file, checking both masked CRC-32Cs of every record.
    static func events(in folder: String) throws -> [Event] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(names.count, 1, "one event file in \(folder)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + (names.first ?? ""))))
        var events: [Event] = [], at = 0
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) } }
        while at < bytes.count {
            guard at + 12 <= bytes.count else { XCTFail("a torn record header at \(at)"); break }
            let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) })
            XCTAssertEqual(u32(at + 8), CRC32C.masked(bytes[at..<at + 8]), "length checksum at \(at)")
            let data = Array(bytes[(at + 12)..<(at + 12 + length)])
            XCTAssertEqual(u32(at + 12 + length), CRC32C.masked(data), "data checksum at \(at)")
            events.append(decodeEvent(data))
            at += 16 + length
        }
        return events
    }

    /// The fields of an `Event` the host writes: step (2), file_version (3), summary (5).
    static func decodeEvent(_ data: [UInt8]) -> Event {
        var event = Event(step: nil, fileVersion: nil, scalars: [])
        for (field, value) in fields(data) {
            switch (field, value) {
            case (2, .varint(let v)): event.step = Int64(bitPattern: v)
            case (3, .bytes(let b)): event.fileVersion = String(decoding: b, as: UTF8.self)
            case (5, .bytes(let summary)):
                for case (1, .bytes(let entry)) in fields(summary) {
                    var tag = "", value: Float = .nan
                    for (f, v) in fields(entry) {
                        if f == 1, case .bytes(let b) = v { tag = String(decoding: b, as: UTF8.self) }
                        if f == 2, case .fixed32(let bits) = v { value = Float(bitPattern: bits) }
                    }
                    event.scalars.append((tag, value))
                }
            default: break
            }
        }
        return event
    }

    enum Value { case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8]) }

    /// A protobuf message's (field, value) pairs.
    static func fields(_ data: [UInt8]) -> [(Int, Value)] {
        var out: [(Int, Value)] = [], i = 0
        func varint() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while i < data.count { let b = data[i]; i += 1; v |= UInt64(b & 0x7F) << shift; shift += 7; if b < 0x80 { break } }
            return v
        }
        while i < data.count {
            let key = varint()
            switch key & 7 {
            case 0: out.append((Int(key >> 3), .varint(varint())))
            case 1: out.append((Int(key >> 3), .fixed64((0..<8).reduce(0) { $0 | UInt64(data[i + $1]) << (8 * UInt64($1)) }))); i += 8
            case 5: out.append((Int(key >> 3), .fixed32((0..<4).reduce(0) { $0 | UInt32(data[i + $1]) << (8 * UInt32($1)) }))); i += 4
            default: let n = Int(varint()); out.append((Int(key >> 3), .bytes(Array(data[i..<i + n])))); i += n
            }
        }
        return out
    }

    /// metrics.csv's rows: step and the named columns' values.
    static func csvRows(_ folder: String) throws -> (columns: [String], rows: [(Int, [Double])]) {
        let lines = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let columns = lines.first.map { $0.dropFirst().map(String.init) } ?? []
        return (columns, lines.dropFirst().map { (Int($0[0]) ?? -1, $0.dropFirst().map { Double($0) ?? .nan }) })
    }

    func testCRC32CCheckValue() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
    }

    func testTheEventFileHoldsEveryRowOfMetricsCSV() throws {
        let work = TestSupport.temporaryFolder("live-metrics")
        let run = try TestSupport.host(["run", "Parity", "train", "--iters", "1500", "--log-every", "100", "--out", "run", "--quiet"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        let events = try Self.events(in: work + "/run")
        XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")
        let (columns, rows) = try Self.csvRows(work + "/run")
        XCTAssertEqual(columns, ["loss", "running_mean_loss"])
        XCTAssertEqual(rows.map(\.0), Array(stride(from: 100, through: 1500, by: 100)))
        let scalars = events.dropFirst()
        XCTAssertEqual(scalars.map { Int($0.step ?? -1) }, rows.map(\.0))
        for (event, row) in zip(scalars, rows) {
            XCTAssertEqual(event.scalars.map(\.0), columns)
            XCTAssertEqual(event.scalars.map(\.1), row.1.map(Float.init), "step \(row.0): the csv's values as float32")
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/run/summary.json"))) as? [String: Any]
        let files = summary?["files"] as? [String] ?? []
        XCTAssertTrue(files.contains { $0.hasPrefix("events.out.tfevents.") }, "\(files)")
    }

    func testTensorBoardsOwnReaderReadsTheCurves() throws {
        guard let python = ProcessInfo.processInfo.environment["TENSORBOARD_PYTHON"] else {
            throw XCTSkip("set TENSORBOARD_PYTHON to a Python with the tensorboard package (.ci/run does) to read the events with TensorBoard's reader")
        }
        let work = TestSupport.temporaryFolder("tensorboard")
        let run = try TestSupport.host(["run", "Parity", "train", "--iters", "800", "--log-every", "100", "--out", "run", "--quiet"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/tensorboard-read.py").path
        let read = try TestSupport.run(python, [script, work + "/run"])
        XCTAssertEqual(read.status, 0, read.stderr)
        let curves = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: [[Double]]], read.stdout)
        let (columns, rows) = try Self.csvRows(work + "/run")
        XCTAssertEqual(Set(curves.keys), Set(columns))
        for (c, column) in columns.enumerated() {
            XCTAssertEqual(curves[column]?.map { Int($0[0]) }, rows.map(\.0), column)
            XCTAssertEqual(curves[column]?.map { Float($0[1]) }, rows.map { Float($0.1[c]) }, "\(column) as TensorBoard reads it")
        }
    }

    func testAKilledRunKeepsTheRowsItLogged() throws {
        let work = TestSupport.temporaryFolder("killed-run")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.hostPath)
        process.arguments = ["run", "Parity", "train", "--iters", "100000000", "--log-every", "200", "--out", "run", "--quiet"]
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // Wait for three rows, then kill the worker that runs the experiment as the OOM killer would.
        let deadline = Date().addingTimeInterval(60)
        var rows = 0
        while Date() < deadline {
            rows = ((try? String(contentsOfFile: work + "/run/metrics.csv", encoding: .utf8)) ?? "").split(separator: "\n").count - 1
            if rows >= 3 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertGreaterThanOrEqual(rows, 3, "metrics.csv grows while the run trains")
        let running = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/run/summary.json"))) as? [String: Any]
        let worker = try XCTUnwrap(running?["process"] as? Int, "the running summary names the worker")
        kill(pid_t(worker), SIGKILL)
        let end = Date().addingTimeInterval(30)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "the host ends when its worker is killed")
        let (columns, kept) = try Self.csvRows(work + "/run")
        XCTAssertEqual(columns, ["loss", "running_mean_loss"])
        XCTAssertGreaterThanOrEqual(kept.count, rows, "every row logged before the kill is kept")
        XCTAssertEqual(kept.map(\.0), (1...kept.count).map { $0 * 200 })
        XCTAssertTrue(kept.allSatisfy { $0.1.count == 2 && $0.1.allSatisfy(\.isFinite) })
        let events = try Self.events(in: work + "/run").dropFirst()
        XCTAssertGreaterThanOrEqual(events.count, rows)
        XCTAssertEqual(Array(events.prefix(kept.count).map { Int($0.step ?? -1) }), Array(kept.map(\.0).prefix(events.count)))
    }
}
