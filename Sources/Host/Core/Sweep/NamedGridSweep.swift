import Foundation
import PluginAPI

/// `host sweep PLUGIN GRID [its options] --out DIR`, where GRID is an experiment that declares
/// a named grid (`ExperimentGrid`, such as Parity `sweep` and ResNet `sweep`): the options are
/// the grid experiment's own, as `host run PLUGIN GRID` takes them, and the plugin's declaration,
/// loaded in a worker, expands them into points (`PluginDescriber.describe(_:grid:...)`). Each
/// point is then an ordinary run of the experiment the grid runs, with the seed the in-process
/// experiment gives that run (--seed, --seed + 1, ...), so both give the same numbers.
enum NamedGridSweep {
    /// The plan of `loose` (the sweep's own options parsed, every other token in `fixed`) for
    /// the worker's expansion `grid` of the plugin `description`.
    static func plan(_ loose: SweepPlan, grid: Result<PluginDescriber.GridExpansion, HostError>,
                     description: PluginDescriber.Description) -> Result<SweepPlan, HostError> {
        let experiments = PluginDescriber.experiments(description)
        let chosen = loose.experiment.map { name in experiments.first { $0["name"] as? String == name } } ?? experiments.first
        let name = chosen?["name"] as? String ?? loose.experiment ?? ""
        let target = (chosen?["grid"] as? [String: Any])?["experiment"] as? String ?? "its experiment"
        let place = "\(loose.plugin) \(name)"
        if loose.fixed.contains(where: { $0 == "--grid" || $0.hasPrefix("--grid=") }) {
            return .failure(HostError("--grid: \(place) is a named grid of \(target), whose runs come from its own options",
                                      hint: "give those as for `host run \(place)` (`host help \(place)`), or sweep \(target) itself: `host sweep \(loose.plugin) \(target) --grid NAME=V1,V2 --out DIR`"))
        }
        return grid.mapError { error in
            HostError(error.message, hint: error.hint.contains("host help") ? error.hint
                      : error.hint + "; `host sweep \(place)` takes the options of `host run \(place)` (`host help \(place)`)")
        }.flatMap { expansion in
            var plan = loose
            plan.experiment = expansion.experiment
            plan.axes = expansion.axes
            plan.seeds = expansion.seeds
            plan.fixed = expansion.passed
            plan.namedGrid = SweepPlan.NamedGrid(name: expansion.name, options: loose.fixed)
            if let error = plan.sizeError(hint: "give \(place) fewer values or seeds") { return .failure(error) }
            return .success(plan)
        }
    }

    /// How `host sweep status` names a named grid's sweep: "the named grid Parity sweep --ds 5,10".
    static func label(_ plan: SweepPlan) -> String? {
        plan.namedGrid.map { (["the named grid", plan.plugin, $0.name] + $0.options).joined(separator: " ") }
    }
}
