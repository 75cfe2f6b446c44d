/*
 * The boot protocol between efi/ (the loader) and the kernel: one versioned
 * struct, built by the loader in memory of type PAGODA_MEM_BOOT and handed to
 * the kernel entry point in %rdi as a *physical* address. Shared verbatim by
 * both sides; docs/boot-protocol.md describes the hand-over state.
 *
 * Compatibility rule: fields are only ever appended; `size` tells the kernel
 * how much of the struct the loader filled, `version` bumps when a field's
 * meaning changes.
 */
#ifndef PAGODA_BOOT_INFO_H
#define PAGODA_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC		0x4f464e4941444f47ULL	/* "GODAINFO" */
#define BOOT_INFO_VERSION	1

/*
 * OS-defined UEFI memory types (the spec reserves 0x80000000..0xffffffff for
 * the OS loader). The kernel's memory map code decides when each becomes
 * usable (docs/physical-memory.md).
 */
#define PAGODA_MEM_KERNEL	0x80000001u	/* kernel image: kept */
#define PAGODA_MEM_INITRD	0x80000002u	/* initrd: kept until consumed */
#define PAGODA_MEM_BOOT		0x80000003u	/* boot_info, memory map, boot page
						   tables, trampoline: freed once the
						   kernel runs on its own tables */

#define BOOT_CMDLINE_MAX	512

/* UEFI memory descriptor (UEFI spec 7.2); step through the map by mmap_desc_size. */
struct efi_memory_descriptor {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t nr_pages;		/* 4 KiB pages */
	uint64_t attribute;
};

/* UEFI memory types */
enum efi_memory_type {
	EFI_RESERVED_MEMORY = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_RUNTIME_SERVICES_CODE = 5,
	EFI_RUNTIME_SERVICES_DATA = 6,
	EFI_CONVENTIONAL_MEMORY = 7,
	EFI_UNUSABLE_MEMORY = 8,
	EFI_ACPI_RECLAIM_MEMORY = 9,
	EFI_ACPI_MEMORY_NVS = 10,
	EFI_MEMORY_MAPPED_IO = 11,
	EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
	EFI_PAL_CODE = 13,
	EFI_PERSISTENT_MEMORY = 14,
	EFI_UNACCEPTED_MEMORY = 15,
};

struct boot_framebuffer {
	uint64_t base;			/* physical; 0 if no GOP */
	uint64_t size;
	uint32_t width, height;
	uint32_t pitch;			/* pixels per scan line */
	uint32_t format;		/* EFI_GRAPHICS_PIXEL_FORMAT */
	uint32_t red_mask, green_mask, blue_mask, reserved_mask;
};

struct boot_info {
	uint64_t magic;			/* BOOT_INFO_MAGIC */
	uint32_t version;		/* BOOT_INFO_VERSION */
	uint32_t size;			/* sizeof(struct boot_info) as built */

	/* UEFI memory map, as returned by the final GetMemoryMap() */
	uint64_t mmap_phys;		/* array of EFI_MEMORY_DESCRIPTOR */
	uint64_t mmap_size;		/* bytes used */
	uint64_t mmap_desc_size;	/* stride: use this, not sizeof */
	uint32_t mmap_desc_version;
	uint32_t paging_levels;		/* 4 or 5: what the loader switched to */

	/* the kernel image as loaded */
	uint64_t kernel_phys;		/* physical address of the lowest segment */
	uint64_t kernel_virt;		/* its virtual address */
	uint64_t kernel_size;		/* bytes spanned, page rounded */

	uint64_t initrd_phys;		/* 0 if none */
	uint64_t initrd_size;

	uint64_t acpi_rsdp;		/* physical; 0 if none */
	uint64_t efi_system_table;	/* physical; runtime services only */

	struct boot_framebuffer fb;

	uint64_t tsc_hz;		/* measured by the loader with Stall() */
	uint64_t tsc_loader_start;	/* rdtsc at loader entry */
	uint64_t tsc_exit_boot;		/* rdtsc just before ExitBootServices */

	uint32_t cmdline_source;	/* enum boot_cmdline_source */
	uint32_t firmware_la57;		/* 1 if firmware handed over with LA57 on */
	char cmdline[BOOT_CMDLINE_MAX];	/* NUL terminated */
};

enum boot_cmdline_source {
	BOOT_CMDLINE_NONE = 0,
	BOOT_CMDLINE_FILE = 1,		/* \pagoda\cmdline.txt on the boot volume */
	BOOT_CMDLINE_FW_CFG = 2,	/* QEMU fw_cfg file opt/pagoda/cmdline */
};

#ifdef __KERNEL__
/* The kernel's copy of this struct, taken at entry (kernel/main.c). */
const struct boot_info *boot_info_get(void);
#endif

#endif
