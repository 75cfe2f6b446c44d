; Kernel entry point and exception stubs.
;
; _start is entered from the loader's trampoline in 64-bit mode with
; interrupts off, the loader's page tables in CR3 and %rdi = physical address
; of struct boot_info (docs/boot-protocol.md).
;
; Each exception stub pushes a dummy error code when the CPU does not, then
; the vector, then jumps to exception_common, which saves all general
; registers as struct pt_regs (asm/regs.h) and calls
; exception_dispatch(struct pt_regs *).

BITS 64
DEFAULT REL

extern kernel_main
extern exception_dispatch

; The boot stack, with an unmapped guard page below it (mm/kmap.c leaves it
; out of the kernel page tables): an overflow faults instead of silently
; overwriting .bss, and the #PF that cannot push its frame becomes a #DF,
; which runs on its own IST stack and oopses.
section .bss.boot_stack nobits alloc write align=4096
global boot_stack_guard
boot_stack_guard:
	resb 4096
global boot_stack
boot_stack:
	resb 32768
boot_stack_top:

section .text.entry
global _start
_start:
	cli
	cld
	lea	rsp, [rel boot_stack_top]
	xor	ebp, ebp
	push	rbp			; zero return address: end of backtraces
	push	rbp			; zero saved frame pointer
	mov	rbp, rsp
	call	kernel_main
.hang:
	hlt
	jmp	.hang

section .text

; Vectors that push an error code: 8, 10-14, 17, 21, 29, 30.
%macro STUB_NOERR 1
isr_stub_%1:
	push	0
	push	%1
	jmp	exception_common
%endmacro
%macro STUB_ERR 1
isr_stub_%1:
	push	%1
	jmp	exception_common
%endmacro

%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
	STUB_ERR v
%else
	STUB_NOERR v
%endif
%assign v v + 1
%endrep

exception_common:
	push	rax
	push	rbx
	push	rcx
	push	rdx
	push	rsi
	push	rdi
	push	rbp
	push	r8
	push	r9
	push	r10
	push	r11
	push	r12
	push	r13
	push	r14
	push	r15
	cld
	mov	rdi, rsp
	; frame pointer chain: make the interrupted context look like a caller
	mov	rbp, rsp
	call	exception_dispatch
global exception_return
exception_return:
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	r11
	pop	r10
	pop	r9
	pop	r8
	pop	rbp
	pop	rdi
	pop	rsi
	pop	rdx
	pop	rcx
	pop	rbx
	pop	rax
	add	rsp, 16			; vector and error code
	iretq

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 32
	dq isr_stub_ %+ v
%assign v v + 1
%endrep
section .note.GNU-stack noalloc noexec nowrite progbits
