# efi/: the gnu-efi loader BOOTX64.EFI.
EFI_SRCS := efi/loader.c efi/bootpt.c efi/elf_check.c
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-pointer-sign -ffreestanding -fpic -fshort-wchar -fno-stack-protector \
	-fno-stack-check -mno-red-zone -maccumulate-outgoing-args -fno-strict-aliasing \
	-I$(EFI_INC) -I$(EFI_INC)/x86_64 -Iinclude -MD -DGNU_EFI_USE_MS_ABI=0
EFI_OBJS := $(EFI_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/efi/tramp_blob.o
EFI_DEP_FILES := $(EFI_SRCS:%.c=$(BUILD)/%.d)

$(BUILD)/efi/%.o: efi/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/efi/trampoline.bin: efi/trampoline.asm | deps
	@mkdir -p $(@D)
	$(NASM) -f bin -w+all -Werror $< -o $@

$(BUILD)/efi/tramp_blob.o: efi/tramp_blob.asm $(BUILD)/efi/trampoline.bin
	$(NASM) -f elf64 -w+all -Werror -DTRAMP_BIN='"$(BUILD)/efi/trampoline.bin"' $< -o $@

$(BUILD)/efi/loader.so: $(EFI_OBJS)
	$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds \
		$(EFI_LIB)/crt0-efi-x86_64.o $^ -o $@ -L$(EFI_LIB) -lefi -lgnuefi

$(BUILD)/BOOTX64.EFI: $(BUILD)/efi/loader.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
		-j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@
