import Foundation

/// What the host gives an experiment when it runs: the options, the seed, the thread count,
/// where to write, and where to report progress, metrics, messages and files.
public final class RunContext: @unchecked Sendable {
    /// The plugin being run.
    public let plugin: String
    /// The experiment being run.
    public let experiment: String
    /// Every declared option with the user's value or its default.
    public let options: OptionValues
    /// The run's seed: the same seed gives the same numbers, whatever the thread count.
    public let seed: UInt64
    /// Worker threads the run may use.
    public let threads: Int
    /// The run folder; write files with `artifacts`, not directly.
    public let outputDirectory: String
    /// The progress line: report long work here (a `TrainingLoop` does it for its loop).
    public let progress: ProgressReporter
    /// The run's metrics: rows for `metrics.csv` and final values for `summary.json`.
    public let metrics: MetricsLog
    /// Writes files into the run folder and lists them in `summary.json`.
    public let artifacts: ArtifactWriter
    private let messageSink: (String) -> Void
    private let cancellationCheck: () -> Bool

    /// A context as the host makes it for a run (tests and `ExperimentHarness` make their own): `log`
    /// receives the messages of `log(_:)`, and `isCancelled` answers the property of that name.
    public init(plugin: String, experiment: String, options: OptionValues, seed: UInt64, threads: Int,
                outputDirectory: String, progress: ProgressReporter = SilentProgress(),
                metrics: MetricsLog = MetricsLog(), log: @escaping (String) -> Void = { _ in },
                isCancelled: @escaping () -> Bool = { false }) {
        self.plugin = plugin
        self.experiment = experiment
        self.options = options
        self.seed = seed
        self.threads = threads
        self.outputDirectory = outputDirectory
        self.progress = progress
        self.metrics = metrics
        self.artifacts = ArtifactWriter(folder: outputDirectory, warn: log)
        self.messageSink = log
        self.cancellationCheck = isCancelled
    }

    /// True once the user asked to stop (Ctrl-C): finish the current step and return.
    public var isCancelled: Bool { cancellationCheck() }

    /// Shows a message to the user (on stderr, unless `--quiet`). Plugins never print directly.
    public func log(_ message: String) { messageSink(message) }
}

/// Writes a run's files (plots, images, tables, checkpoints) atomically into its folder and
/// remembers what it wrote.
public final class ArtifactWriter: @unchecked Sendable {
    /// The run folder.
    public let folder: String
    private let lock = NSLock()
    private var _written: [String] = []
    /// Where a plot that could not be rasterised is reported (the run's log).
    private let warn: (String) -> Void

    /// A writer into the run folder `folder` (created with the first file written, if absent).
    public init(folder: String) {
        self.folder = folder
        self.warn = { _ in }
    }

    init(folder: String, warn: @escaping (String) -> Void) {
        self.folder = folder
        self.warn = warn
    }

    /// The paths written so far, relative to the run folder.
    public var written: [String] { lock.lock(); defer { lock.unlock() }; return _written }

    /// The absolute path of a file in the run folder.
    public func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// Writes bytes to `name` (a path relative to the run folder).
    public func write(_ data: Data, to name: String) throws {
        try AtomicFile.write(data, to: path(name))
        lock.lock(); defer { lock.unlock() }
        if !_written.contains(name) { _written.append(name) }
    }

    /// Writes text to `name`. A plot (`name` ending in `.svg`) is also rasterised at twice its
    /// size into a PNG beside it (`loss.svg` gives `loss.png`), listed like every file. The SVG
    /// is written first; a PNG that cannot be made is reported in the run's log and skipped,
    /// never an error of the run.
    public func write(_ text: String, to name: String) throws {
        try write(Data(text.utf8), to: name)
        guard name.lowercased().hasSuffix(".svg") else { return }
        let png = String(name.dropLast(4)) + ".png"
        do {
            try write(Data(PNG.encode(SVGRaster.image(svg: text, scale: 2))), to: png)
        } catch {
            warn("\(name) was written, but not \(png): \(error)")
        }
    }

    /// Writes a CSV table with a header row.
    public func writeCSV(_ name: String, header: [String], rows: [[String]]) throws {
        try write(CSV.encode(header: header, rows: rows), to: name)
    }

    /// Writes an image as a PNG file.
    public func writePNG(_ image: Image, to name: String) throws {
        try write(Data(PNG.encode(image)), to: name)
    }

    /// Writes an array as a NumPy `.npy` file (NumPy's `np.load` reads it).
    public func writeNPY(_ array: NPYArray, to name: String) throws {
        try write(Data(NPY.encode(array)), to: name)
    }

    /// Creates the folder `name` in the run folder for a writer of several files (a checkpoint:
    /// `Module.save(to:)` writes each file atomically), lists it as `name/`, and returns its path.
    public func makeFolder(_ name: String) throws -> String {
        let path = path(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        record(name + "/")
        return path
    }

    /// Lists `name` (a file, or a folder as `name/`) that a writer with its own atomic scheme
    /// put in the run folder (`CheckpointFolders`), so summary.json names it.
    public func record(_ name: String) {
        lock.lock(); defer { lock.unlock() }
        if !_written.contains(name) { _written.append(name) }
    }
}

/// CSV as RFC 4180 writes it: fields with a comma, a quote or a line break are quoted, quotes
/// doubled; and the reader for it.
public enum CSV {
    /// One field, quoted when it must be.
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The header and rows as CSV text, one line each.
    public static func encode(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// The records of CSV text (quoted fields may hold commas, quotes and line breaks).
    public static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false, atFieldStart = true
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"" where atFieldStart: quoted = true; atFieldStart = false
            case ",": record.append(field); field = ""; atFieldStart = true
            case "\n", "\r\n":
                record.append(field); records.append(record); record = []; field = ""; atFieldStart = true
            case "\r": continue
            default: field.append(c); atFieldStart = false
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
