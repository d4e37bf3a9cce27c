import Foundation
import PluginAPI

/// Loads plugins in this process: the worker of `host run` loads the one it runs, and tests load
/// fixtures. Search order: `--plugins` folders, `HOST_PLUGIN_PATH`, the folder holding the host
/// executable, then `./Plugins/`.
public struct PluginCatalog {
    /// Plugins that loaded, in discovery order.
    public private(set) var plugins: [LoadedPlugin] = []
    /// Libraries that failed the handshake, keyed by the plugin name taken from the file name.
    public private(set) var failures: [(name: String, failure: LoadFailure)] = []
    /// Warnings for the user (a plugin found twice).
    public private(set) var warnings: [String] = []

    /// The folders searched, in order.
    public let searchPath: [String]

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

    /// A catalog of plugins already loaded (a worker process loads just the one it runs).
    public init(loaded: [LoadedPlugin]) {
        searchPath = []
        plugins = loaded
    }

    /// Loads exactly the library at `path` (the worker process of `host run`).
    public init(path: String) {
        searchPath = [(path as NSString).deletingLastPathComponent]
        switch PluginLoader.load(path: path) {
        case .success(let loaded):
            let name = Self.pluginName(fromFile: (path as NSString).lastPathComponent)
            if loaded.plugin.name == name { plugins = [loaded] } else { failures = [(name, .nameMismatch(path: path, declared: loaded.plugin.name))] }
        case .failure(let failure):
            failures = [(Self.pluginName(fromFile: (path as NSString).lastPathComponent), failure)]
        }
    }

    /// Discovers and loads plugins. Libraries in `quietFolders` that are not plugins at all (no
    /// handshake symbols, such as the runtime's own build products) are skipped silently.
    public init(searchPath: [String], quietFolders: Set<String> = []) {
        self.searchPath = searchPath
        var seenFiles: [String: String] = [:]   // plugin name -> real path already taken
        var seenPaths = Set<String>()
        for folder in searchPath {
            let quiet = quietFolders.contains(folder)
            for file in Self.libraries(in: folder) {
                let path = (folder as NSString).appendingPathComponent(file)
                let real = (path as NSString).resolvingSymlinksInPath
                guard seenPaths.insert(real).inserted else { continue }
                let name = Self.pluginName(fromFile: file)
                if let earlier = seenFiles[name] {
                    warnings.append("plugin \(name) found twice: using \(earlier), ignoring \(path)")
                    continue
                }
                switch PluginLoader.load(path: path) {
                case .success(let loaded):
                    if loaded.plugin.name != name {
                        failures.append((name, .nameMismatch(path: path, declared: loaded.plugin.name)))
                        continue
                    }
                    seenFiles[name] = path
                    plugins.append(loaded)
                case .failure(.missingSymbol) where quiet:
                    continue
                case .failure(let failure):
                    seenFiles[name] = path
                    failures.append((name, failure))
                }
            }
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
