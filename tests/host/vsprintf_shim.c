/* Compile lib/vsprintf.c under private names so it does not clash with libc. */
#define vsnprintf pagoda_vsnprintf
#define snprintf pagoda_snprintf
#include "../../lib/vsprintf.c"
