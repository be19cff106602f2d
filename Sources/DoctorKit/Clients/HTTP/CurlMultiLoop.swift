import CCurl
import CCurlShim
import Foundation

/// A thread of its own driving every transfer through one `curl_multi` handle.
///
/// Blocking libcurl calls on Swift's cooperative pool would run two at a time on a 2-core machine;
/// here any number of transfers wait together in one `curl_multi_poll`. The multi handle belongs to
/// the loop thread: other threads only queue work and call `curl_multi_wakeup`.
final class CurlMultiLoop: @unchecked Sendable {
    private let lock = NSLock()
    private var multi: UnsafeMutableRawPointer?
    private var started = false
    private var stopping = false
    private var incoming: [CurlTransfer] = []
    private var cancellations: [CurlTransfer] = []
    private let stopped = DispatchSemaphore(value: 0)
    /// Loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init() {}

    deinit { shutdown() }

    /// Queues `transfer`; its continuation is resumed exactly once, from the loop thread.
    func submit(_ transfer: CurlTransfer) {
        lock.lock()
        if stopping {
            lock.unlock()
            // Taken before it is resumed: once resumed, the request's task owns the transfer.
            let continuation = transfer.continuation
            transfer.continuation = nil
            continuation?.resume(returning: CURLE_ABORTED_BY_CALLBACK)
            return
        }
        if !started {
            _ = curlGlobalInit
            multi = curl_multi_init()
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "doctor.curl"
            thread.start()
        }
        incoming.append(transfer)
        let multi = self.multi
        lock.unlock()
        if let multi { curl_multi_wakeup(multi) }
    }

    /// Asks the loop to abandon `transfer`; safe from any thread, before or after it was added.
    func cancel(_ transfer: CurlTransfer) {
        lock.lock()
        transfer.cancelRequested = true
        cancellations.append(transfer)
        let multi = self.multi
        lock.unlock()
        if let multi { curl_multi_wakeup(multi) }
    }

    /// Ends the loop thread, abandoning what is still in flight; idempotent.
    func shutdown() {
        lock.lock()
        let wasRunning = started && !stopping
        stopping = true
        let multi = self.multi
        lock.unlock()
        guard wasRunning, let multi else { return }
        curl_multi_wakeup(multi)
        stopped.wait()
    }

    private func run() {
        guard let multi else { return }
        while true {
            lock.lock()
            let newTransfers = incoming
            let cancelled = cancellations
            let stop = stopping
            incoming.removeAll()
            cancellations.removeAll()
            lock.unlock()

            for transfer in newTransfers {
                guard let handle = transfer.easy.handle else { continue }
                if transfer.cancelRequested || stop {
                    finish(transfer, CURLE_ABORTED_BY_CALLBACK)
                } else if curl_multi_add_handle(multi, handle) == CURLM_OK {
                    active[handle] = transfer
                } else {
                    finish(transfer, CURLE_FAILED_INIT)
                }
            }
            for transfer in cancelled {
                if let handle = transfer.easy.handle, active.removeValue(forKey: handle) != nil {
                    curl_multi_remove_handle(multi, handle)
                    finish(transfer, CURLE_ABORTED_BY_CALLBACK)
                }
            }
            if stop {
                for (handle, transfer) in active {
                    curl_multi_remove_handle(multi, handle)
                    finish(transfer, CURLE_ABORTED_BY_CALLBACK)
                }
                active.removeAll()
                curl_multi_cleanup(multi)
                stopped.signal()
                return
            }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var doneHandle: UnsafeMutableRawPointer?
            var result = CURLE_OK
            while doctor_curl_multi_next_done(multi, &doneHandle, &result) != 0 {
                if let handle = doneHandle, let transfer = active.removeValue(forKey: handle) {
                    curl_multi_remove_handle(multi, handle)
                    finish(transfer, result)
                }
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func finish(_ transfer: CurlTransfer, _ code: CURLcode) {
        let continuation = transfer.continuation
        transfer.continuation = nil
        continuation?.resume(returning: code)
    }
}
