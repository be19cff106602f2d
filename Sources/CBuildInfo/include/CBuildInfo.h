#ifndef DOCTOR_CBUILDINFO_H
#define DOCTOR_CBUILDINFO_H

#pragma clang assume_nonnull begin

/// The git commit the binary was built from ("HEX", or "HEX-dirty" for a work tree with
/// uncommitted changes), as a `doctor_build_info.h` on the include path declares it
/// (scripts/install writes one into its scratch folder and passes `-Xcc -I` to it); "unknown" for a
/// build without one (a plain `swift build`, a build from a source tarball).
const char *doctor_build_commit(void);

#pragma clang assume_nonnull end

#endif
