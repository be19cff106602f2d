import CCurl
import CCurlShim
import Foundation

/// libcurl's process-wide set-up, done once before the first handle; a global `let` is lazily and
/// thread-safely initialised.
let curlGlobalInit: Void = {
    curl_global_init(Int(CURL_GLOBAL_ALL))
    // OpenSSL writes under CURLOPT_NOSIGNAL; a peer that closes early must not kill the process.
    signal(SIGPIPE, SIG_IGN)
}()

/// Turns a libcurl setup code into an error carrying libcurl's own message.
func curlCheck(_ code: CURLcode, _ what: @autoclosure () -> String) throws(HTTPError) {
    guard code != CURLE_OK else { return }
    let message = String(cString: curl_easy_strerror(code))
    throw HTTPError.transfer(code: Int(code.rawValue), message: "\(what()): \(message)")
}

/// One libcurl easy handle and the buffers it writes into; owned by exactly one transfer.
final class CurlEasy {
    private(set) var handle: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// libcurl's human-readable error text for the last failure (CURLOPT_ERRORBUFFER).
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init() throws(HTTPError) {
        _ = curlGlobalInit
        guard let handle = curl_easy_init() else {
            throw HTTPError.transfer(code: -1, message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try set(CURLOPT_NOSIGNAL, 1)
        try curlCheck(doctor_curl_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
    }

    deinit {
        close()
        errorBuffer.deallocate()
    }

    /// Frees the handle and header list; safe to call more than once.
    func close() {
        if let handle { curl_easy_cleanup(handle) }
        handle = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
        try curlCheck(doctor_curl_easy_setopt_long(handle!, option, value), "option \(option.rawValue)")
    }

    func set(_ option: CURLoption, _ value: String) throws(HTTPError) {
        try curlCheck(doctor_curl_easy_setopt_string(handle!, option, value), "option \(option.rawValue)")
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(HTTPError) {
        try curlCheck(doctor_curl_easy_setopt_ptr(handle!, option, pointer), "option \(option.rawValue)")
    }

    /// Replaces the request headers.
    func setHeaders(_ headers: [String]) throws(HTTPError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers { list = curl_slist_append(list, header) }
        try curlCheck(doctor_curl_easy_setopt_slist(handle!, CURLOPT_HTTPHEADER, list), "headers")
        if let headerList { curl_slist_free_all(headerList) }
        headerList = list
    }

    func info(_ info: CURLINFO) -> Int {
        var value = 0
        _ = doctor_curl_easy_getinfo_long(handle!, info, &value)
        return value
    }

    func infoMicroseconds(_ info: CURLINFO) -> Int64 {
        var value: Int64 = 0
        _ = doctor_curl_easy_getinfo_int64(handle!, info, &value)
        return value
    }

    func infoString(_ info: CURLINFO) -> String? {
        var value: UnsafePointer<CChar>?
        _ = doctor_curl_easy_getinfo_string(handle!, info, &value)
        return value.map { String(cString: $0) }
    }

    /// libcurl's error text for the last failure, or its generic text for `code`.
    func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    /// The phases of the last transfer, computed by subtraction and clamped at zero (plain HTTP
    /// reports appconnect 0).
    var timings: HTTPTimings {
        let dns = infoMicroseconds(CURLINFO_NAMELOOKUP_TIME_T)
        let connect = infoMicroseconds(CURLINFO_CONNECT_TIME_T)
        let appConnect = infoMicroseconds(CURLINFO_APPCONNECT_TIME_T)
        let preTransfer = infoMicroseconds(CURLINFO_PRETRANSFER_TIME_T)
        let firstByte = infoMicroseconds(CURLINFO_STARTTRANSFER_TIME_T)
        let total = infoMicroseconds(CURLINFO_TOTAL_TIME_T)
        func phase(_ end: Int64, _ start: Int64) -> Duration { .microseconds(max(0, end - start)) }
        return HTTPTimings(
            dns: .microseconds(dns),
            connect: phase(connect, dns),
            tls: appConnect > 0 ? phase(appConnect, connect) : .zero,
            firstByte: firstByte > 0 ? phase(firstByte, preTransfer) : .zero,
            total: .microseconds(total),
            transfer: firstByte > 0 ? phase(total, firstByte) : .zero)
    }
}
