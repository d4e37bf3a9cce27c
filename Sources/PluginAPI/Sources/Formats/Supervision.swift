import Foundation

/// The line protocol from a run's worker process to the `host` process that supervises it
/// (docs/ARCHITECTURE.md, "Supervised runs").
///
/// The supervisor starts the worker with `HOST_SUPERVISOR_FD` naming the write end of a pipe;
/// the worker sends one line per event, `kind<TAB>text`, with newlines in the text escaped.
/// Outside a supervised worker (tests calling the engine, `host bench`) every call is a no-op.
public enum Supervision {
    /// The events the supervisor understands.
    public enum Event: String, Sendable {
        /// The run folder exists (text: its path); from here on a death of the worker is a failed run.
        case folder
        /// The engine refused an argument (text: the message); the worker stops right after.
        case error
        /// One row of `metrics.csv` (text: `step<TAB>name=value<TAB>...`), so nothing logged is lost.
        case row
        /// A final metric (text: `name=value`).
        case final
        /// The run folder and its summary are written; the worker exits next.
        case done
    }

    private static let channel: Int32? = {
        guard let text = ProcessInfo.processInfo.environment["HOST_SUPERVISOR_FD"], let fd = Int32(text), fd > 2 else { return nil }
        return fcntl(fd, F_GETFD) == -1 ? nil : fd
    }()
    private static let lock = NSLock()

    /// True inside a worker process that a supervisor listens to.
    public static var isSupervised: Bool { channel != nil }

    /// Sends one event (a no-op when not supervised). Safe from any thread.
    public static func send(_ event: Event, _ text: String = "") {
        guard let fd = channel else { return }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
        let bytes = Array((event.rawValue + "\t" + escaped + "\n").utf8)
        lock.lock(); defer { lock.unlock() }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Splits a received line into its event and text (nil for a line this version does not know).
    public static func parse(_ line: Substring) -> (Event, String)? {
        guard let tab = line.firstIndex(of: "\t"), let event = Event(rawValue: String(line[..<tab])) else { return nil }
        var text = "", escaping = false
        for c in line[line.index(after: tab)...] {
            if escaping { text.append(c == "n" ? "\n" : c); escaping = false } else if c == "\\" { escaping = true } else { text.append(c) }
        }
        return (event, text)
    }
}

/// Stops the run when a plugin hands the engine arguments it cannot compute with (shapes that
/// do not match, an axis out of range). Kept in release builds: the kernels behind these calls
/// do not check, so a wrong shape would otherwise read and write past the tensors' memory.
///
/// The message names the op and the shapes; the supervisor adds the plugin's call site from
/// the worker's backtrace and marks the run failed.
@inline(__always)
public func engineCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { engineFailure(message()) }
}

/// Reports an engine argument error to the supervisor and stops the worker (see `engineCheck`).
@inline(never)
public func engineFailure(_ message: String) -> Never {
    let site = callerOutsideRuntime().map { " (called from \($0))" } ?? ""
    Supervision.send(.error, message + site)
    fatalError(message + site)
}

/// The first frame on the stack that lies outside the runtime and the Swift libraries: the
/// plugin's code that made the call, as "libFoo.so, in <symbol>" (the nearest exported symbol;
/// the crash report in the run folder has the full backtrace).
func callerOutsideRuntime() -> String? {
    guard let runtime = SharedObject.containing(#dsohandle)?.file else { return nil }
    for address in Thread.callStackReturnAddresses {
        guard let pointer = UnsafeRawPointer(bitPattern: address.uintValue), let object = SharedObject.containing(pointer) else { continue }
        let name = (object.file as NSString).lastPathComponent
        // Plugins are shared libraries: the executable (the host, a test runner) is not plugin code.
        if object.file == runtime || !name.contains(".so") || name.hasPrefix("libswift") || name.hasPrefix("libFoundation") || name.hasPrefix("libdispatch") || name.hasPrefix("libc.") { continue }
        guard let symbol = object.symbol else { return name }
        return "\(name), in \(demangled(symbol))"
    }
    return nil
}

/// `dladdr` (glibc declares it only under _GNU_SOURCE, so it is looked up at run time): the
/// shared object an address lies in and the nearest exported symbol below it.
private enum SharedObject {
    /// glibc's `Dl_info`: file name, base, symbol name, symbol address.
    private typealias Info = (file: UnsafePointer<CChar>?, base: UnsafeMutableRawPointer?, symbol: UnsafePointer<CChar>?, address: UnsafeMutableRawPointer?)
    private typealias DLAddr = @convention(c) (UnsafeRawPointer, UnsafeMutableRawPointer) -> Int32
    private static let dladdr: DLAddr? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "dladdr").map { unsafeBitCast($0, to: DLAddr.self) }

    static func containing(_ address: UnsafeRawPointer) -> (file: String, symbol: String?)? {
        guard let dladdr else { return nil }
        var info: Info = (nil, nil, nil, nil)
        let found = withUnsafeMutableBytes(of: &info) { buffer in buffer.baseAddress.map { dladdr(address, $0) } ?? 0 }
        guard found != 0, let file = info.file else { return nil }
        return (String(cString: file), info.symbol.map { String(cString: $0) })
    }
}

/// A Swift symbol's readable name (the mangled one when the runtime cannot demangle it).
private func demangled(_ symbol: String) -> String {
    typealias Demangle = @convention(c) (UnsafePointer<CChar>?, Int, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int>?, UInt32) -> UnsafeMutablePointer<CChar>?
    guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "swift_demangle") else { return symbol }
    let demangle = unsafeBitCast(address, to: Demangle.self)
    guard let result = symbol.withCString({ demangle($0, strlen($0), nil, nil, 0) }) else { return symbol }
    defer { free(result) }
    return String(cString: result)
}
