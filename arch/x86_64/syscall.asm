; The SYSCALL entry (Linux x86-64 ABI): number in rax, arguments in rdi,
; rsi, rdx, r10, r8, r9; the CPU put the user rip in rcx and rflags in r11,
; and cleared IF, DF, TF, AC and NT through MSR_SYSCALL_MASK.
;
; The entry builds a struct pt_regs (asm/regs.h) laid out exactly like an
; exception frame at the top of the current task's kernel stack: vector =
; SYSCALL_VECTOR_MARK (0x100), error code 0, rip = rcx, rflags = r11,
; cs/ss = the user selectors. It calls do_syscall(regs) with interrupts on,
; which leaves the result in regs->rax, and leaves through return_to_user
; (entry.asm): exit_to_user_mode(), swapgs, iretq. iretq rather than sysret:
; it restores every register from the frame (rt_sigreturn and exec rewrite
; it) and has no trap on a non-canonical rcx to worry about.

BITS 64
DEFAULT REL

%include "arch/x86_64/include/asm/percpu.inc"

extern do_syscall
extern return_to_user

USER_DS_RPL3	equ 0x23
USER_CS_RPL3	equ 0x2b
SYSCALL_VECTOR	equ 0x100

section .text

global syscall_entry
syscall_entry:
	swapgs
	mov	[gs:PERCPU_USER_RSP], rsp
	mov	rsp, [gs:PERCPU_KERNEL_RSP]
	push	USER_DS_RPL3			; ss
	push	qword [gs:PERCPU_USER_RSP]	; rsp
	push	r11				; rflags
	push	USER_CS_RPL3			; cs
	push	rcx				; rip
	push	0				; error code
	push	SYSCALL_VECTOR			; vector
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
	xor	ebp, ebp			; end of the kernel's frame chain
	mov	rdi, rsp
	sti
	call	do_syscall
	cli
	jmp	return_to_user

; SYSCALL from 32-bit compatibility mode lands here (AMD; Intel raises #UD).
; Pagoda has no 32-bit ABI: return -ENOSYS at once, touching neither the
; stack nor GS. sysretl goes back to compatibility mode at ecx with rflags
; from r11.
global syscall_entry_compat
syscall_entry_compat:
	mov	eax, -38			; -ENOSYS
	o32 sysret

section .note.GNU-stack noalloc noexec nowrite progbits
