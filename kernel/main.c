/*
 * kernel_main: from the loader's hand-over to a running kernel.
 * Order matters and is explained in docs/boot-protocol.md:
 *   console -> CPU features -> patch nop sites -> own GDT/IDT -> CPU
 *   protections -> memory map -> buddy allocator -> own page tables ->
 *   reclaim boot memory -> kmalloc -> tests.
 */
#include <pagoda/acpi.h>
#include <pagoda/boot_info.h>
#include <pagoda/cmdline.h>
#include <pagoda/fs.h>
#include <pagoda/init.h>
#include <pagoda/console.h>
#include <pagoda/ktest.h>
#include <pagoda/power.h>
#include <pagoda/printk.h>
#include <pagoda/sections.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <asm/alternative.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <mm/arch.h>
#include <mm/kmap.h>
#include <mm/layout.h>
#include <mm/memmap.h>
#include <mm/pgtable.h>
#include <mm/pmm.h>
#include <mm/slab.h>
#include "crashtest.h"

static struct boot_info boot_info;
static struct memmap boot_memmap;
struct page_table kernel_pt;

void kernel_main(u64 boot_info_phys);

/* The kernel's copy of what the loader handed over (initrd, framebuffer...). */
const struct boot_info *boot_info_get(void)
{
	return &boot_info;
}

const struct memmap *kernel_memmap(void)
{
	return &boot_memmap;
}

static void set_paging_mode(void)
{
	pgtable_levels = (read_cr4() & CR4_LA57) ? 5 : 4;
	direct_map_base = pgtable_levels == 5 ? DIRECT_MAP_BASE_L5 : DIRECT_MAP_BASE_L4;
}

/* Copy what the loader handed over out of PAGODA_MEM_BOOT memory. */
static void copy_boot_info(u64 phys)
{
	const struct boot_info *bi = phys_to_virt(phys);

	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION)
		panic("kernel_main: bad boot_info (magic %llx version %u)",
		      (unsigned long long)bi->magic, bi->version);
	memcpy(&boot_info, bi, MIN((size_t)bi->size, sizeof(boot_info)));
}

/* The command line and the memory map of the copied boot_info. */
static void parse_boot_info(void)
{
	int err;

	cmdline_init(boot_info.cmdline);
	err = memmap_parse_efi(&boot_memmap, phys_to_virt(boot_info.mmap_phys),
			       boot_info.mmap_size, boot_info.mmap_desc_size);
	if (err)
		panic("kernel_main: unusable UEFI memory map (error %d)", err);
}

/*
 * Optional instructions the CPU lacks become NOPs (asm/alternative.h).
 * Before gdt_init()/idt_init() on purpose: until our IDT is loaded no code
 * of ours can run on an exception, so nothing sees a half-patched site.
 */
static unsigned int nop_sites_patched;

static void patch_kernel_text(void)
{
	nop_sites_patched = alternatives_apply(boot_info.kernel_phys);
}

static void print_banner(void)
{
	static const char *const sources[] = { "none", "cmdline.txt", "QEMU fw_cfg" };
	const struct boot_info *bi = &boot_info;

	printk("pagoda: kernel entry\n");
	printk("pagoda: command line \"%s\" (from %s)\n", bi->cmdline,
	       sources[bi->cmdline_source < 3 ? bi->cmdline_source : 0]);
	printk("pagoda: loader ran %llu ms before handing over; TSC %llu MHz\n",
	       (unsigned long long)(tsc_to_ns(rdtsc() - bi->tsc_loader_start) / 1000000),
	       (unsigned long long)(bi->tsc_hz / 1000000));
	printk("pagoda: paging mode: %u-level (CR4.LA57=%d), firmware handed over %s LA57\n",
	       pgtable_levels, (int)((read_cr4() & CR4_LA57) != 0),
	       bi->firmware_la57 ? "with" : "without");
	printk("pagoda: kernel image %llu KiB at phys %llx, virt %llx\n",
	       (unsigned long long)(bi->kernel_size >> 10),
	       (unsigned long long)bi->kernel_phys, (unsigned long long)bi->kernel_virt);
	if (bi->fb.base)
		printk("pagoda: framebuffer %ux%u at %llx\n", bi->fb.width, bi->fb.height,
		       (unsigned long long)bi->fb.base);
	printk("pagoda: ACPI RSDP at %llx\n", (unsigned long long)bi->acpi_rsdp);
}

/*
 * The memory map, one line per run of adjacent ranges with the same use
 * (firmware maps alternate boot code/data pages by the hundred).
 */
static void print_memmap(void)
{
	static const char *const uses[] = { "usable", "usable after boot", "kept", "not RAM" };
	const struct memmap *m = &boot_memmap;

	printk("memory map: %u UEFI ranges, shown merged by use:\n", m->nr);
	for (unsigned int i = 0, j; i < m->nr; i = j) {
		unsigned int types = 0;

		for (j = i; j < m->nr && m->range[j].use == m->range[i].use &&
			    (j == i || m->range[j].start == m->range[j - 1].end); j++)
			types += j == i || m->range[j].efi_type != m->range[j - 1].efi_type;
		printk("  [mem %#014llx-%#014llx] %9llu KiB %-17s %s%s\n",
		       (unsigned long long)m->range[i].start,
		       (unsigned long long)m->range[j - 1].end - 1,
		       (unsigned long long)((m->range[j - 1].end - m->range[i].start) >> 10),
		       uses[m->range[i].use], memmap_type_name(m->range[i].efi_type),
		       types > 1 ? " and others" : "");
	}
}

/* struct page array for the whole RAM span, carved out of usable memory. */
static void setup_pmm(void)
{
	pfn_t lo, hi;
	u64 bytes;
	phys_addr_t array;
	unsigned long given;

	memmap_ram_span(&boot_memmap, &lo, &hi);
	bytes = (hi - lo) * sizeof(struct page);
	array = memmap_carve(&boot_memmap, bytes, PAGE_SIZE, PAGODA_MEM_PAGE_ARRAY);
	if (!array)
		panic("setup_pmm: no room for %llu bytes of struct page",
		      (unsigned long long)bytes);
	pmm_init(&kernel_pmm, phys_to_virt(array), lo, hi - lo);
	given = memmap_free_to_pmm(&boot_memmap, &kernel_pmm, MEM_USABLE);
	printk("pmm: struct page is %zu bytes; %llu KiB array for pfns %llx-%llx at phys %llx\n",
	       sizeof(struct page), (unsigned long long)(bytes >> 10),
	       (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)array);
	printk("pmm: %lu pages given to the buddy allocator\n", given);
}

static void setup_kernel_page_tables(void)
{
	struct kmap_stats st;
	unsigned long late;
	int err = kmap_build(&kernel_pt, &kernel_pmm, &boot_memmap, boot_info.kernel_phys, &st);

	if (err)
		panic("setup_kernel_page_tables: kmap_build failed (%d)", err);
	arch_load_page_table(virt_to_phys(kernel_pt.pgd));
	/* boot_info and the loader's tables were copied or are no longer live */
	late = memmap_free_to_pmm(&boot_memmap, &kernel_pmm, MEM_USABLE_LATE);
	printk("kmap: kernel page tables live: %lu table pages, direct map of %lu MiB RAM; "
	       "%lu loader pages reclaimed\n", kernel_pt.nr_table_pages,
	       st.direct_map_bytes >> 20, late);
}

extern const struct initcall __initcall_start[], __initcall_end[];
extern const struct initcall __late_initcall_start[], __late_initcall_end[];

/* Start every subsystem that registered an init call, level by level. */
static void run_initcalls(void)
{
	for (const struct initcall *c = __initcall_start; c < __initcall_end; c++) {
		int err = c->fn();

		if (err)
			panic("run_initcalls: %s failed (%d)", c->name, err);
	}
}

/* The late init calls run user-space work; they return failed-test counts. */
static int run_late_initcalls(void)
{
	int failed = 0;

	for (const struct initcall *c = __late_initcall_start; c < __late_initcall_end; c++)
		failed += c->fn();
	return failed;
}

static void print_memory_summary(void)
{
	unsigned long ram = 0;

	for (unsigned int i = 0; i < boot_memmap.nr; i++)
		if (boot_memmap.range[i].use != MEM_NOT_RAM)
			ram += PHYS_PFN(boot_memmap.range[i].end - boot_memmap.range[i].start);
	printk("pmm: after boot %lu free pages of %lu RAM pages (%lu MiB free of %lu MiB)\n",
	       pmm_nr_free(&kernel_pmm), ram, pmm_nr_free(&kernel_pmm) >> 8, ram >> 8);
}

void kernel_main(u64 boot_info_phys)
{
	int failed = 0;
	char arg[128];

	serial_init();
	cpu_detect_features();
	set_paging_mode();
	copy_boot_info(boot_info_phys);
	patch_kernel_text();
	gdt_init();
	idt_init();
	parse_boot_info();
	time_init(boot_info.tsc_hz);
	print_banner();
	cpu_enable_protections();
	cpu_print_features();
	printk("alternatives: %u of %u nop sites patched to NOPs\n", nop_sites_patched,
	       (unsigned int)(__nop_sites_end - __nop_sites_start));
	print_memmap();
	setup_pmm();
	setup_kernel_page_tables();
	kmalloc_init();
	acpi_init();
	run_initcalls();
	print_memory_summary();
	printk("pagoda: boot complete\n");

	if (cmdline_value("crash", arg, sizeof(arg)))
		crashtest_run(arg);
	if (cmdline_has("ktest"))
		failed = ktest_run_all(NULL);
	else if (cmdline_value("ktest", arg, sizeof(arg)))
		failed = ktest_run_all(arg);
	failed += run_late_initcalls();
	unmount_all();			/* sync, then unmount what user space mounted */
	print_memory_summary();
	printk("pagoda: done, powering off\n");
	machine_poweroff(failed ? POWEROFF_TESTS_FAILED : POWEROFF_OK);
}
