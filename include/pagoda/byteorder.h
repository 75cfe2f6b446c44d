/*
 * Little-endian on-disk and on-wire fields. A field declared __le16/__le32/
 * __le64 is a one-member struct, so the compiler refuses any use of it that
 * does not go through the helpers below: a format parser cannot forget a
 * conversion. x86 is little-endian, so the helpers are plain loads and
 * stores; a big-endian port would swap bytes here and nowhere else.
 * Host-compilable.
 */
#ifndef PAGODA_BYTEORDER_H
#define PAGODA_BYTEORDER_H

#include <pagoda/types.h>

typedef struct { u16 v; } __le16;
typedef struct { u32 v; } __le32;
typedef struct { u64 v; } __le64;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pagoda/byteorder.h: only little-endian hosts and targets are supported"
#endif

static inline u16 le16_to_cpu(__le16 x) { return x.v; }
static inline u32 le32_to_cpu(__le32 x) { return x.v; }
static inline u64 le64_to_cpu(__le64 x) { return x.v; }
static inline __le16 cpu_to_le16(u16 x) { return (__le16){ x }; }
static inline __le32 cpu_to_le32(u32 x) { return (__le32){ x }; }
static inline __le64 cpu_to_le64(u64 x) { return (__le64){ x }; }

/* Read-modify-write of a field in place: le32_add(&f, -1). */
static inline void le16_add(__le16 *f, int d) { f->v = (u16)(f->v + d); }
static inline void le32_add(__le32 *f, int d) { f->v = (u32)(f->v + d); }

#endif
