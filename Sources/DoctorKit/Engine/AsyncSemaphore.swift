import Foundation

/// Bounds how many steps run at once; a waiter that is cancelled leaves the queue at once.
/// Waiters are served by priority, highest first, and in arrival order among equals.
final class AsyncSemaphore: @unchecked Sendable {
    private let lock = NSLock()
    private var available: Int
    private var waiters: [(id: UInt64, priority: Duration, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID: UInt64 = 0

    init(_ count: Int) { available = max(1, count) }

    /// Waits for a slot; false when the task was cancelled first (no slot is then held). A waiter
    /// of higher `priority` (a step's planned duration) goes before those of lower.
    func acquire(priority: Duration = .zero) async -> Bool {
        let ticket: UInt64? = lock.withLock {
            if available > 0 {
                available -= 1
                return nil
            }
            nextID += 1
            return nextID
        }
        guard let id = ticket else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                lock.lock()
                if Task.isCancelled {
                    lock.unlock()
                    continuation.resume(returning: false)
                } else {
                    let index = waiters.firstIndex { $0.priority < priority } ?? waiters.endIndex
                    waiters.insert((id, priority, continuation), at: index)
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let index = waiters.firstIndex { $0.id == id }
            let waiter = index.map { waiters.remove(at: $0) }
            lock.unlock()
            waiter?.continuation.resume(returning: false)
        }
    }

    /// Frees a slot, handing it to the first waiter if any.
    func release() {
        lock.lock()
        if waiters.isEmpty {
            available += 1
            lock.unlock()
        } else {
            let waiter = waiters.removeFirst()
            lock.unlock()
            waiter.continuation.resume(returning: true)
        }
    }
}

/// Resolves with whichever comes first, an operation's value or a time limit; the loser is
/// abandoned (and cancelled), so a C call that ignores cancellation cannot hold the caller.
func firstOf<T: Sendable>(
    _ operation: @escaping @Sendable () async -> T, orAt deadline: ContinuousClock.Instant,
    timedOut: @escaping @Sendable () -> T, cancelled: @escaping @Sendable () -> T
) async -> T {
    let state = OnceBox<T>()
    let work = Task { let value = await operation(); state.resolve(value) }
    let timer = Task {
        try? await Task.sleep(until: deadline, clock: .continuous)
        if !Task.isCancelled { state.resolve(timedOut()) }
    }
    let value = await withTaskCancellationHandler {
        await state.value()
    } onCancel: {
        work.cancel()
        timer.cancel()
        state.resolve(cancelled())
    }
    work.cancel()
    timer.cancel()
    return value
}

/// A value set once and awaited by one reader.
final class OnceBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: T?
    private var waiter: CheckedContinuation<T, Never>?

    func resolve(_ value: T) {
        lock.lock()
        guard result == nil else { lock.unlock(); return }
        result = value
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume(returning: value)
    }

    func value() async -> T {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(returning: result)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}
