; The SYSCALL entry (Linux x86-64 ABI): number in rax, arguments in rdi,
; rsi, rdx, r10, r8, r9; the CPU put the user rip in rcx and rflags in r11,
; and cleared IF, DF, TF, AC and NT through MSR_SYSCALL_MASK.
;
; The entry builds a struct pt_regs (asm/regs.h) laid out exactly like an
; exception frame at the top of the current task's kernel stack: vector =
; SYSCALL_VECTOR_MARK (0x100), error code 0, rip = rcx, rflags = r11,
; cs/ss = the user selectors. It calls do_syscall(regs) with interrupts on,
; which leaves the result in regs->rax, and leaves through return_to_user
; (entry.asm)'s work loop exit_to_user_mode(), then returns with SYSRET when
; that restores exactly what iretq would: the frame's rip == rcx and rflags
; == r11 (SYSRET loads rip from rcx and rflags from r11), standard user
; selectors, no TF/RF, and rip below 0x7ffffffff000 (SYSRET with a
; non-canonical rcx faults in ring 0 on Intel with the user's rsp; above
; 47 bits, possible in 5-level mode, we simply take iretq). Anything else
; (rt_sigreturn and exec rewrite the frame, signal delivery) leaves with
; iretq through return_to_user_iret.

BITS 64
DEFAULT REL

%include "arch/x86_64/include/asm/percpu.inc"
%include "arch/x86_64/include/asm/regs.inc"

extern do_syscall
extern exit_to_user_mode
extern return_to_user_iret

USER_DS_RPL3	equ 0x23
USER_CS_RPL3	equ 0x2b
SYSCALL_VECTOR	equ 0x100
SYSRET_RIP_LIMIT equ 0x00007ffffffff000
RFLAGS_TF_RF	equ (1 << 8) | (1 << 16)

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
	PUSH_GPRS
	xor	ebp, ebp			; end of the kernel's frame chain
	mov	rdi, rsp
	sti
	call	do_syscall
	cli
	mov	rdi, rsp
	call	exit_to_user_mode
	cli
	mov	rcx, [rsp + PT_RIP]
	cmp	rcx, [rsp + PT_RCX]
	jne	.iret
	mov	r11, [rsp + PT_RFLAGS]
	cmp	r11, [rsp + PT_R11]
	jne	.iret
	test	r11, RFLAGS_TF_RF
	jnz	.iret
	cmp	qword [rsp + PT_CS], USER_CS_RPL3
	jne	.iret
	cmp	qword [rsp + PT_SS], USER_DS_RPL3
	jne	.iret
	mov	rax, SYSRET_RIP_LIMIT
	cmp	rcx, rax
	jae	.iret
	POP_GPRS			; r11 == rflags, rcx == rip (checked above)
	mov	rsp, [rsp + 16 + 24]	; skip vector, error, rip, cs, rflags: user rsp
	swapgs
	o64 sysret
.iret:
	jmp	return_to_user_iret

; SYSCALL from 32-bit compatibility mode lands here (AMD; Intel raises #UD).
; Pagoda has no 32-bit ABI: return -ENOSYS at once, touching neither the
; stack nor GS. sysretl goes back to compatibility mode at ecx with rflags
; from r11.
global syscall_entry_compat
syscall_entry_compat:
	mov	eax, -38			; -ENOSYS
	o32 sysret

section .note.GNU-stack noalloc noexec nowrite progbits
