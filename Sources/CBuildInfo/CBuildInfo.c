#include "CBuildInfo.h"

// The value arrives as bare tokens and is made a string here, so no quotes have to survive the
// shell, SwiftPM and the compiler driver on the way. scripts/install passes only [0-9a-f]{7,40}.
#define DOCTOR_STRINGIFY_(value) #value
#define DOCTOR_STRINGIFY(value) DOCTOR_STRINGIFY_(value)

const char *doctor_build_commit(void) {
#if defined(DOCTOR_BUILD_COMMIT) && defined(DOCTOR_BUILD_DIRTY)
    return DOCTOR_STRINGIFY(DOCTOR_BUILD_COMMIT) "-dirty";
#elif defined(DOCTOR_BUILD_COMMIT)
    return DOCTOR_STRINGIFY(DOCTOR_BUILD_COMMIT);
#else
    return "unknown";
#endif
}
