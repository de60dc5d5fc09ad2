extension Array where Element == UInt8 {
    /// Appends raw bytes with one memory copy. (`append(contentsOf:)` with an untyped
    /// `UnsafeRawBufferPointer` copies byte by byte: it has no contiguous-storage fast path.)
    @inlinable
    public mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }
}
