; Fixture of tests/nop_sites.sh: the nasm macros STAC and CLAC make records
; that tools/check-nop-sites.sh accepts.
BITS 64
%include "arch/x86_64/include/asm/alternative.inc"

section .text
global fixture_nasm
fixture_nasm:
	STAC
	CLAC
	ret
section .note.GNU-stack noalloc noexec nowrite progbits
