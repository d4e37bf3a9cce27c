import Foundation
import PluginAPI

/// Plugins loaded in this process: the worker of `host run` loads the one it runs, the worker of
/// `host list`/`help` the one it describes (see `PluginDiscovery` for finding them, which loads
/// nothing). Search order: `--plugins` folders, `HOST_PLUGIN_PATH`, the folder holding the host
/// executable, then `./Plugins/`.
public struct PluginCatalog {
    /// Plugins that loaded.
    public private(set) var plugins: [LoadedPlugin] = []
    /// Libraries that failed the handshake, keyed by the plugin name taken from the file name.
    public private(set) var failures: [(name: String, failure: LoadFailure)] = []

    /// The search path for the given `--plugins` folders and environment.
    public static func searchPath(explicit: [String], environment: [String: String], executableFolder: String?) -> [String] {
        var folders = explicit
        if let env = environment["HOST_PLUGIN_PATH"] {
            folders += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        // The host's own plugins come before ./Plugins, so a folder you run the host in can add
        // plugins but never replace one you built (README, "Plugins and where they are found").
        if let executableFolder { folders.append(executableFolder) }
        folders.append("Plugins")
        return folders
    }

    /// A catalog of plugins already loaded.
    public init(loaded: [LoadedPlugin]) {
        plugins = loaded
    }

    /// Loads exactly the library at `path` (the worker process of `host run`).
    public init(path: String) {
        switch Self.load(path: path) {
        case .success(let loaded): plugins = [loaded]
        case .failure(let failure): failures = [(Self.pluginName(fromFile: (path as NSString).lastPathComponent), failure)]
        }
    }

    /// The handshake of `PluginLoader.load`, then the check that the plugin's declared name is
    /// the one its file name gives (`libParity.so` must declare `Parity`), then its experiments'
    /// declarations (`DeclarationCheck`).
    public static func load(path: String) -> Result<LoadedPlugin, LoadFailure> {
        PluginLoader.load(path: path).flatMap { loaded in
            guard loaded.plugin.name == pluginName(fromFile: (path as NSString).lastPathComponent) else {
                return .failure(.nameMismatch(path: path, declared: loaded.plugin.name))
            }
            let problems = DeclarationCheck.problems(in: loaded.plugin)
            return problems.isEmpty ? .success(loaded) : .failure(.badDeclarations(path: path, plugin: loaded.plugin.name, problems: problems))
        }
    }

    /// The `lib*.so` files directly in a folder, sorted, without the runtime library itself.
    static func libraries(in folder: String) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return entries.filter { $0.hasPrefix("lib") && $0.hasSuffix(".so") && $0 != "libPluginAPI.so" }.sorted()
    }

    /// `libParity.so` -> `Parity`.
    static func pluginName(fromFile file: String) -> String {
        String(file.dropFirst(3).dropLast(3))
    }

    /// The loaded plugin with this name (case-insensitive).
    public func plugin(named name: String) -> LoadedPlugin? {
        plugins.first { $0.plugin.name == name } ?? plugins.first { $0.plugin.name.lowercased() == name.lowercased() }
    }

    /// The load failure for a plugin with this name, if its library was found but failed.
    public func failure(named name: String) -> LoadFailure? {
        failures.first { $0.name.lowercased() == name.lowercased() }?.failure
    }
}
