import Foundation

/// Collects an experiment's metrics: rows per step or epoch (for `metrics.csv`) and final
/// values (for `summary.json`, the printed table and `--json`). Safe to call from any thread.
public final class MetricsLog: @unchecked Sendable {
    /// One row of `metrics.csv`.
    public struct Row: Sendable {
        /// The step or epoch the values were logged at.
        public var step: Int
        /// The values logged at that step, as (column, value) pairs in the order first logged.
        public var values: [(String, Double)]
    }

    private let lock = NSLock()
    private var _rows: [Row] = []
    private var _columns: [String] = []
    private var _finals: [(String, Double)] = []
    private var _notes: [(String, String)] = []
    private var _undeclared: [String] = []
    private var _stepName = "step"
    /// The metric names the experiment declares (`{}` marks a family, see `MetricSpec.name`);
    /// nil accepts any name (a log outside a run).
    private let declared: [String]?
    private var rowObservers: [(RowChange) -> Void] = []

    /// What one `log(step:_:)` call changed, as an observer sees it.
    public struct RowChange: Sendable {
        /// The row as it now stands.
        public var row: Row
        /// True when the values joined the last row (same step) instead of starting one.
        public var joinedLastRow: Bool
        /// Every column so far, in first-seen order.
        public var columns: [String]
        /// True when the call added columns.
        public var addedColumns: Bool
        /// What the step column counts (`stepName`) when the row was logged.
        public var stepName: String
    }

    /// A log for an experiment declaring the metrics `declared` (nil: any name is accepted).
    public init(declared: [String]? = nil) {
        self.declared = declared
    }

    /// What the rows' step numbers count, the first column's name in `metrics.csv`: "step"
    /// unless the experiment says otherwise ("epoch"). `TrainingLoop` sets it to its unit
    /// (`TrainingUnit.singular`) when it logs, so an experiment rarely sets it itself.
    public var stepName: String {
        get { lock.lock(); defer { lock.unlock() }; return _stepName }
        set { lock.lock(); defer { lock.unlock() }; _stepName = newValue }
    }

    /// Records values at a step or epoch; each key becomes a column of `metrics.csv`. Values
    /// logged again at the step of the last row join that row (a key given twice takes the
    /// later value), so one step is one row however many calls fill it.
    public func log(step: Int, _ values: [(String, Double)]) {
        lock.lock(); defer { lock.unlock() }
        let columnCount = _columns.count
        for (key, _) in values where !_columns.contains(key) { _columns.append(key) }
        let joined: Bool
        if let last = _rows.indices.last, _rows[last].step == step {
            for (key, value) in values {
                if let i = _rows[last].values.firstIndex(where: { $0.0 == key }) { _rows[last].values[i].1 = value } else { _rows[last].values.append((key, value)) }
            }
            joined = true
        } else {
            _rows.append(Row(step: step, values: values))
            joined = false
        }
        if !rowObservers.isEmpty, let row = _rows.last {
            let change = RowChange(row: row, joinedLastRow: joined, columns: _columns, addedColumns: _columns.count > columnCount, stepName: _stepName)
            for observer in rowObservers { observer(change) }
        }
        if Supervision.isSupervised {
            Supervision.send(.row, (["\(_stepName)=\(step)"] + values.map { "\($0.0)=\($0.1)" }).joined(separator: "\t"))
        }
    }

    /// Calls `observer` after every `log(step:_:)`, in order, on the logging thread and under the
    /// log's lock (keep it short; never log from it): the host writes `metrics.csv` and the
    /// TensorBoard events as rows arrive.
    public func observeRows(_ observer: @escaping (RowChange) -> Void) {
        lock.lock(); defer { lock.unlock() }
        rowObservers.append(observer)
    }

    /// Records a final value of a declared metric (a later value for the same name replaces it).
    /// A name the experiment does not declare is kept out of the results and fails the run
    /// when the experiment returns, naming it (`undeclaredFinals`).
    public func final(_ name: String, _ value: Double) {
        lock.lock(); defer { lock.unlock() }
        if let declared, !declared.contains(where: { MetricSpec.name(name, matches: $0) }) {
            if !_undeclared.contains(name) { _undeclared.append(name) }
            return
        }
        if let i = _finals.firstIndex(where: { $0.0 == name }) { _finals[i].1 = value } else { _finals.append((name, value)) }
        Supervision.send(.final, "\(name)=\(value)")
    }

    /// Records a textual finding for `summary.json` (for example which pairs failed and why).
    public func note(_ key: String, _ text: String) {
        lock.lock(); defer { lock.unlock() }
        if let i = _notes.firstIndex(where: { $0.0 == key }) { _notes[i].1 = text } else { _notes.append((key, text)) }
    }

    /// The rows logged so far, one per step, in logging order (the rows of `metrics.csv`).
    public var rows: [Row] { lock.lock(); defer { lock.unlock() }; return _rows }
    /// Every column logged so far, in first-seen order (the columns of `metrics.csv` after the step).
    public var columns: [String] { lock.lock(); defer { lock.unlock() }; return _columns }
    /// The final values recorded so far under declared names, in first-recorded order (a later value
    /// replaces an earlier one in place).
    public var finals: [(String, Double)] { lock.lock(); defer { lock.unlock() }; return _finals }
    /// The notes recorded so far with `note(_:_:)`, in first-recorded order.
    public var notes: [(String, String)] { lock.lock(); defer { lock.unlock() }; return _notes }
    /// Final values given under names the experiment does not declare, in first-seen order.
    public var undeclaredFinals: [String] { lock.lock(); defer { lock.unlock() }; return _undeclared }
    /// The failure of a run (`place`: "Plugin experiment") that gave final values under
    /// undeclared names, naming them; nil when it gave none. The host and `ExperimentHarness`
    /// both end runs with it.
    public func undeclaredFinalsFailure(place: String, plugin: String) -> PluginError? {
        let names = undeclaredFinals
        guard let name = names.first else { return nil }
        let others = names.dropFirst()
        return .failure("\(place) set the metric '\(name)'" + (others.isEmpty ? "" : " (and " + others.map { "'\($0)'" }.joined(separator: ", ") + ")")
                        + ", which the experiment does not declare",
                        hint: "declare it in the experiment's metrics (MetricSpec(\"\(name)\", ...)) or fix the name; this is a bug in the plugin \(plugin)")
    }

    /// Declared metrics that were never given a final value (listed in `summary.json`).
    public var missingFinals: [String] {
        lock.lock(); defer { lock.unlock() }
        return (declared ?? []).filter { declared in !_finals.contains { MetricSpec.name($0.0, matches: declared) } }
    }

    /// The rows as CSV text: the step column (named `stepName`) then every key in first-seen
    /// order; a value a row lacks is left empty.
    public func csv() -> String {
        let (rows, columns, stepName) = (self.rows, self.columns, self.stepName)
        return Self.csvHeader(columns, stepName: stepName) + rows.map { Self.csvLine($0, columns: columns) }.joined()
    }

    /// The header line of `metrics.csv` for these columns (newline included), the step column
    /// named `stepName`.
    public static func csvHeader(_ columns: [String], stepName: String = "step") -> String {
        ([stepName] + columns).map(CSV.field).joined(separator: ",") + "\n"
    }

    /// One row as a line of `metrics.csv` under these columns (newline included).
    public static func csvLine(_ row: Row, columns: [String]) -> String {
        var cells = [String(row.step)]
        for column in columns {
            cells.append(row.values.first(where: { $0.0 == column }).map { csvNumber($0.1) } ?? "")
        }
        return cells.joined(separator: ",") + "\n"
    }
}

/// A number as CSV/JSON text with full float precision ("nan"/"inf" spelled out for CSV).
func csvNumber(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
}
