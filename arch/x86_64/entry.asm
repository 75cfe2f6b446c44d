; Kernel entry point and exception stubs.
;
; _start is entered from the loader's trampoline in 64-bit mode with
; interrupts off, the loader's page tables in CR3 and %rdi = physical address
; of struct boot_info (docs/boot-protocol.md).
;
; Each exception stub pushes a dummy error code when the CPU does not, then
; the vector, then jumps to exception_common, which saves all general
; registers as struct pt_regs (asm/regs.h) and calls
; exception_dispatch(struct pt_regs *). Hardware interrupts (vectors 32-255)
; do the same through irq_common and irq_dispatch().
;
; From ring 3 (saved CS & 3) the entry executes swapgs before anything else,
; so GS points at the per-CPU data (asm/percpu.h), and the return goes
; through return_to_user: exit_to_user_mode() (reschedule, signals) with
; interrupts off, then swapgs and iretq. A return to ring 0 after an
; interrupt may switch tasks (exit_to_kernel_mode: kernel preemption).

BITS 64
DEFAULT REL

extern kernel_main
extern exception_dispatch
extern irq_dispatch
extern exit_to_user_mode
extern exit_to_kernel_mode

; pt_regs offsets (asm/regs.h): 15 general registers, vector, error code,
; then the CPU's frame.
%include "arch/x86_64/include/asm/regs.inc"
%include "arch/x86_64/include/asm/alternative.inc"

; Entry after a stub pushed error code and vector: [rsp + 24] is the saved CS.
%macro SAVE_REGS 0
	test	qword [rsp + 24], 3
	jz	%%from_kernel
	swapgs
%%from_kernel:
	PUSH_GPRS
	cld
	; An interrupt gate does not clear AC: a user (or a stac window) may
	; have left it set, which would switch SMAP off in the handler. A nop
	; site: without SMAP, AC means nothing in ring 0 and clac would #UD.
	CLAC
%endmacro

%macro RESTORE_REGS 0
	POP_GPRS
	add	rsp, 16			; vector and error code
%endmacro

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
global boot_stack_top
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
	SAVE_REGS
	mov	rdi, rsp
	; frame pointer chain: make the interrupted context look like a caller
	mov	rbp, rsp
	call	exception_dispatch
	cli
	test	qword [rsp + PT_CS], 3
	jnz	return_to_user
global exception_return
exception_return:
	RESTORE_REGS
	iretq

; Vectors 32-255: one stub each, all through irq_dispatch().
%macro IRQ_STUB 1
irq_stub_%1:
	push	0
	push	%1
	jmp	irq_common
%endmacro

%assign v 32
%rep 224
	IRQ_STUB v
%assign v v + 1
%endrep

irq_common:
	SAVE_REGS
	mov	rdi, rsp
	mov	rbp, rsp
	call	irq_dispatch
	cli
	test	qword [rsp + PT_CS], 3
	jnz	return_to_user
	mov	rdi, rsp
	call	exit_to_kernel_mode	; may preempt the interrupted kernel code
	cli
	RESTORE_REGS
	iretq

; Leave the kernel for ring 3 through the pt_regs at rsp, interrupts off.
; The syscall entry and arch_enter_user() come here too.
global return_to_user
return_to_user:
	mov	rdi, rsp
	call	exit_to_user_mode
	cli
global return_to_user_iret
return_to_user_iret:			; exit_to_user_mode() already ran
	RESTORE_REGS
	swapgs
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
global irq_stub_table
irq_stub_table:
%assign v 32
%rep 224
	dq irq_stub_ %+ v
%assign v v + 1
%endrep
section .note.GNU-stack noalloc noexec nowrite progbits
