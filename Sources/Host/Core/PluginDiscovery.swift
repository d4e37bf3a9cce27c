import Foundation

/// The plugin files the host can see, found by name alone: nothing is loaded here (loading runs
/// a library's code, which happens in a worker process; see `PluginDescriber`).
///
/// Files are trusted the way ssh trusts its configuration: a plugin file, or the folder it
/// lies in, that another user owns (root aside) or that others may write to is refused.
public struct PluginDiscovery {
    /// One `lib<Name>.so` file on the search path.
    public struct Candidate: Equatable {
        /// The plugin name its file name gives (`libParity.so` -> `Parity`).
        public var name: String
        public var path: String
        /// Found in a folder where libraries that are not plugins are expected (the host's own).
        public var quiet: Bool
    }

    /// Candidates in search order, each real file once.
    public private(set) var candidates: [Candidate] = []
    /// Files and folders refused for their ownership or permissions, with why.
    public private(set) var refused: [(path: String, message: String, hint: String)] = []

    /// Looks through `searchPath` (see `PluginCatalog.searchPath`).
    public init(searchPath: [String], quietFolders: Set<String> = []) {
        var seen = Set<String>()
        for folder in searchPath {
            let files = PluginCatalog.libraries(in: folder)
            if files.isEmpty { continue }
            if let problem = PluginTrust.problem(with: folder, isFolder: true) {
                refused.append((folder, problem, PluginTrust.hint(for: folder, isFolder: true)))
                continue
            }
            for file in files {
                let path = (folder as NSString).appendingPathComponent(file)
                guard seen.insert((path as NSString).resolvingSymlinksInPath).inserted else { continue }
                if let problem = PluginTrust.problem(with: path, isFolder: false) {
                    refused.append((path, problem, PluginTrust.hint(for: path, isFolder: false)))
                    continue
                }
                candidates.append(Candidate(name: PluginCatalog.pluginName(fromFile: file), path: path, quiet: quietFolders.contains(folder)))
            }
        }
    }

    /// The candidates whose file names give `name` (exact matches first, then ignoring case).
    public func candidates(named name: String) -> [Candidate] {
        let exact = candidates.filter { $0.name == name }
        return exact.isEmpty ? candidates.filter { $0.name.lowercased() == name.lowercased() } : exact
    }

    /// The distinct plugin names the files give, in search order.
    public var names: [String] {
        var seen = Set<String>()
        return candidates.map(\.name).filter { seen.insert($0).inserted }
    }
}

/// Ownership and permission rules for plugin files and the folders that hold them.
public enum PluginTrust {
    /// Why `path` may not be trusted, or nil when it may: it (or, for a file given through a
    /// symbolic link, the file the link names) must be owned by the user running the host or by
    /// root, and not writable by group or others.
    public static func problem(with path: String, isFolder: Bool) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return "cannot inspect \(path): \(String(cString: strerror(errno)))" }
        let kind = isFolder ? "plugin folder" : "plugin file"
        let owner = info.st_uid
        if owner != 0 && owner != geteuid() {
            return "\(kind) \(path) is owned by another user (uid \(owner)), so that user could run code as you"
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            // A sticky folder writable by all (like /tmp) is still unsafe: anyone can add files.
            let who = info.st_mode & S_IWOTH != 0 ? "every user" : "its group"
            return "\(kind) \(path) is writable by \(who), so others could replace the code the host runs"
        }
        return nil
    }

    /// How to fix what `problem` found.
    public static func hint(for path: String, isFolder: Bool) -> String {
        "make it yours and writable only by you: `chown $USER \(path) && chmod go-w \(path)`"
            + (isFolder ? ", or move the plugins to a folder of your own" : "")
    }
}
