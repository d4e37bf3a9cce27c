import Foundation
import PluginAPI

/// A plugin that passed every stage of the handshake.
public struct LoadedPlugin {
    public let plugin: any Plugin
    /// The library it came from.
    public let path: String
}

/// Why a library could not be loaded as a plugin. Each stage of the handshake has its own
/// case, checked in this order, so the message names the most specific cause.
public enum LoadFailure: Error, Equatable {
    case notALibrary(path: String, reason: String)
    case missingSymbol(path: String, symbol: String)
    case abiMismatch(path: String, plugin: Int32, host: Int32)
    case runtimeMismatch(path: String, plugin: String, host: String)
    /// The plugin imports runtime symbols this runtime does not export (found before loading).
    case missingRuntimeSymbols(path: String, count: Int, example: String)
    case factoryReturnedNothing(path: String)
    case notAPlugin(path: String, typeName: String)
    case nameMismatch(path: String, declared: String)
    /// Declarations that break the contract (`DeclarationCheck`), one line each.
    case badDeclarations(path: String, plugin: String, problems: [String])

    /// The library's path.
    public var path: String {
        switch self {
        case .notALibrary(let p, _), .missingSymbol(let p, _), .abiMismatch(let p, _, _),
             .runtimeMismatch(let p, _, _), .missingRuntimeSymbols(let p, _, _), .factoryReturnedNothing(let p), .notAPlugin(let p, _),
             .nameMismatch(let p, _), .badDeclarations(let p, _, _):
            return p
        }
    }

    /// One line saying what is wrong.
    public var message: String {
        switch self {
        case .notALibrary(let p, let reason):
            return "cannot load \(p): not a loadable shared library (\(reason))"
        case .missingSymbol(let p, let symbol):
            return "\(p) is not a host plugin: it does not export the C symbol \(symbol)"
        case .abiMismatch(let p, let plugin, let host):
            return "\(p) uses plugin ABI \(plugin), but this host speaks plugin ABI \(host)"
        case .runtimeMismatch(let p, let plugin, let host):
            return "\(p) was built against runtime \(plugin), but this host runs runtime \(host)"
        case .missingRuntimeSymbols(let p, let count, let example):
            return "\(p) was built against another runtime: \(count) of the runtime declarations it uses "
                + (count == 1 ? "is" : "are") + " not in this one (\(PluginABI.loadedRuntimeBuildID)), e.g. \(example)"
        case .factoryReturnedNothing(let p):
            return "\(p): \(PluginABI.Symbol.create) returned no object"
        case .notAPlugin(let p, let typeName):
            return "\(p): \(PluginABI.Symbol.create) returned a \(typeName), which does not conform to PluginAPI.Plugin"
        case .nameMismatch(let p, let declared):
            return "\(p) declares the plugin name '\(declared)', which does not match its file name"
        case .badDeclarations(let p, let plugin, let problems):
            return "\(p): plugin \(plugin) " + (problems.first ?? "has a bad declaration")
                + (problems.count > 1 ? " (and \(problems.count - 1) more: " + problems.dropFirst().joined(separator: "; ") + ")" : "")
        }
    }

    /// How to fix it.
    public var hint: String {
        switch self {
        case .notALibrary:
            return "plugins are ELF shared libraries for this machine named lib<Name>.so; rebuild it with `swift build -c release` or remove the file"
        case .missingSymbol:
            return "a plugin exports host_plugin_abi_version, host_plugin_runtime_build_id and host_plugin_create (see README, 'Writing a plugin')"
        case .abiMismatch, .runtimeMismatch, .missingRuntimeSymbols:
            return "rebuild the plugin against this host's PluginAPI (the README shows the swiftc command)"
        case .factoryReturnedNothing, .notAPlugin:
            return "host_plugin_create must return PluginABI.export(obj) where obj's class conforms to Plugin"
        case .nameMismatch:
            return "name the file lib<Name>.so after the plugin's declared name"
        case .badDeclarations:
            return "rename or remove the declaration in the plugin's experiments; the host's global options are "
                + GlobalOptions.reservedNames.sorted().map { "--" + $0 }.joined(separator: ", ")
        }
    }
}

/// Opens plugin libraries and runs the handshake of docs/ARCHITECTURE.md: the runtime symbols it
/// imports, dlopen, required symbols, ABI version, runtime build id, factory, protocol cast. A failed library is closed; a loaded
/// plugin is never unloaded.
public enum PluginLoader {
    private typealias ABIVersionFunction = @convention(c) () -> Int32
    private typealias BuildIDFunction = @convention(c) () -> UnsafePointer<CChar>?
    private typealias FactoryFunction = @convention(c) () -> UnsafeMutableRawPointer?

    /// Loads one library as a plugin.
    public static func load(path: String) -> Result<LoadedPlugin, LoadFailure> {
        // Before anything of it runs: every runtime symbol it imports must be exported by the
        // runtime loaded here (RuntimeInterface). A file that is not a readable ELF library
        // is left to dlopen, which says why.
        if let runtime = RuntimeInterface.loaded, let plugin = try? ELFSymbols.read(path: path) {
            let missing = RuntimeInterface.missingImports(of: plugin, runtime: runtime)
            if let first = missing.first {
                return .failure(.missingRuntimeSymbols(path: path, count: missing.count, example: RuntimeInterface.demangle(first)))
            }
        }
        // RTLD_NODELETE: a Swift library registers its type metadata with the Swift runtime
        // when it is mapped; unmapping it on dlclose would leave the runtime pointing at freed
        // memory. Closing still drops our reference, but the pages stay.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            return .failure(.notALibrary(path: path, reason: shortDlerror(reason, path: path)))
        }
        let result = handshake(handle: handle, path: path)
        if case .failure = result { dlclose(handle) }
        return result
    }

    private static func handshake(handle: UnsafeMutableRawPointer, path: String) -> Result<LoadedPlugin, LoadFailure> {
        let symbols = [PluginABI.Symbol.abiVersion, PluginABI.Symbol.runtimeBuildID, PluginABI.Symbol.create]
        var found: [UnsafeMutableRawPointer] = []
        for symbol in symbols {
            guard let address = dlsym(handle, symbol) else { return .failure(.missingSymbol(path: path, symbol: symbol)) }
            found.append(address)
        }
        let abi = unsafeBitCast(found[0], to: ABIVersionFunction.self)()
        guard abi == PluginABI.version else {
            return .failure(.abiMismatch(path: path, plugin: abi, host: PluginABI.version))
        }
        let pluginBuild = unsafeBitCast(found[1], to: BuildIDFunction.self)().map { String(cString: $0) } ?? "(none)"
        guard pluginBuild == PluginABI.loadedRuntimeBuildID else {
            return .failure(.runtimeMismatch(path: path, plugin: pluginBuild, host: PluginABI.loadedRuntimeBuildID))
        }
        guard let raw = unsafeBitCast(found[2], to: FactoryFunction.self)() else {
            return .failure(.factoryReturnedNothing(path: path))
        }
        let object = Unmanaged<AnyObject>.fromOpaque(raw).takeRetainedValue()
        guard let plugin = object as? any Plugin else {
            return .failure(.notAPlugin(path: path, typeName: String(reflecting: type(of: object))))
        }
        return .success(LoadedPlugin(plugin: plugin, path: path))
    }

    /// dlerror repeats the path; keep only the reason.
    private static func shortDlerror(_ text: String, path: String) -> String {
        let prefix = path + ": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }
}
