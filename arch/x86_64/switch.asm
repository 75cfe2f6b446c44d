; Kernel stack switch between tasks, and the first instructions of a new
; kernel thread.
;
; switch_to(uintptr_t *prev_ksp, uintptr_t next_ksp) saves the callee-saved
; registers on the current stack, stores rsp in *prev_ksp, loads next_ksp
; and pops next's registers: it returns in the context of the next task,
; where that task last called switch_to (or in kthread_trampoline for a new
; one). Everything else a switch needs (TSS.rsp0, CR3, FS base, FPU state)
; is done by arch_context_switch() in process.c before it calls this.

BITS 64
DEFAULT REL

extern kthread_start
extern return_to_user

section .text

global switch_to
switch_to:
	push	rbp
	push	rbx
	push	r12
	push	r13
	push	r14
	push	r15
	mov	[rdi], rsp
	mov	rsp, rsi
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbx
	pop	rbp
	ret

; A new kernel thread's first switch_to "returns" here with the function in
; r12 and its argument in r13 (arch_task_setup_kthread() in process.c built
; that frame); rsp is 16-byte aligned. kthread_start() never returns.
global kthread_trampoline
kthread_trampoline:
	xor	ebp, ebp			; end of the frame chain
	mov	rdi, r12
	mov	rsi, r13
	call	kthread_start
	ud2

; enter_user_frame(struct pt_regs *regs): leave for ring 3 through @regs,
; which sits at the top of the current kernel stack (arch_enter_user).
global enter_user_frame
enter_user_frame:
	mov	rsp, rdi
	jmp	return_to_user

section .note.GNU-stack noalloc noexec nowrite progbits
