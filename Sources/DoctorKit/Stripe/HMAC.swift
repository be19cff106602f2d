import COpenSSL

/// HMAC-SHA256 over OpenSSL's libcrypto, the MAC Stripe signs webhook payloads with.
public enum HMACSHA256 {
    /// The length of a SHA-256 MAC in bytes.
    public static let byteCount = 32

    /// Returns the raw 32-byte MAC of `message` under `key`.
    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var outLength = 0
        // OpenSSL wants non-null pointers even for empty input, which Swift's empty arrays
        // may not give: pad each buffer with one unused byte and pass the real length.
        let keyBytes = key + [0]
        let messageBytes = message + [0]
        let result = out.withUnsafeMutableBufferPointer { outBuffer in
            keyBytes.withUnsafeBufferPointer { keyBuffer in
                messageBytes.withUnsafeBufferPointer { messageBuffer in
                    EVP_Q_mac(
                        nil, "HMAC", nil, "SHA256", nil,
                        keyBuffer.baseAddress, key.count,
                        messageBuffer.baseAddress, message.count,
                        outBuffer.baseAddress, outBuffer.count, &outLength)
                }
            }
        }
        // EVP_Q_mac only fails when libcrypto lacks HMAC or SHA-256, which no OpenSSL 3 build does.
        precondition(result != nil && outLength == byteCount, "OpenSSL HMAC-SHA256 is unavailable")
        return out
    }

    /// Returns the MAC of `message` under `key` as lowercase hexadecimal.
    public static func hex(key: [UInt8], message: [UInt8]) -> String {
        hexString(mac(key: key, message: message))
    }

    /// Returns the MAC of `message` under the UTF-8 bytes of `key` as lowercase hexadecimal.
    public static func hex(key: String, message: [UInt8]) -> String {
        hex(key: Array(key.utf8), message: message)
    }

    /// Compares two byte strings in time that depends only on their lengths, not their contents.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { aBuffer in
            b.withUnsafeBytes { bBuffer in
                CRYPTO_memcmp(aBuffer.baseAddress, bBuffer.baseAddress, aBuffer.count) == 0
            }
        }
    }

    /// Compares two strings' UTF-8 bytes in constant time (for hex signatures).
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
