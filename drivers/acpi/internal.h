/* Little-endian field readers shared by the ACPI parsers. Host-compilable. */
#ifndef DRIVERS_ACPI_INTERNAL_H
#define DRIVERS_ACPI_INTERNAL_H

#include <pagoda/types.h>

static inline u16 acpi_get16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static inline u32 acpi_get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u64 acpi_get64(const u8 *p)
{
	return (u64)acpi_get32(p) | (u64)acpi_get32(p + 4) << 32;
}

#endif
