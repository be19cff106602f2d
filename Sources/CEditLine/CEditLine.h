// libedit's readline-compatible layer. stdio.h first: the header uses FILE without including it on
// every platform. Not /usr/include/readline, which is GNU readline.
#include <stdio.h>
#include <editline/readline.h>
