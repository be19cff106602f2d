// Nothing here: the module only declares libFuzzer's driver (include/CFuzz.h).
#include "CFuzz.h"
