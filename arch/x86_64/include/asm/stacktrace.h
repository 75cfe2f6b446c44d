#ifndef ASM_STACKTRACE_H
#define ASM_STACKTRACE_H

#include <pagoda/types.h>

/*
 * Print "Call trace:" and one symbolised line per frame, starting at @rip
 * and following the frame-pointer chain from @rbp (kernel is built with
 * -fno-omit-frame-pointer). Stops at a zero or implausible frame pointer.
 */
void show_backtrace(uintptr_t rip, uintptr_t rbp);

/* Print "  [<addr>] name+off/size" for one address. */
void print_symbol_line(uintptr_t addr);

#endif
