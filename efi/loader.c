/*
 * BOOTX64.EFI: the Pagoda loader (gnu-efi).
 *
 * 1. Reads \pagoda\kernel.elf, \pagoda\cmdline.txt (optional) and
 *    \pagoda\initrd.img (optional) from the volume it was started from.
 *    Under QEMU the fw_cfg file opt/pagoda/cmdline overrides cmdline.txt.
 * 2. Validates the kernel ELF (efi/elf_check.c); on a bad one prints
 *    "pagoda-loader: error: ..." and returns to the firmware.
 * 3. Loads the PT_LOAD segments into PAGODA_MEM_KERNEL pages.
 * 4. Collects GOP framebuffer, ACPI RSDP, TSC frequency into struct boot_info.
 * 5. Chooses 4- or 5-level paging (LA57 in CPUID and no `no5lvl` on the
 *    command line), builds hand-over page tables (efi/bootpt.c).
 * 6. Exits boot services (retrying when the map key changed) and jumps
 *    through the trampoline (efi/trampoline.asm), which switches CR4.LA57/CR3.
 * docs/boot-protocol.md describes the state the kernel is entered in.
 */
#include <efi.h>
#include <efilib.h>
#include <pagoda/boot_info.h>
#include <pagoda/elf.h>
#include "bootpt.h"
#include "elf_check.h"

#define KERNEL_WINDOW_LO	0xffffffff80000000ULL
#define KERNEL_WINDOW_HI	0xfffffffffffff000ULL
#define KERNEL_MAX_SPAN		(512ULL << 20)
#define DIRECT_MAP_L4		0xffff888000000000ULL
#define DIRECT_MAP_L5		0xff11000000000000ULL
#define BELOW_4G		0xffffffffULL
#define TRAMP_ENTRY		64

extern const unsigned char tramp_blob[] __attribute__((visibility("hidden")));
extern const unsigned char tramp_blob_end[] __attribute__((visibility("hidden")));

struct tramp_args {
	UINT64 cr3, la57, entry, boot_info, stack;
};

static EFI_HANDLE image_handle;

#define fail(...) do { Print(L"pagoda-loader: error: " __VA_ARGS__); return EFI_LOAD_ERROR; } while (0)

/* ---------------------------------------------------------------- files */

static EFI_FILE_HANDLE open_boot_volume(void)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root;

	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image_handle,
					&LoadedImageProtocol, (void **)&li)))
		return NULL;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle,
					&FileSystemProtocol, (void **)&fs)))
		return NULL;
	if (EFI_ERROR(uefi_call_wrapper(fs->OpenVolume, 2, fs, &root)))
		return NULL;
	return root;
}

/*
 * Read a whole file into newly allocated pages of @mem_type (below 4 GiB if
 * @below_4g). Returns EFI_NOT_FOUND if absent.
 */
static EFI_STATUS read_file(EFI_FILE_HANDLE root, CHAR16 *path, UINT32 mem_type,
			    BOOLEAN below_4g, void **data, UINT64 *size)
{
	EFI_FILE_HANDLE f;
	EFI_FILE_INFO *info;
	EFI_PHYSICAL_ADDRESS addr = BELOW_4G;
	EFI_STATUS st;
	UINTN n;

	st = uefi_call_wrapper(root->Open, 5, root, &f, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	info = LibFileInfo(f);
	if (!info) {
		uefi_call_wrapper(f->Close, 1, f);
		return EFI_DEVICE_ERROR;
	}
	*size = info->FileSize;
	FreePool(info);
	st = uefi_call_wrapper(BS->AllocatePages, 4,
			       below_4g ? AllocateMaxAddress : AllocateAnyPages,
			       mem_type, EFI_SIZE_TO_PAGES(*size + 1), &addr);
	if (!EFI_ERROR(st)) {
		n = *size;
		st = uefi_call_wrapper(f->Read, 3, f, &n, (void *)(UINTN)addr);
		if (!EFI_ERROR(st) && n != *size)
			st = EFI_END_OF_FILE;
		((char *)(UINTN)addr)[*size] = 0;
		*data = (void *)(UINTN)addr;
	}
	uefi_call_wrapper(f->Close, 1, f);
	return st;
}

/* ---------------------------------------------------------- QEMU fw_cfg */

static inline void outw(UINT16 port, UINT16 v)
{
	__asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline UINT8 inb(UINT16 port)
{
	UINT8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void fw_cfg_read(UINT16 key, void *buf, UINTN len)
{
	outw(0x510, key);
	for (UINTN i = 0; i < len; i++)
		((UINT8 *)buf)[i] = inb(0x511);
}

static int running_under_hypervisor(void)
{
	UINT32 a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return (c >> 31) & 1;
}

/* Copy fw_cfg file opt/pagoda/cmdline into @out; 1 if found. QEMU only. */
static int fw_cfg_cmdline(char *out, UINTN max)
{
	char sig[4];
	UINT32 count;

	if (!running_under_hypervisor())
		return 0;
	fw_cfg_read(0x0000, sig, 4);
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U')
		return 0;
	fw_cfg_read(0x0019, &count, 4);
	count = __builtin_bswap32(count);
	for (UINT32 i = 0; i < count && i < 4096; i++) {
		struct { UINT32 size; UINT16 select; UINT16 rsvd; char name[56]; } e;

		/* the directory is read sequentially: keep reading entries */
		for (UINTN k = 0; k < sizeof(e); k++)
			((UINT8 *)&e)[k] = inb(0x511);
		if (strcmpa((CHAR8 *)e.name, (CHAR8 *)"opt/pagoda/cmdline") == 0) {
			UINT32 size = __builtin_bswap32(e.size);

			if (size >= max)
				size = max - 1;
			fw_cfg_read(__builtin_bswap16(e.select), out, size);
			out[size] = 0;
			return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ cmdline */

static void set_cmdline(struct boot_info *bi, const char *src, UINT64 len, UINT32 source)
{
	UINT64 n = 0;

	for (UINT64 i = 0; i < len && src[i] && n < BOOT_CMDLINE_MAX - 1; i++) {
		char c = src[i];

		bi->cmdline[n++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	while (n && bi->cmdline[n - 1] == ' ')
		n--;
	bi->cmdline[n] = 0;
	bi->cmdline_source = source;
}

static int cmdline_has(const char *cmdline, const char *word)
{
	UINTN wl = strlena((CHAR8 *)word);

	for (const char *p = cmdline; *p; ) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if ((UINTN)(p - s) == wl && strncmpa((CHAR8 *)s, (CHAR8 *)word, wl) == 0)
			return 1;
	}
	return 0;
}

/*
 * The value of a `key=0xHEX` word of @cmdline in @out; 1 if present and a
 * well-formed hexadecimal number, else 0 (and @out untouched).
 */
static int cmdline_hex(const char *cmdline, const char *key, UINT64 *out)
{
	UINTN kl = strlena((CHAR8 *)key);

	for (const char *p = cmdline; *p; ) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if ((UINTN)(p - s) <= kl + 3 || strncmpa((CHAR8 *)s, (CHAR8 *)key, kl) ||
		    s[kl] != '=' || s[kl + 1] != '0' || (s[kl + 2] | 0x20) != 'x')
			continue;
		UINT64 v = 0;
		const char *d;

		for (d = s + kl + 3; d < p; d++) {
			char c = *d | 0x20;

			if (c >= '0' && c <= '9')
				v = (v << 4) | (UINT64)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v = (v << 4) | (UINT64)(c - 'a' + 10);
			else
				break;
		}
		if (d == p) {
			*out = v;
			return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- kernel */

/*
 * Copy the PT_LOAD segments into one block of PAGODA_MEM_KERNEL pages: at
 * the page-aligned physical address @want when it is non-zero and those pages
 * are free (a reproducible placement for experiments, `kernel_phys=0x...`),
 * else wherever the firmware chooses.
 */
static EFI_STATUS load_kernel(const void *image, const struct kelf_span *span,
			      UINT64 want, struct boot_info *bi)
{
	const Elf64_Ehdr *eh = image;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)image + eh->e_phoff);
	EFI_PHYSICAL_ADDRESS base = want;
	UINT64 bytes = span->hi - span->lo;
	EFI_STATUS st = EFI_NOT_FOUND;

	if (want && !(want & 4095))
		st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress,
				       PAGODA_MEM_KERNEL, EFI_SIZE_TO_PAGES(bytes), &base);
	if (want && EFI_ERROR(st))
		Print(L"pagoda-loader: kernel_phys=%lx not available (%r): placing it anywhere\n",
		      want, st);
	if (EFI_ERROR(st))
		st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
				       PAGODA_MEM_KERNEL, EFI_SIZE_TO_PAGES(bytes), &base);
	if (EFI_ERROR(st))
		return st;
	SetMem((void *)(UINTN)base, bytes, 0);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		CopyMem((void *)(UINTN)(base + ph[i].p_vaddr - span->lo),
			(const char *)image + ph[i].p_offset, ph[i].p_filesz);
	}
	bi->kernel_phys = base;
	bi->kernel_virt = span->lo;
	bi->kernel_size = bytes;
	return EFI_SUCCESS;
}

/* ------------------------------------------------------ platform info */

static void find_acpi_and_gop(struct boot_info *bi)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (!CompareGuid(&t->VendorGuid, &acpi20))
			bi->acpi_rsdp = (UINT64)(UINTN)t->VendorTable;
		else if (!CompareGuid(&t->VendorGuid, &acpi10) && !bi->acpi_rsdp)
			bi->acpi_rsdp = (UINT64)(UINTN)t->VendorTable;
	}
	if (!EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &GraphicsOutputProtocol,
					 NULL, (void **)&gop)) && gop->Mode) {
		EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;

		bi->fb.base = gop->Mode->FrameBufferBase;
		bi->fb.size = gop->Mode->FrameBufferSize;
		bi->fb.width = mi->HorizontalResolution;
		bi->fb.height = mi->VerticalResolution;
		bi->fb.pitch = mi->PixelsPerScanLine;
		bi->fb.format = mi->PixelFormat;
		bi->fb.red_mask = mi->PixelInformation.RedMask;
		bi->fb.green_mask = mi->PixelInformation.GreenMask;
		bi->fb.blue_mask = mi->PixelInformation.BlueMask;
		bi->fb.reserved_mask = mi->PixelInformation.ReservedMask;
	}
}

static inline UINT64 rdtsc(void)
{
	UINT32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((UINT64)hi << 32) | lo;
}

static UINT64 measure_tsc_hz(void)
{
	UINT64 t0 = rdtsc();

	uefi_call_wrapper(BS->Stall, 1, 20000);	/* 20 ms */
	return (rdtsc() - t0) * 50;
}

static int cpu_has_la57(void)
{
	UINT32 a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	if (a < 7)
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	return (c >> 16) & 1;
}

static int firmware_la57(void)
{
	UINT64 cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return (cr4 >> 12) & 1;
}

/* ---------------------------------------------------------- memory map */

static BOOLEAN is_ram_type(UINT32 type)
{
	switch (type) {
	case EfiReservedMemoryType:
	case EfiUnusableMemory:
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace:
		return FALSE;
	default:
		return TRUE;
	}
}

/* Highest end address of RAM-like memory in the current map. */
static EFI_STATUS scan_memory_map(UINT64 *max_ram)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, map, &key, &dsize, &dver);
	if (st != EFI_BUFFER_TOO_SMALL)
		return st;
	size += 8 * dsize;
	map = AllocatePool(size);
	if (!map)
		return EFI_OUT_OF_RESOURCES;
	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, map, &key, &dsize, &dver);
	*max_ram = 0;
	for (UINTN off = 0; !EFI_ERROR(st) && off < size; off += dsize) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((char *)map + off);
		UINT64 end = d->PhysicalStart + d->NumberOfPages * 4096;

		if (is_ram_type(d->Type) && end > *max_ram)
			*max_ram = end;
	}
	FreePool(map);
	return st;
}

static EFI_STATUS alloc_boot_pages(UINTN pages, void **out)
{
	EFI_PHYSICAL_ADDRESS addr = BELOW_4G;
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
					  PAGODA_MEM_BOOT, pages, &addr);
	*out = (void *)(UINTN)addr;
	if (!EFI_ERROR(st))
		SetMem(*out, pages * 4096, 0);
	return st;
}

/*
 * Direct-map all of [0, max_ram) with 2 MiB leaves (holes included: the
 * kernel rebuilds it precisely), identity-map [0, 4 GiB), map the kernel.
 */
static int build_page_tables(struct bootpt *pt, const struct boot_info *bi, UINT64 max_ram)
{
	UINT64 dmap = pt->levels == 5 ? DIRECT_MAP_L5 : DIRECT_MAP_L4;
	UINT64 top = (max_ram + (1ULL << 21) - 1) & ~((1ULL << 21) - 1);

	if (bootpt_map_2m(pt, 0, 0, 1ULL << 32))
		return -1;
	if (bootpt_map_2m(pt, dmap, 0, top))
		return -1;
	return bootpt_map_4k(pt, bi->kernel_virt, bi->kernel_phys, bi->kernel_size);
}

/*
 * Final GetMemoryMap + ExitBootServices. The map buffer is pre-sized with
 * slack since allocating between the two calls is not allowed; a changed map
 * key makes ExitBootServices fail, and we simply fetch the map again.
 */
static EFI_STATUS exit_boot_services(struct boot_info *bi, void *buf, UINTN buf_size)
{
	EFI_STATUS st = EFI_INVALID_PARAMETER;

	bi->tsc_exit_boot = rdtsc();
	for (int tries = 0; tries < 8; tries++) {
		UINTN size = buf_size, key, dsize;
		UINT32 dver;

		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, buf, &key, &dsize, &dver);
		if (EFI_ERROR(st))
			return st;
		bi->mmap_phys = (UINT64)(UINTN)buf;
		bi->mmap_size = size;
		bi->mmap_desc_size = dsize;
		bi->mmap_desc_version = dver;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image_handle, key);
		if (!EFI_ERROR(st))
			return st;
	}
	return st;
}

/* ---------------------------------------------------------------- main */

EFI_STATUS efi_main(EFI_HANDLE handle, EFI_SYSTEM_TABLE *systab)
{
	EFI_FILE_HANDLE root;
	struct boot_info *bi;
	struct kelf_span span;
	struct bootpt pt;
	enum kelf_error kerr;
	void *kimage, *file, *pool, *tramp, *mmap_buf;
	UINT64 ksize, fsize, max_ram = 0, want_phys, tsc0 = rdtsc();
	UINTN pool_pages, mmap_pages = 16;
	EFI_STATUS st;
	char fwcmd[BOOT_CMDLINE_MAX];

	image_handle = handle;
	InitializeLib(handle, systab);
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	Print(L"pagoda-loader: starting\n");

	if (EFI_ERROR(alloc_boot_pages(1, (void **)&bi)))
		fail(L"out of memory below 4 GiB\n");
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->tsc_loader_start = tsc0;
	bi->efi_system_table = (UINT64)(UINTN)systab;

	root = open_boot_volume();
	if (!root)
		fail(L"cannot open the boot volume\n");
	st = read_file(root, L"\\pagoda\\kernel.elf", EfiLoaderData, FALSE, &kimage, &ksize);
	if (EFI_ERROR(st))
		fail(L"cannot read \\pagoda\\kernel.elf: %r\n", st);
	kerr = kelf_check(kimage, ksize, KERNEL_WINDOW_LO, KERNEL_WINDOW_HI,
			  KERNEL_MAX_SPAN, &span);
	if (kerr != KELF_OK) {
		Print(L"pagoda-loader: error: \\pagoda\\kernel.elf is not a valid kernel: %a\n",
		      kelf_strerror(kerr));
		Print(L"pagoda-loader: returning to the firmware\n");
		uefi_call_wrapper(BS->Stall, 1, 3000000);
		return EFI_LOAD_ERROR;
	}

	if (fw_cfg_cmdline(fwcmd, sizeof(fwcmd)))
		set_cmdline(bi, fwcmd, sizeof(fwcmd), BOOT_CMDLINE_FW_CFG);
	else if (!EFI_ERROR(read_file(root, L"\\pagoda\\cmdline.txt", EfiLoaderData,
				      FALSE, &file, &fsize)))
		set_cmdline(bi, file, fsize, BOOT_CMDLINE_FILE);
	st = read_file(root, L"\\pagoda\\initrd.img", PAGODA_MEM_INITRD, FALSE, &file, &fsize);
	if (!EFI_ERROR(st)) {
		bi->initrd_phys = (UINT64)(UINTN)file;
		bi->initrd_size = fsize;
	} else if (st != EFI_NOT_FOUND) {
		fail(L"cannot read \\pagoda\\initrd.img: %r\n", st);
	}

	if (!cmdline_hex(bi->cmdline, "kernel_phys", &want_phys))
		want_phys = 0;
	st = load_kernel(kimage, &span, want_phys, bi);
	if (EFI_ERROR(st))
		fail(L"cannot allocate memory for the kernel: %r\n", st);
	find_acpi_and_gop(bi);
	bi->tsc_hz = measure_tsc_hz();
	bi->firmware_la57 = firmware_la57();
	bi->paging_levels = (cpu_has_la57() && !cmdline_has(bi->cmdline, "no5lvl")) ? 5 : 4;
	Print(L"pagoda-loader: kernel %lx bytes at phys %lx, cmdline \"%a\", %d-level paging\n",
	      bi->kernel_size, bi->kernel_phys, bi->cmdline, bi->paging_levels);

	st = scan_memory_map(&max_ram);
	if (EFI_ERROR(st))
		fail(L"GetMemoryMap failed: %r\n", st);
	pool_pages = 16 + 2 * (max_ram >> 30) + (bi->kernel_size >> 21);
	if (EFI_ERROR(alloc_boot_pages(pool_pages, &pool)) ||
	    EFI_ERROR(alloc_boot_pages(1, &tramp)) ||
	    EFI_ERROR(alloc_boot_pages(mmap_pages, &mmap_buf)))
		fail(L"out of memory below 4 GiB\n");
	if (bootpt_init(&pt, pool, pool_pages, bi->paging_levels) ||
	    build_page_tables(&pt, bi, max_ram))
		fail(L"boot page-table pool exhausted\n");

	CopyMem(tramp, tramp_blob, tramp_blob_end - tramp_blob);
	struct tramp_args *ta = tramp;
	ta->cr3 = (UINT64)(UINTN)pt.root;
	ta->la57 = bi->paging_levels == 5;
	ta->entry = ((const Elf64_Ehdr *)kimage)->e_entry;
	ta->boot_info = (UINT64)(UINTN)bi;
	ta->stack = (UINT64)(UINTN)tramp + 4096;

	st = exit_boot_services(bi, mmap_buf, mmap_pages * 4096);
	if (EFI_ERROR(st))
		fail(L"ExitBootServices failed: %r\n", st);
	/* No firmware services from here on. */
	((void (*)(void))((char *)tramp + TRAMP_ENTRY))();
	for (;;)
		__asm__ volatile("hlt");
}
