# tests/nop_sites: fixtures proving tools/check-nop-sites.sh can fail.
# Three tiny kernels-to-be (.text + the site table, linked like kernel.elf):
# recorded sites only, plus a bare clac, plus a record on a ud2.
# tests/nop_sites.sh (make check) runs the checker on each and on kernel.elf.

NOP_SITES_FIXTURES := $(BUILD)/test/nop-sites-good.elf \
	$(BUILD)/test/nop-sites-unrecorded.elf $(BUILD)/test/nop-sites-bad-record.elf
NOP_SITES_DEFINE_good :=
NOP_SITES_DEFINE_unrecorded := -DFIXTURE_UNRECORDED
NOP_SITES_DEFINE_bad-record := -DFIXTURE_BAD_RECORD

$(BUILD)/test/nop-sites-%.o: tests/nop_sites/sites.c | deps
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) $(NOP_SITES_DEFINE_$*) -c $< -o $@

$(BUILD)/test/nop-sites-asm.o: tests/nop_sites/sites.asm | deps
	@mkdir -p $(@D)
	$(KNASM_DEPS)
	$(NASM) $(KNASMFLAGS) $< -o $@

$(BUILD)/test/nop-sites-%.elf: $(BUILD)/test/nop-sites-%.o $(BUILD)/test/nop-sites-asm.o \
		tests/nop_sites/sites.ld
	$(LD) -nostdlib -static -T tests/nop_sites/sites.ld -o $@ $(filter %.o,$^)
