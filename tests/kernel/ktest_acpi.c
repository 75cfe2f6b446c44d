/*
 * In-kernel tests of the ACPI tables as the firmware gave them, `ktest=acpi`.
 * Run under QEMU q35 or pc with OVMF: the tables exist, every checksum
 * holds, the MADT names at least one enabled CPU and an I/O APIC, the FADT
 * has a PM1a control block, \_S5_ decodes.
 */
#include <pagoda/acpi.h>
#include <pagoda/ktest.h>
#include <pagoda/string.h>

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

static const struct ktest_case acpi_cases[] = {
	KTEST_CASE(t_tables_found_with_valid_checksums, "tables found with valid checksums"),
	KTEST_CASE(t_madt_has_enabled_cpu_and_ioapic, "MADT: an enabled CPU, an I/O APIC, IRQ0 on GSI 2"),
	KTEST_CASE(t_fadt_has_pm1a_control_block, "FADT: PM1a control block and DSDT"),
	KTEST_CASE(t_s5_decodes, "\\_S5_ decodes from the DSDT"),
};

KTEST_SUITE(acpi_suite, "acpi", acpi_cases);
