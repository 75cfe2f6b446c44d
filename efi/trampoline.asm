; Paging-mode trampoline: switches CR4.LA57 and CR3, then enters the kernel.
;
; CR4.LA57 can only change while paging is off, and paging can only be off
; outside long mode, so this code drops to 32-bit protected mode, turns paging
; off, loads the new CR4/CR3, turns paging back on and returns to 64-bit mode.
; The loader copies this blob to a page below 4 GiB that is identity mapped
; both in the firmware's tables and in the new ones, fills in struct
; tramp_args at offset 0 and calls offset TRAMP_ENTRY (64) with interrupts
; disabled. It never returns. The same path serves 4->5, 5->4, 4->4 and 5->5.
;
; struct tramp_args {			offset
;	u64 cr3;			0   new top-level table (below 4 GiB)
;	u64 la57;			8   1 = 5-level paging
;	u64 entry;			16  kernel entry point (virtual)
;	u64 boot_info;			24  physical address, passed in %rdi
;	u64 stack;			32  initial %rsp (identity mapped)
; };

BITS 64
DEFAULT REL
ORG 0

SEL_CODE64	equ 0x08
SEL_DATA	equ 0x10
SEL_CODE32	equ 0x18

CR0_PG		equ 1 << 31
CR4_PAE		equ 1 << 5
CR4_LA57	equ 1 << 12

args:
.cr3:		dq 0
.la57:		dq 0
.entry:		dq 0
.boot_info:	dq 0
.stack:		dq 0
		times 64 - ($ - $$) db 0

tramp_entry:				; offset 64
	cli
	lea	rbx, [rel args]		; base of this page (< 4 GiB)
	lea	rax, [rel gdt]
	mov	[rel gdtr.base], rax
	lgdt	[rel gdtr]
	lea	rax, [rel long64]
	mov	[rel farptr64.offset], eax
	lea	rax, [rel prot32]
	push	qword SEL_CODE32
	push	rax
	retfq				; to 32-bit compatibility mode

BITS 32
prot32:
	mov	ax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	eax, cr0
	and	eax, ~CR0_PG		; paging off: leaves long mode (LMA=0)
	mov	cr0, eax
	mov	eax, cr4
	or	eax, CR4_PAE
	and	eax, ~CR4_LA57
	cmp	dword [ebx + (args.la57 - args)], 0
	je	.set_cr4
	or	eax, CR4_LA57
.set_cr4:
	mov	cr4, eax
	mov	eax, [ebx + (args.cr3 - args)]
	mov	cr3, eax
	mov	eax, cr0
	or	eax, CR0_PG		; EFER.LME is still set: back to long mode
	mov	cr0, eax
	jmp	far [ebx + (farptr64 - args)]

BITS 64
long64:
	mov	ax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	xor	eax, eax
	mov	fs, ax
	mov	gs, ax
	mov	ebx, ebx		; upper halves are undefined after compat mode
	mov	rsp, [rbx + (args.stack - args)]
	mov	rdi, [rbx + (args.boot_info - args)]
	mov	rax, [rbx + (args.entry - args)]
	xor	ebp, ebp
	push	rbp			; a zero return address ends backtraces
	jmp	rax

align 8
gdt:
	dq 0				; null
	dq 0x00af9a000000ffff		; 0x08 code64: L=1, P, DPL0, exec/read
	dq 0x00cf92000000ffff		; 0x10 data: 4 GiB flat, read/write
	dq 0x00cf9a000000ffff		; 0x18 code32: D=1, 4 GiB flat
gdt_end:

gdtr:
	dw gdt_end - gdt - 1
.base:	dq 0

farptr64:
.offset: dd 0
	dw SEL_CODE64
