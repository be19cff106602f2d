// libpq's client API. Nothing in it is variadic, so Swift calls it directly and no shim is needed.
#include <libpq-fe.h>
