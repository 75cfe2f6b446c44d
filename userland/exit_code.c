/* exit_code [N]: exits with status N (default 3): the status reaches the parent. */
#include "utest.h"

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 3;

	ut_plan("exit_code", 1);
	ut_ok(1, "about to exit with the requested status");
	return code;
}
