import Foundation
import PluginAPI

/// Writes a run's logged rows while it runs, so they can be watched and survive a killed run:
/// `metrics.csv` gets a line per new row (the whole file is rewritten, atomically, when a row
/// gains values at the same step, new columns appear or the step column is renamed), and TensorBoard's event file gets an
/// event per row (`tensorboard --logdir runs/` shows every run's curves live). Each write goes
/// to the kernel at once, with no buffer in this process. A failed write stops the live files
/// with one warning; the run goes on, and the final `metrics.csv` is still written at the end.
final class LiveMetrics: @unchecked Sendable {
    let folder: String
    /// The event file's name in the run folder.
    let eventsFileName: String
    private let warn: (String) -> Void
    private var csv: FileHandle?
    private var events: FileHandle?
    private var rows: [MetricsLog.Row] = []
    private var columns: [String] = []
    private var stepName = "step"
    private var failed = false
    /// Whether the event file was written (for summary.json's file list).
    private(set) var wroteEvents = false

    init(folder: String, started: Date, warn: @escaping (String) -> Void) {
        self.folder = folder
        self.eventsFileName = TensorBoardEvents.fileName(time: started, host: Self.hostName())
        self.warn = warn
    }

    /// Takes one change of the run's metrics log (its row observer).
    func record(_ change: MetricsLog.RowChange) {
        guard !failed else { return }
        do {
            if change.joinedLastRow, !rows.isEmpty { rows[rows.count - 1] = change.row } else { rows.append(change.row) }
            columns = change.columns
            let renamed = change.stepName != stepName
            stepName = change.stepName
            if change.joinedLastRow || change.addedColumns || renamed || csv == nil {
                try rewriteCSV()
            } else {
                try append(Data(MetricsLog.csvLine(change.row, columns: columns).utf8), to: csv)
            }
            try writeEvent(step: change.row.step, values: change.row.values)
        } catch {
            failed = true
            close()
            warn("live metrics stopped (\(error)); metrics.csv is written when the run ends")
        }
    }

    /// Closes the files.
    func close() {
        try? csv?.close(); csv = nil
        try? events?.close(); events = nil
    }

    private var csvPath: String { (folder as NSString).appendingPathComponent("metrics.csv") }

    /// Replaces metrics.csv with every row so far and reopens it for appending.
    private func rewriteCSV() throws {
        try? csv?.close()
        try AtomicFile.write(MetricsLog.csvHeader(columns, stepName: stepName) + rows.map { MetricsLog.csvLine($0, columns: columns) }.joined(), to: csvPath)
        csv = try Self.openForAppending(csvPath)
    }

    private func writeEvent(step: Int, values: [(String, Double)]) throws {
        let now = Date().timeIntervalSince1970
        if events == nil {
            let path = (folder as NSString).appendingPathComponent(eventsFileName)
            guard FileManager.default.createFile(atPath: path, contents: Data(TensorBoardEvents.record(TensorBoardEvents.versionEvent(wallTime: now)))) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            events = try Self.openForAppending(path)
            wroteEvents = true
        }
        try append(Data(TensorBoardEvents.record(TensorBoardEvents.scalarEvent(wallTime: now, step: step, values: values))), to: events)
    }

    private func append(_ data: Data, to handle: FileHandle?) throws {
        guard let handle else { return }
        try handle.write(contentsOf: data)
    }

    private static func openForAppending(_ path: String) throws -> FileHandle {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        // Not inherited by processes the worker starts (the crash backtracer).
        _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
        return handle
    }

    /// This machine's short host name, for the event file's name.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(name.prefix { $0 != "." }).filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
    }
}
