#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A prediction request's body as numbers, read in one pass: `{"records": [[n, …], …], "output": "label"}`
/// (keys in any order, `output` optional). A record of a 3×28×28 image is 2,352 numbers; Foundation's
/// `JSONDecoder` spends more time on them than the model does (about 1 ms a request), this reader a
/// tenth of that.
///
/// Contract: ``parse(_:allowOutput:)`` returns the records and the output kind only for a body that is
/// exactly that shape: RFC 8259 numbers (no leading zeros, no `NaN`, nothing that overflows or
/// underflows a Double), unescaped keys `records` and `output` at most once each, `output` one of
/// `label` and `probabilities` (only when `allowOutput`), nothing after the object. Anything else
/// returns nil and the caller lets the generated decoder (the OpenAPI contract's) read the body, so
/// every refusal stays the contract's. What it returns equals what that decoder would produce.
public enum RecordsJSON {
    public struct Body: Sendable, Equatable {
        public var records: [[Double]]
        public var output: String?
        /// The body holds more than `maxRecords` records: reading stopped at the first one over (the rest
        /// unread, so an oversized batch costs no more memory than an allowed one).
        public var exceeded: Bool

        public init(records: [[Double]], output: String?, exceeded: Bool = false) {
            self.records = records
            self.output = output
            self.exceeded = exceeded
        }
    }

    /// - Parameter maxRecords: past this many records the reader stops and answers ``Body/exceeded``.
    public static func parse(_ bytes: UnsafeRawBufferPointer, allowOutput: Bool, maxRecords: Int = .max) -> Body? {
        var reader = Reader(bytes: bytes, maxRecords: maxRecords)
        return reader.body(allowOutput: allowOutput)
    }

    public static func parse(_ bytes: [UInt8], allowOutput: Bool, maxRecords: Int = .max) -> Body? {
        bytes.withUnsafeBytes { parse($0, allowOutput: allowOutput, maxRecords: maxRecords) }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var i = 0
        let maxRecords: Int
        var exceeded = false

        init(bytes: UnsafeRawBufferPointer, maxRecords: Int) {
            self.bytes = bytes
            self.maxRecords = maxRecords
        }

        mutating func body(allowOutput: Bool) -> Body? {
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var records: [[Double]]?
            var output: String?
            var first = true
            while true {
                skipSpace()
                if take(UInt8(ascii: "}")) { break }
                if !first {
                    guard take(UInt8(ascii: ",")) else { return nil }
                    skipSpace()
                }
                first = false
                guard let key = plainString() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                switch key {
                case "records":
                    guard records == nil, let r = recordList() else { return nil }
                    if exceeded { return Body(records: r, output: nil, exceeded: true) }
                    records = r
                case "output":
                    guard allowOutput, output == nil, let o = plainString(), o == "label" || o == "probabilities" else { return nil }
                    output = o
                default:
                    return nil
                }
            }
            skipSpace()
            guard i == bytes.count, let records else { return nil }
            return Body(records: records, output: output)
        }

        mutating func recordList() -> [[Double]]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var list: [[Double]] = []
            skipSpace()
            if take(UInt8(ascii: "]")) { return list }
            while true {
                skipSpace()
                guard let record = numbers() else { return nil }
                list.append(record)
                if list.count > maxRecords {
                    exceeded = true
                    return list
                }
                skipSpace()
                if take(UInt8(ascii: "]")) { return list }
                guard take(UInt8(ascii: ",")) else { return nil }
            }
        }

        mutating func numbers() -> [Double]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var values: [Double] = []
            skipSpace()
            if take(UInt8(ascii: "]")) { return values }
            while true {
                skipSpace()
                guard let v = number() else { return nil }
                values.append(v)
                skipSpace()
                if take(UInt8(ascii: "]")) { return values }
                guard take(UInt8(ascii: ",")) else { return nil }
            }
        }

        /// An RFC 8259 number whose value is a finite Double that did not underflow.
        ///
        /// Clinger's fast path (Clinger 1990, "How to read floating point numbers accurately"; the first
        /// step of fast_float and of Go's strconv): when the decimal significand w fits in 53 bits and
        /// the decimal exponent k has |k| ≤ 22, both w and 10^|k| are exact Doubles, so one IEEE
        /// multiplication or division gives the correctly rounded value — the same Double strtod gives.
        /// A Float's shortest form of magnitude between about 1e-15 and 1e22 (any feature a client sends)
        /// takes it; anything else (more than 53 bits of digits, a larger exponent) goes to strtod.
        mutating func number() -> Double? {
            let start = i
            let negative = take(UInt8(ascii: "-"))
            guard i < bytes.count else { return nil }
            var significand: UInt64 = 0
            var exact = true  // false once the significand no longer fits in 53 bits
            var exponent = 0
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                guard accumulate(&significand, &exact) > 0 else { return nil }
            }
            if take(UInt8(ascii: ".")) {
                let fraction = accumulate(&significand, &exact)
                guard fraction > 0 else { return nil }
                exponent = -fraction
            }
            if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                var sign = 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                    if bytes[i] == UInt8(ascii: "-") { sign = -1 }
                    i += 1
                }
                var written = 0, digitCount = 0
                while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                    if written < 100_000 { written = written * 10 + Int(bytes[i] &- UInt8(ascii: "0")) }
                    i += 1
                    digitCount += 1
                }
                guard digitCount > 0 else { return nil }
                exponent += sign * written
            }
            let length = i - start
            guard length < 64 else { return nil }  // longer than any Double needs: let the contract's decoder judge
            if exact, exponent >= -22, exponent <= 22 {
                let w = Double(significand)
                let value = exponent < 0 ? w / Self.powersOfTen[-exponent] : w * Self.powersOfTen[exponent]
                return negative ? -value : value
            }
            // strtod on a NUL-terminated copy (the body is not terminated).
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double? in
                for k in 0..<length { buffer[k] = CChar(bitPattern: bytes[start + k]) }
                buffer[length] = 0
                errno = 0
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(buffer.baseAddress!, &end)
                guard errno == 0, value.isFinite, end == buffer.baseAddress! + length else { return nil }
                return value
            }
        }

        /// 10^0 … 10^22: every one an exact Double.
        static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

        /// Reads decimal digits into `significand` while it stays below 2^53; answers how many were read.
        mutating func accumulate(_ significand: inout UInt64, _ exact: inout Bool) -> Int {
            let first = i
            while i < bytes.count {
                let digit = bytes[i] &- UInt8(ascii: "0")
                guard digit <= 9 else { break }
                significand = significand &* 10 &+ UInt64(digit)
                i += 1
                if significand > 1 << 53 {  // too long for the fast path: count the rest only
                    exact = false
                    while i < bytes.count, bytes[i] &- UInt8(ascii: "0") <= 9 { i += 1 }
                    break
                }
            }
            return i - first
        }

        /// A string of printable ASCII without escapes.
        mutating func plainString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                guard bytes[i] >= 0x20, bytes[i] < 0x7F, bytes[i] != UInt8(ascii: "\\") else { return nil }
                i += 1
            }
            guard i < bytes.count else { return nil }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            i += 1
            return text
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }
    }
}
