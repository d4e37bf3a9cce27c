/// The C-level handshake between the host and a plugin library.
///
/// A plugin exports three C symbols, and the host checks them in this order before any Swift
/// object crosses the boundary: `host_plugin_abi_version` (this layout's version),
/// `host_plugin_runtime_build_id` (the runtime the plugin was compiled against) and
/// `host_plugin_create` (the factory). A plugin writes them like this:
///
/// ```swift
/// @_cdecl("host_plugin_abi_version")
/// public func hostPluginABIVersion() -> Int32 { PluginABI.version }
/// @_cdecl("host_plugin_runtime_build_id")
/// public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }
/// @_cdecl("host_plugin_create")
/// public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(MyPlugin()) }
/// ```
public enum PluginABI {
    /// The C type of `host_plugin_runtime_build_id`'s result: a NUL-terminated string with
    /// static lifetime. (A name, so an entry file states its C signature without pointer types.)
    public typealias CString = UnsafePointer<CChar>
    /// The C type of `host_plugin_create`'s result: the new plugin object, retained, as an
    /// opaque pointer (`export`).
    public typealias PluginHandle = UnsafeMutableRawPointer

    /// Version of the handshake itself: the three symbols and their C signatures.
    /// Bump only when those change.
    @_alwaysEmitIntoClient
    public static var version: Int32 { 1 }

    /// Identifies the runtime's Swift interface (the `Plugin` protocol, `RunContext`, the
    /// engine's public types): the digest of its modules' public declarations and of the stored
    /// properties of their public types, as the toolchain's symbol graphs give them (the host's
    /// `RuntimeInterface.digest`). A test compares it with the digest of the modules just built
    /// and gives the new value when the interface changed, so the id cannot stay behind it.
    ///
    /// `@_alwaysEmitIntoClient` copies the literal into each plugin at compile time, so a
    /// plugin reports the runtime it was *built* against, not the one it is loaded into.
    @_alwaysEmitIntoClient
    public static var runtimeBuildID: StaticString { "pluginapi-887ba508fd962779" }

    /// `runtimeBuildID` as a NUL-terminated C string with static lifetime.
    @_alwaysEmitIntoClient
    public static var runtimeBuildIDPointer: UnsafePointer<CChar> {
        UnsafeRawPointer(runtimeBuildID.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// The build id of the runtime library actually loaded in this process (compiled into
    /// `libPluginAPI.so`, not into the caller).
    public static let loadedRuntimeBuildID: String = runtimeBuildID.description

    /// The names of the exported C symbols.
    public enum Symbol {
        /// The symbol that returns `PluginABI.version` as an `Int32`.
        public static let abiVersion = "host_plugin_abi_version"
        /// The symbol that returns the runtime build id the plugin was compiled against, as a C string.
        public static let runtimeBuildID = "host_plugin_runtime_build_id"
        /// The symbol that returns a new plugin object, retained (`PluginABI.export`).
        public static let create = "host_plugin_create"
        /// A C symbol of the runtime itself, whose address tells the host the runtime's file.
        public static let runtimeAnchor = "host_runtime_anchor"
    }

    /// Hands a plugin object to the host as a +1 retained opaque pointer; the host takes
    /// ownership with `Unmanaged.takeRetainedValue()`.
    @_alwaysEmitIntoClient
    public static func export(_ plugin: AnyObject) -> UnsafeMutableRawPointer? {
        Unmanaged.passRetained(plugin).toOpaque()
    }
}

/// An address inside the runtime library (`PluginABI.Symbol.runtimeAnchor`): the host finds the
/// file it loaded with dladdr, to read the runtime's exported symbols.
@_cdecl("host_runtime_anchor")
public func hostRuntimeAnchor() {}
