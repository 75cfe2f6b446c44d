/* hello: the smallest user program; also checks what exec handed over. */
#include "utest.h"
#include <sys/auxv.h>

extern char **environ;

int main(int argc, char **argv)
{
	ut_plan("hello", 4);
	ut_ok(1, "a static program runs and writes to stdout");
	ut_ok(argc >= 1 && argv[0] && argv[argc] == NULL,
	      "argv is NULL-terminated and names the program");
	ut_ok(environ != NULL && getenv("HOME") != NULL, "the environment reaches main");
	ut_ok(getauxval(AT_PAGESZ) == 4096 && getauxval(AT_RANDOM) != 0 &&
	      getauxval(AT_PHDR) != 0 && getauxval(AT_ENTRY) != 0,
	      "the auxiliary vector has AT_PAGESZ, AT_RANDOM, AT_PHDR and AT_ENTRY");
	return ut_done();
}
