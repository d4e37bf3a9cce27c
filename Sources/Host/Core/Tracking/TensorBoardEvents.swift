import Foundation

/// TensorBoard's event file format, written by hand (no protobuf library): a file of TFRecords,
/// each an `Event` message. The first record names the format (`file_version`); each later
/// one holds a step's scalars as `summary.value { tag, simple_value }`, which
/// `tensorboard --logdir` and its `EventAccumulator` read as scalar curves.
///
/// TFRecord framing: the data's length (UInt64, little-endian), the masked CRC-32C of those 8
/// bytes, the data, the masked CRC-32C of the data.
public enum TensorBoardEvents {
    /// The file name TensorBoard looks for: `events.out.tfevents.<seconds>.<host>`.
    public static func fileName(time: Date, host: String) -> String {
        "events.out.tfevents.\(Int(time.timeIntervalSince1970)).\(host.isEmpty ? "localhost" : host)"
    }

    /// One TFRecord around `data`.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        var length = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { length[i] = UInt8(truncatingIfNeeded: UInt64(data.count) >> (8 * UInt64(i))) }
        return length + littleEndian(CRC32C.masked(length)) + data + littleEndian(CRC32C.masked(data))
    }

    /// The first event of a file: its wall time and `file_version: "brain.Event:2"`.
    public static func versionEvent(wallTime: Double) -> [UInt8] {
        var event = Protobuf()
        event.double(field: 1, wallTime)
        event.bytes(field: 3, Array("brain.Event:2".utf8))
        return event.bytes
    }

    /// An event with the scalars `values` (tag, value) at `step`.
    public static func scalarEvent(wallTime: Double, step: Int, values: [(String, Double)]) -> [UInt8] {
        var summary = Protobuf()
        for (tag, value) in values {
            var entry = Protobuf()
            entry.bytes(field: 1, Array(tag.utf8))
            entry.float(field: 2, Float(value))
            summary.bytes(field: 1, entry.bytes)
        }
        var event = Protobuf()
        event.double(field: 1, wallTime)
        event.varint(field: 2, UInt64(bitPattern: Int64(step)))
        event.bytes(field: 5, summary.bytes)
        return event.bytes
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }
}

/// The protobuf wire format for the few field kinds an event uses.
struct Protobuf {
    private(set) var bytes: [UInt8] = []

    mutating func varint(field: Int, _ value: UInt64) {
        key(field, wireType: 0)
        raw(varint: value)
    }

    mutating func double(field: Int, _ value: Double) {
        key(field, wireType: 1)
        let bits = value.bitPattern
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
    }

    mutating func float(field: Int, _ value: Float) {
        key(field, wireType: 5)
        let bits = value.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
    }

    /// A length-delimited field: a string's UTF-8 or an embedded message.
    mutating func bytes(field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        raw(varint: UInt64(value.count))
        bytes += value
    }

    private mutating func key(_ field: Int, wireType: UInt64) { raw(varint: UInt64(field) << 3 | wireType) }

    private mutating func raw(varint value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
}
