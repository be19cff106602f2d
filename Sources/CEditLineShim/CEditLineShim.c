#define _GNU_SOURCE // pthread_setname_np, dladdr
#include "CEditLineShim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <editline/readline.h>
#include <histedit.h>

void doctor_editline_configure(const char *name) {
    rl_readline_name = name;
    // Read once by rl_initialize: with it on, libedit installs its own SIGINT handler during every
    // read and re-raises to the whole process group with kill(0, ...).
    rl_catch_signals = 0;
    rl_initialize();
}

static volatile sig_atomic_t interrupts = 0;
static int interrupt_pipe[2] = {-1, -1};

static pthread_t reader_thread;
static volatile sig_atomic_t has_reader = 0;

void doctor_interrupt_set_reader(void) {
    reader_thread = pthread_self();
    has_reader = 1;
#if defined(__APPLE__)
    pthread_setname_np("doctor-session"); // Darwin's names only the calling thread, which this is
#else
    pthread_setname_np(reader_thread, "doctor-session");
#endif
    // A thread inherits its creator's mask, and the pool's threads block every signal.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void on_interrupt(int signo) {
    int saved = errno;
    // The kernel gives a process-directed signal to any thread that does not block it (usually the
    // main thread); only the reading thread's read() must see EINTR, so hand it on.
    if (has_reader && !pthread_equal(pthread_self(), reader_thread)) {
        pthread_kill(reader_thread, signo);
        errno = saved;
        return;
    }
    interrupts++;
    if (interrupt_pipe[1] >= 0) {
        char byte = 1;
        // Non-blocking: a full pipe already says "interrupted".
        (void)!write(interrupt_pipe[1], &byte, 1);
    }
    errno = saved;
}

int doctor_interrupt_install(void) {
    if (interrupt_pipe[0] < 0) {
        if (pipe(interrupt_pipe) != 0) return -1;
        for (int i = 0; i < 2; i++) {
            fcntl(interrupt_pipe[i], F_SETFL, fcntl(interrupt_pipe[i], F_GETFL) | O_NONBLOCK);
            fcntl(interrupt_pipe[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: the blocked read() must return EINTR
    return sigaction(SIGINT, &action, NULL);
}

long doctor_interrupt_count(void) { return (long)interrupts; }

int doctor_interrupt_fd(void) { return interrupt_pipe[0]; }


static struct termios saved_termios;
static int saved_fd = -1;
static const int fatal_signals[] = {SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE};
#define FATAL_COUNT (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction previous_actions[FATAL_COUNT];

void doctor_tty_restore(void) {
    if (saved_fd >= 0) tcsetattr(saved_fd, TCSAFLUSH, &saved_termios);
}

static void on_fatal(int signo) {
    doctor_tty_restore();
    // Hand the signal on to whoever had it before (the Swift runtime's backtracer, or the default).
    for (size_t i = 0; i < FATAL_COUNT; i++) {
        if (fatal_signals[i] == signo) sigaction(signo, &previous_actions[i], NULL);
    }
    raise(signo);
}

static void restore_at_exit(void) { doctor_tty_restore(); }

int doctor_tty_guard_install(int fd) {
    if (tcgetattr(fd, &saved_termios) != 0) return -1;
    if (saved_fd >= 0) { saved_fd = fd; return 0; }
    saved_fd = fd;
    atexit(restore_at_exit);
    for (size_t i = 0; i < FATAL_COUNT; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_fatal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND | SA_NODEFER;
        sigaction(fatal_signals[i], &action, &previous_actions[i]);
    }
    return 0;
}

static volatile sig_atomic_t status_shown = 0;
static int status_fd = -1;
static const int status_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE};
#define STATUS_COUNT (sizeof status_signals / sizeof status_signals[0])
static struct sigaction status_previous[STATUS_COUNT];
static int status_installed[STATUS_COUNT];

void doctor_status_line_shown(int shown) { status_shown = shown; }

static void status_clear(void) {
    if (status_shown && status_fd >= 0) {
        static const char clear[] = "\r\033[K";
        ssize_t ignored = write(status_fd, clear, sizeof clear - 1);
        (void)ignored;
        status_shown = 0;
    }
}

static void on_status_signal(int signo) {
    status_clear();
    // Hand the signal on to whoever had it before (the default ends the process as it would have).
    for (size_t i = 0; i < STATUS_COUNT; i++) {
        if (status_signals[i] == signo && status_installed[i]) sigaction(signo, &status_previous[i], NULL);
    }
    raise(signo);
}

static void status_clear_at_exit(void) { status_clear(); }

void doctor_status_line_guard_install(int fd) {
    if (status_fd >= 0) return;
    status_fd = fd;
    atexit(status_clear_at_exit);
    for (size_t i = 0; i < STATUS_COUNT; i++) {
        struct sigaction current;
        if (sigaction(status_signals[i], NULL, &current) != 0) continue;
        // A SIGINT someone handles (the session's Ctrl-C, the demo's cancellation) or ignores stays
        // theirs: they end the run, and the status line is cleared as the run ends.
        if (status_signals[i] == SIGINT && current.sa_handler != SIG_DFL) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_status_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND | SA_NODEFER;
        if (sigaction(status_signals[i], &action, &status_previous[i]) == 0) status_installed[i] = 1;
    }
}

ssize_t doctor_read_secret(int fd, char *buffer, size_t size) {
    if (size == 0) return -1;
    struct termios original, quiet;
    int terminal = tcgetattr(fd, &original) == 0;
    if (terminal) {
        quiet = original;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    long before = interrupts;
    size_t length = 0;
    ssize_t result = -1;
    for (;;) {
        char byte;
        ssize_t got = read(fd, &byte, 1);
        if (got < 0 && errno == EINTR) {
            if (interrupts != before) { result = -2; break; }
            continue;
        }
        if (got <= 0) { result = length > 0 ? (ssize_t)length : -1; break; }
        if (byte == '\n' || byte == '\r') { result = (ssize_t)length; break; }
        if (length + 1 < size) buffer[length++] = byte;
    }
    if (result < 0) memset(buffer, 0, size); // never leave half a secret behind
    buffer[length < size ? length : size - 1] = '\0';
    if (terminal) tcsetattr(fd, TCSAFLUSH, &original);
    return result;
}

#define DOCTOR_EDITLINE_STRINGIFY_(value) #value
#define DOCTOR_EDITLINE_STRINGIFY(value) DOCTOR_EDITLINE_STRINGIFY_(value)

const char *doctor_editline_header_version(void) {
    return DOCTOR_EDITLINE_STRINGIFY(LIBEDIT_MAJOR) "." DOCTOR_EDITLINE_STRINGIFY(LIBEDIT_MINOR);
}

const char *doctor_editline_library_path(void) {
    Dl_info info;
    if (dladdr((void *)&readline, &info) == 0 || info.dli_fname == NULL) return NULL;
    return info.dli_fname;
}
