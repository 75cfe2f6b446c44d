/*
 * In-kernel tests of the ACPI tables as the firmware gave them, `ktest=acpi`.
 * Run under QEMU q35 or pc with OVMF: the tables exist, every checksum
 * holds, the MADT names at least one enabled CPU and an I/O APIC, the FADT
 * has a PM1a control block, \_S5_ decodes, ACPI mode can be re-entered
 * through SMI_CMD, the HPET counter runs.
 */
#include <pagoda/acpi.h>
#include <pagoda/ktest.h>
#include <pagoda/power.h>
#include <pagoda/string.h>
#include <pagoda/time.h>
#include <asm/apic.h>
#include <asm/io.h>

static void t_tables_found_with_valid_checksums(struct ktest *t)
{
	const struct acpi_tables *at = acpi_get_tables();

	KTEST_ASSERT(t, at->nr >= 4);
	KTEST_EXPECT_EQ(t, at->ignored, 0);
	for (unsigned int i = 0; i < at->nr; i++) {
		KTEST_EXPECT(t, at->table[i].length >= ACPI_HEADER_LEN);
		KTEST_EXPECT(t, acpi_checksum_ok(at->table[i].data, at->table[i].length));
		KTEST_EXPECT(t, memcmp(at->table[i].data, at->table[i].sig, 4) == 0);
	}
	KTEST_EXPECT(t, acpi_table_find(at, "FACP", 0, NULL) != NULL);
	KTEST_EXPECT(t, acpi_table_find(at, "APIC", 0, NULL) != NULL);
	KTEST_EXPECT(t, acpi_table_find(at, "DSDT", 0, NULL) != NULL);
}

static void t_madt_has_enabled_cpu_and_ioapic(struct ktest *t)
{
	const struct acpi_madt *m = acpi_get_madt();

	KTEST_ASSERT(t, m != NULL);
	KTEST_EXPECT(t, acpi_madt_enabled_cpus(m, NULL) >= 1);
	KTEST_EXPECT(t, m->nr_ioapics >= 1);
	KTEST_EXPECT(t, m->lapic_addr != 0);
	/* every PC chipset QEMU emulates wires the PIT's IRQ0 to GSI 2 */
	KTEST_EXPECT_EQ(t, acpi_isa_irq_to_gsi(m, 0, NULL), 2);
}

static void t_fadt_has_pm1a_control_block(struct ktest *t)
{
	const struct acpi_fadt *f = acpi_get_fadt();

	KTEST_ASSERT(t, f != NULL);
	KTEST_EXPECT(t, f->pm1a_cnt.address != 0);
	KTEST_EXPECT(t, !f->hw_reduced);
	KTEST_EXPECT(t, f->dsdt != 0);
}

static void t_s5_decodes(struct ktest *t)
{
	struct acpi_sleep_type st;

	KTEST_EXPECT_EQ(t, acpi_get_s5(&st), 0);
}

/*
 * Hand the PM registers back to the firmware's SMM (SCI_EN clear, as a
 * BIOS that boots in legacy mode leaves them), then take them again the
 * way power-off does: SMI_CMD <- ACPI_ENABLE, wait for SCI_EN.
 */
static void t_acpi_mode_reenabled_through_smi_cmd(struct ktest *t)
{
	const struct acpi_fadt *f = acpi_get_fadt();
	u16 port;

	KTEST_ASSERT(t, f != NULL);
	if (f->pm1a_cnt.space_id != ACPI_SPACE_IO || !f->smi_cmd) {
		ktest_skip(t, "PM1a_CNT not in I/O space or no SMI_CMD");
		return;
	}
	port = (u16)f->pm1a_cnt.address;
	outw(port, inw(port) & ~ACPI_PM1_SCI_EN);
	KTEST_EXPECT_EQ(t, inw(port) & ACPI_PM1_SCI_EN, 0);
	KTEST_EXPECT(t, acpi_enable_mode());
	KTEST_EXPECT_EQ(t, inw(port) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
}

/* The HPET's main counter runs, at the rate its capabilities claim (10%). */
static void t_hpet_counter_advances(struct ktest *t)
{
	u64 h0, h1, t0, ns;

	if (!acpi_get_hpet()) {
		ktest_skip(t, "no HPET table");
		return;
	}
	KTEST_ASSERT(t, hpet_present());
	h0 = hpet_read_counter();
	t0 = time_ns();
	while (time_ns() - t0 < 20000000)
		__builtin_ia32_pause();
	h1 = hpet_read_counter();
	ns = time_ns() - t0;
	KTEST_ASSERT(t, h1 > h0);
	KTEST_EXPECT(t, (h1 - h0) * 10 >= hpet_frequency() * ns / 1000000000 * 9);
	KTEST_EXPECT(t, (h1 - h0) * 10 <= hpet_frequency() * ns / 1000000000 * 11);
}

static const struct ktest_case acpi_cases[] = {
	KTEST_CASE(t_tables_found_with_valid_checksums, "tables found with valid checksums"),
	KTEST_CASE(t_madt_has_enabled_cpu_and_ioapic, "MADT: an enabled CPU, an I/O APIC, IRQ0 on GSI 2"),
	KTEST_CASE(t_fadt_has_pm1a_control_block, "FADT: PM1a control block and DSDT"),
	KTEST_CASE(t_s5_decodes, "\\_S5_ decodes from the DSDT"),
	KTEST_CASE(t_acpi_mode_reenabled_through_smi_cmd, "SCI_EN cleared comes back through SMI_CMD"),
	KTEST_CASE(t_hpet_counter_advances, "the HPET counter advances at its stated rate"),
};

KTEST_SUITE(acpi_suite, "acpi", acpi_cases);
