/*
 * Ending the machine: power-off through ACPI S5, restart through the FADT
 * reset register, the 8042 or a triple fault (docs/acpi-and-interrupts.md).
 *
 * Both paths run the drivers' shutdown hooks (kernel/shutdown.c; not when
 * the kernel is dying), then work with interrupts off and allocate nothing: registers in
 * memory space are mapped once at boot by power_init(), so an oops or a
 * panic can still power the machine off.
 */
#include <pagoda/acpi.h>
#include <pagoda/cmdline.h>
#include <pagoda/init.h>
#include <pagoda/io.h>
#include <pagoda/power.h>
#include <pagoda/printk.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <asm/cpu.h>
#include <asm/io.h>

#define QEMU_DEBUG_EXIT_PORT	0xf4
#define KBD_STATUS_PORT		0x64
#define KBD_STATUS_IBF		0x02	/* input buffer full: not ready */
#define KBD_CMD_PULSE_RESET	0xfe
#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc

#define SCI_EN_TIMEOUT_MS	1000	/* ACPI spec: the transition may take a while */
#define TAKE_EFFECT_MS		500	/* how long a power-off or reset gets */

/* A register of the FADT, ready to be written from any context. */
struct power_reg {
	struct acpi_gas gas;
	void __iomem *mmio;	/* mapped at boot when gas is in memory space */
};

static struct power_reg pm1a_cnt, pm1b_cnt, reset_reg;
static u8 reset_value;
static bool reset_usable;

/* Map a memory-space register now; I/O and PCI config need no mapping. */
static void power_reg_init(struct power_reg *r, const struct acpi_gas *g)
{
	r->gas = *g;
	r->mmio = NULL;
	if (g->address && g->space_id == ACPI_SPACE_MEMORY)
		r->mmio = ioremap(g->address, 8);
}

static bool power_reg_present(const struct power_reg *r)
{
	return r->gas.address && (r->gas.space_id != ACPI_SPACE_MEMORY || r->mmio);
}

/* Register width in bits: bit_width, else the access size, else @dflt. */
static unsigned int power_reg_width(const struct power_reg *r, unsigned int dflt)
{
	if (r->gas.bit_width == 8 || r->gas.bit_width == 16 || r->gas.bit_width == 32)
		return r->gas.bit_width;
	if (r->gas.access_size >= 1 && r->gas.access_size <= 3)
		return 8u << (r->gas.access_size - 1);
	return dflt;
}

/*
 * Legacy PCI configuration write for a GAS in PCI config space: ACPI puts
 * the device in bits 32-47, the function in 16-31, the offset in 0-15, on
 * bus 0 of segment 0.
 */
static void pci_config_writeb(u64 gas_addr, u8 v)
{
	u32 dev = (gas_addr >> 32) & 0x1f, fn = (gas_addr >> 16) & 7, off = gas_addr & 0xff;

	outl(PCI_CONFIG_ADDRESS, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
	outb(PCI_CONFIG_DATA + (off & 3), v);
}

static u32 power_reg_read(const struct power_reg *r, unsigned int dflt_width)
{
	unsigned int w = power_reg_width(r, dflt_width);
	u16 port = (u16)r->gas.address;

	if (r->gas.space_id == ACPI_SPACE_IO)
		return w == 8 ? inb(port) : w == 16 ? inw(port) : inl(port);
	if (r->mmio)
		return w == 8 ? readb(r->mmio) : w == 16 ? readw(r->mmio) : readl(r->mmio);
	return 0;
}

static void power_reg_write(const struct power_reg *r, unsigned int dflt_width, u32 v)
{
	unsigned int w = power_reg_width(r, dflt_width);
	u16 port = (u16)r->gas.address;

	switch (r->gas.space_id) {
	case ACPI_SPACE_IO:
		if (w == 8)
			outb(port, (u8)v);
		else if (w == 16)
			outw(port, (u16)v);
		else
			outl(port, v);
		break;
	case ACPI_SPACE_MEMORY:
		if (!r->mmio)
			break;
		if (w == 8)
			writeb((u8)v, r->mmio);
		else if (w == 16)
			writew((u16)v, r->mmio);
		else
			writel(v, r->mmio);
		break;
	case ACPI_SPACE_PCI_CONFIG:
		pci_config_writeb(r->gas.address, (u8)v);
		break;
	}
}

/* Busy-wait @ms milliseconds on the TSC (interrupts may be off). */
static void power_delay_ms(u64 ms)
{
	u64 end = time_ns() + ms * 1000000;

	while (time_ns() < end)
		__builtin_ia32_pause();
}

/*
 * Hand the power-management registers to the OS: SMI_CMD <- ACPI_ENABLE,
 * then wait for PM1a_CNT.SCI_EN. Returns false if it never came on.
 */
bool acpi_enable_mode(void)
{
	const struct acpi_fadt *f = acpi_get_fadt();
	u64 deadline;

	if (!f || !power_reg_present(&pm1a_cnt))
		return false;
	if (power_reg_read(&pm1a_cnt, 16) & ACPI_PM1_SCI_EN)
		return true;
	if (!f->smi_cmd || !f->acpi_enable) {
		printk("acpi: SCI_EN is clear and the FADT gives no way to set it\n");
		return false;
	}
	printk("acpi: enabling ACPI mode (SMI_CMD %#x <- %#x)\n", f->smi_cmd, f->acpi_enable);
	outb((u16)f->smi_cmd, f->acpi_enable);
	deadline = time_ns() + SCI_EN_TIMEOUT_MS * 1000000ull;
	while (time_ns() < deadline)
		if (power_reg_read(&pm1a_cnt, 16) & ACPI_PM1_SCI_EN)
			return true;
	printk("acpi: SCI_EN still clear after %u ms\n", SCI_EN_TIMEOUT_MS);
	return false;
}

/* Write SLP_TYP, then SLP_TYP | SLP_EN, to one PM1 control register. */
/* Write @slp_typ into a PM1 control register's SLP_TYP field, SLP_EN clear. Returns the value. */
static u32 pm1_set_sleep_type(const struct power_reg *r, u8 slp_typ)
{
	u32 v = power_reg_read(r, 16) & ~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN);

	v |= ((u32)slp_typ << ACPI_PM1_SLP_TYP_SHIFT) & ACPI_PM1_SLP_TYP_MASK;
	power_reg_write(r, 16, v);
	return v;
}

/*
 * Enter the sleep state: both registers (PM1a and, when the FADT has one,
 * PM1b) get their SLP_TYP first, then SLP_EN, PM1a before PM1b, as the
 * ACPI specification's sleeping sequence and Linux do: the platform may
 * act on PM1a's SLP_EN before PM1b has its type.
 */
static void pm1_sleep(u8 slp_typa, u8 slp_typb)
{
	bool have_b = power_reg_present(&pm1b_cnt);
	u32 a = pm1_set_sleep_type(&pm1a_cnt, slp_typa);
	u32 b = have_b ? pm1_set_sleep_type(&pm1b_cnt, slp_typb) : 0;

	power_reg_write(&pm1a_cnt, 16, a | ACPI_PM1_SLP_EN);
	if (have_b)
		power_reg_write(&pm1b_cnt, 16, b | ACPI_PM1_SLP_EN);
}

/* ACPI S5. Returns only if it is impossible or did not take effect. */
static void acpi_power_off(void)
{
	const struct acpi_fadt *f = acpi_get_fadt();
	struct acpi_sleep_type st;

	if (!f || !power_reg_present(&pm1a_cnt)) {
		printk("acpi: no FADT PM1a control block: cannot power off\n");
		return;
	}
	if (f->hw_reduced) {
		printk("acpi: hardware-reduced ACPI (sleep control register) is not supported\n");
		return;
	}
	if (acpi_get_s5(&st)) {
		printk("acpi: no \\_S5_ sleep type: cannot power off\n");
		return;
	}
	if (!acpi_enable_mode())
		return;
	pm1_sleep(st.slp_typa, st.slp_typb);
	power_delay_ms(TAKE_EFFECT_MS);
	printk("acpi: still running %u ms after entering S5\n", TAKE_EFFECT_MS);
}

void machine_poweroff(enum poweroff_status status)
{
	machine_poweroff_code(status);
}

void machine_poweroff_code(unsigned int status)
{
	cli();
	run_shutdown_hooks();
	printk("pagoda: powering off (status %#x)\n", status);
	/* isa-debug-exit exists only in QEMU; port 0xf4 is unused elsewhere */
	if (cpu_features.hypervisor)
		outb(QEMU_DEBUG_EXIT_PORT, status);
	acpi_power_off();
	printk("pagoda: system halted (status 0x%x); it is safe to power off\n", status);
	for (;;)
		hlt();
}

void machine_halt(void)
{
	cli();
	printk("pagoda: system halted\n");
	for (;;)
		hlt();
}

/* ---- restart ---- */

static bool reset_acpi(void)
{
	if (!reset_usable) {
		printk("pagoda: no usable FADT reset register\n");
		return false;
	}
	printk("pagoda: restarting via ACPI reset register (%s %#llx <- %#x)\n",
	       reset_reg.gas.space_id == ACPI_SPACE_IO ? "io" :
	       reset_reg.gas.space_id == ACPI_SPACE_MEMORY ? "mem" : "pcicfg",
	       (unsigned long long)reset_reg.gas.address, reset_value);
	power_reg_write(&reset_reg, 8, reset_value);
	return true;
}

/* Pulse the CPU reset line through the keyboard controller. */
static bool reset_kbd(void)
{
	printk("pagoda: restarting via 8042 keyboard controller (0x64 <- 0xfe)\n");
	for (int i = 0; i < 10; i++) {
		for (int spin = 0; spin < 0x10000; spin++)
			if (!(inb(KBD_STATUS_PORT) & KBD_STATUS_IBF))
				break;
		outb(KBD_STATUS_PORT, KBD_CMD_PULSE_RESET);
		power_delay_ms(5);
	}
	return true;
}

/* An empty IDT: the next exception cannot be delivered, the CPU resets. */
static bool reset_triple(void)
{
	struct { u16 limit; u64 base; } __attribute__((packed)) idtr = { 0, 0 };

	printk("pagoda: restarting via triple fault\n");
	__asm__ volatile("lidt %0; int3" :: "m"(idtr) : "memory");
	return true;
}

static const struct {
	const char *name;
	bool (*reset)(void);
} restart_methods[] = {
	{ "acpi", reset_acpi },
	{ "kbd", reset_kbd },
	{ "triple", reset_triple },
};

/* `reboot=acpi|kbd|triple` (or its first letter): the first method to try. */
static unsigned int restart_first_method(void)
{
	char arg[16];

	if (!cmdline_value("reboot", arg, sizeof(arg)))
		return 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(restart_methods); i++)
		if (strcmp(arg, restart_methods[i].name) == 0 ||
		    (arg[0] == restart_methods[i].name[0] && arg[1] == 0))
			return i;
	printk("pagoda: unknown reboot=%s; using the default order\n", arg);
	return 0;
}

void machine_restart(void)
{
	cli();
	run_shutdown_hooks();
	for (unsigned int i = restart_first_method(); i < ARRAY_SIZE(restart_methods); i++) {
		if (!restart_methods[i].reset())
			continue;
		power_delay_ms(TAKE_EFFECT_MS);
		printk("pagoda: restart via %s did not take effect\n", restart_methods[i].name);
	}
	machine_halt();
}

/* Map the FADT's power registers while allocation is still possible. */
static int power_init(void)
{
	const struct acpi_fadt *f = acpi_get_fadt();

	if (!f)
		return 0;
	power_reg_init(&pm1a_cnt, &f->pm1a_cnt);
	power_reg_init(&pm1b_cnt, &f->pm1b_cnt);
	power_reg_init(&reset_reg, &f->reset_reg);
	reset_value = f->reset_value;
	reset_usable = f->reset_supported && power_reg_present(&reset_reg);
	return 0;
}
arch_initcall(power_init);
