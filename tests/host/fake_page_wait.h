/* Host stand-in for the page lock's sleeping half (tests/host/fake_page_wait.c). */
#ifndef FAKE_PAGE_WAIT_H
#define FAKE_PAGE_WAIT_H

/* Called where the kernel would sleep on a page bit: complete pending I/O. */
extern void (*fake_page_io)(void);
/* How many times something would have slept. */
extern unsigned long fake_page_waits;

#endif
