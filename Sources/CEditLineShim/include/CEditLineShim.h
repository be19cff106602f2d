#ifndef DOCTOR_CEDITLINESHIM_H
#define DOCTOR_CEDITLINESHIM_H

#include <stddef.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Configures libedit for a program that handles SIGINT itself: no libedit signal handlers (they
/// replace the program's and re-raise to the whole process group), no file-name fallback.
void doctor_editline_configure(const char *name);

/// Installs the SIGINT handler (sigaction without SA_RESTART, so a blocked read returns EINTR).
/// The handler only counts and writes one byte to a self-pipe. Returns 0, or -1 with errno.
int doctor_interrupt_install(void);
/// How many SIGINTs have arrived since the handler was installed.
long doctor_interrupt_count(void);
/// The read end of the self-pipe the handler writes to (-1 before install); non-blocking.
int doctor_interrupt_fd(void);
/// Makes the calling thread the one SIGINT is handled on: the handler forwards a SIGINT that lands
/// on any other thread to it, so its blocking read() returns EINTR. Unblocks SIGINT on it.
void doctor_interrupt_set_reader(void);

/// Remembers the terminal state of `fd` and restores it at exit and on fatal signals.
/// Returns 0, or -1 when `fd` is not a terminal.
int doctor_tty_guard_install(int fd);
/// Puts the terminal back as it was when the guard was installed (async-signal-safe).
void doctor_tty_restore(void);

/// Clears a status line drawn on `fd` (a carriage return and erase-to-end-of-line) at exit and on
/// SIGINT (when nothing else handles it), SIGTERM, SIGHUP and fatal signals, whenever
/// `doctor_status_line_shown(1)` says one is on screen; the signal then goes on to whoever had it.
/// Idempotent.
void doctor_status_line_guard_install(int fd);
/// Says whether a status line is on screen now (async-signal-safe to read from the handler).
void doctor_status_line_shown(int shown);

/// Reads one line from `fd` with echo off (restored afterwards, also on Ctrl-C). Returns the
/// length without the newline, -1 on end of input or error, -2 when interrupted.
ssize_t doctor_read_secret(int fd, char *buffer, size_t size);

/// libedit's version as the headers it was built against declare it ("2.11" from histedit.h's
/// LIBEDIT_MAJOR and LIBEDIT_MINOR): libedit has no run-time version call, and its
/// rl_library_version is only "EditLine wrapper".
const char *doctor_editline_header_version(void);
/// The path of the file libedit was loaded from (dladdr of `readline`: the shared library, or the
/// executable itself for a static link), or NULL when it cannot be told.
const char *_Nullable doctor_editline_library_path(void);

#pragma clang assume_nonnull end

#endif
