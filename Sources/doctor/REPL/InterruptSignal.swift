import CEditLineShim
import Foundation

/// Ctrl-C for the interactive session: counted by a C handler, never the default "end the process".
///
/// The handler is installed with `sigaction` without `SA_RESTART`, so the reader thread's blocking
/// `read()` inside libedit returns EINTR (and `readline()` returns NULL, like end of input: the
/// counter tells the two apart). A SIGINT that lands on another thread is forwarded to the reader.
enum InterruptSignal {
    /// Installs the handler and makes the calling thread the one whose reads it interrupts.
    static func install() throws(REPLError) {
        doctor_interrupt_set_reader()
        guard doctor_interrupt_install() == 0 else {
            throw .system("cannot install the Ctrl-C handler: \(String(cString: strerror(errno)))")
        }
    }

    /// How many Ctrl-Cs have arrived so far.
    static var count: Int { doctor_interrupt_count() }

    /// Empties the self-pipe the handler writes to (the counter is what is read).
    static func drain() {
        let fd = doctor_interrupt_fd()
        guard fd >= 0 else { return }
        var byte: UInt8 = 0
        while read(fd, &byte, 1) > 0 {}
    }

    /// Waits up to `timeout` for a Ctrl-C; true when one arrived after `seen`.
    static func wait(since seen: Int, timeout: Duration) -> Bool {
        if count != seen { return true }
        let fd = doctor_interrupt_fd()
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        if fd >= 0 { _ = poll(&descriptor, 1, milliseconds) } else { usleep(useconds_t(milliseconds) * 1000) }
        return count != seen
    }
}
