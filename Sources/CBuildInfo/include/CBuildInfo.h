#ifndef DOCTOR_CBUILDINFO_H
#define DOCTOR_CBUILDINFO_H

#pragma clang assume_nonnull begin

/// The git commit the binary was built from, as the build passed it on the compiler's command line
/// (`-Xcc -DDOCTOR_BUILD_COMMIT=HEX`, plus `-Xcc -DDOCTOR_BUILD_DIRTY=1` for a work tree with
/// uncommitted changes: "HEX-dirty"); "unknown" for a build that passed none (a plain
/// `swift build`, a build from a source tarball).
const char *doctor_build_commit(void);

#pragma clang assume_nonnull end

#endif
