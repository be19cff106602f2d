#include "CBuildInfo.h"

// Written by scripts/install outside the source tree: `#define DOCTOR_BUILD_COMMIT "HEX"`. Only
// this file includes it, so a new commit recompiles this file and relinks, nothing more.
#if __has_include("doctor_build_info.h")
#include "doctor_build_info.h"
#endif

const char *doctor_build_commit(void) {
#ifdef DOCTOR_BUILD_COMMIT
    return DOCTOR_BUILD_COMMIT;
#else
    return "unknown";
#endif
}
