/*
 * Error codes carried in pointers, as Linux's ERR_PTR: a function that
 * returns an object or an error returns the object, or ERR_PTR(-errno),
 * an address in the last page of the address space that no object has.
 */
#ifndef PAGODA_ERR_H
#define PAGODA_ERR_H

#include <pagoda/types.h>

#define MAX_ERRNO	4095

static inline void *ERR_PTR(long err)
{
	return (void *)err;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return (uintptr_t)ptr >= (uintptr_t)-MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

#endif
