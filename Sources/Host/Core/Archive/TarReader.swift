extension Tar {
    /// Reads a tar archive as its bytes arrive, holding at most one 512-byte header: `feed`
    /// takes each piece of the archive in order and reports every regular file (normalised
    /// path and size) followed by its contents in pieces; `finish` says the archive ended.
    /// The checks are `Tar.files`'s: header checksums and numbers, normalised paths (absolute
    /// paths and `..` refused), duplicates and file/folder collisions refused, and a member
    /// that needs more bytes than the archive has or may have (`length`, `limit`) refused at
    /// its header. Folders are checked but not reported; links and other types are skipped.
    public struct Reader {
        /// What `feed` reports.
        public enum Event {
            /// A regular file begins; its `size` bytes of contents follow in `.contents` events.
            case file(path: String, size: Int)
            /// The next bytes of the current file.
            case contents(ArraySlice<UInt8>)
        }

        /// The archive's size when all of it is known (`Tar.files`).
        let length: Int?
        /// The most bytes the archive may have.
        let limit: Int
        private var header: [UInt8] = []
        /// Bytes of the archive read so far.
        private var position = 0
        /// What is left of the current member: contents to report or skip, then padding.
        private var remaining = 0, padding = 0
        private var reporting = false
        /// The current member (for the message when the archive ends inside it).
        private var member = (name: "", size: 0, start: 0)
        private var ended = false
        private var files: Set<String> = [], folders: Set<String> = []

        /// A reader for an archive of `length` bytes when that is known, else of at most
        /// `limit` bytes (a member claiming more than fits is refused at its header).
        public init(length: Int? = nil, limit: Int = Int.max) {
            self.length = length
            self.limit = min(length ?? limit, limit)
            header.reserveCapacity(512)
        }

        /// Reads the next piece of the archive, calling `handle` for each file that begins and
        /// for each piece of its contents. Throws `Tar.Failure` for damaged or refused members,
        /// and passes on what `handle` throws. Everything after the end-of-archive marker (a
        /// zero header) is ignored.
        public mutating func feed(_ bytes: ArraySlice<UInt8>, _ handle: (Event) throws -> Void) throws {
            var index = bytes.startIndex
            while index < bytes.endIndex, !ended {
                if remaining > 0 {
                    let n = min(remaining, bytes.endIndex - index)
                    if reporting { try handle(.contents(bytes[index..<(index + n)])) }
                    index += n; position += n; remaining -= n
                } else if padding > 0 {
                    let n = min(padding, bytes.endIndex - index)
                    index += n; position += n; padding -= n
                } else {
                    let n = min(512 - header.count, bytes.endIndex - index)
                    header += bytes[index..<(index + n)]
                    index += n; position += n
                    if header.count == 512 {
                        try readHeader(handle)
                        header.removeAll(keepingCapacity: true)
                    }
                }
            }
        }

        /// Says the archive has ended: throws when it ends inside a member's contents (`X needs
        /// N bytes but the archive ends after M`). A missing padding or end marker is accepted.
        public func finish() throws {
            guard remaining == 0 else {
                throw Failure(description: "\(printable(member.name)) needs \(member.size) bytes but the archive ends after \(position - member.start)")
            }
        }

        private mutating func readHeader(_ handle: (Event) throws -> Void) throws {
            let at = position - 512
            let header = self.header[...]
            if header.allSatisfy({ $0 == 0 }) { ended = true; return }                 // end-of-archive marker
            let sum = header.enumerated().reduce(0) { $0 + (148..<156 ~= $1.offset ? 32 : Int($1.element)) }
            let stored = try number(header, 148, 8, what: "checksum", at: at)
            guard stored == sum else { throw Failure(description: "damaged tar header at byte \(at) (checksum \(stored), computed \(sum))") }
            let size = try number(header, 124, 12, what: "size", at: at)
            var name = text(header, 0, 100)
            if header[257..<262].elementsEqual("ustar".utf8) {
                let prefix = text(header, 345, 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            let type = header[156]
            if let length {
                guard size <= length - position else {
                    throw Failure(description: "\(printable(name)) needs \(size) bytes but the archive ends after \(length - position)")
                }
            }
            guard size <= limit - position else {
                throw Failure(description: "\(printable(name)) needs \(size) bytes, more than an archive of at most \(limit) bytes can hold")
            }
            let isFile = type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7")
            reporting = false
            if isFile || type == UInt8(ascii: "5") {
                let path = try normalised(name)
                if isFile {
                    guard !path.isEmpty else { throw Failure(description: "a file at byte \(at) has no name") }
                    guard !files.contains(path), !folders.contains(path) else {
                        throw Failure(description: "refusing \(printable(name)): the archive already holds \(printable(path)) (a duplicate or aliased name)")
                    }
                    files.insert(path)
                } else if !path.isEmpty {
                    guard !files.contains(path) else {
                        throw Failure(description: "refusing folder \(printable(name)): the archive already holds a file \(printable(path))")
                    }
                    folders.insert(path)
                }
                // Every folder above the member must not be a file of the archive.
                var parent = path
                while let slash = parent.lastIndex(of: "/") {
                    parent = String(parent[..<slash])
                    guard !files.contains(parent) else {
                        throw Failure(description: "refusing \(printable(name)): \(printable(parent)) is a file in the archive, not a folder")
                    }
                    folders.insert(parent)
                }
                if isFile {
                    reporting = true
                    try handle(.file(path: path, size: size))
                }
            }
            // size <= limit - position, so neither sum overflows.
            member = (name, size, position)
            remaining = size
            padding = (512 - size % 512) % 512
        }

        private func text(_ header: ArraySlice<UInt8>, _ offset: Int, _ length: Int) -> String {
            let start = header.startIndex + offset
            let bytes = header[start..<(start + length)].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
