/*
 * unwind_cfi.c: allocations from hand-written assembly functions whose CFI uses the less common
 * parts of DWARF call frame information, for the fast unwinder's tests
 * (tests/e2e/test_unwind.py).  A compiler emits only a few CFA instructions; these functions use
 * the others, each describing its frame correctly, so that libunwind follows them and the fast
 * unwinder must either follow them to the same stack or decline.  Each function takes a size in
 * RDI, calls malloc with an aligned stack and returns the block.  Most of them put garbage in RBP
 * during the call: their C callers (built -O0 with frame pointers) compute their CFA from RBP,
 * so the caller's frame is only found when the saved RBP is taken from the right place.
 *
 * Compiler-style CFI, must be unwound by the fast unwinder (ordinary sizes):
 *   asm_remember   remember_state/restore_state around an early return placed before the call
 *   asm_advance4   70,000 bytes of code before a CFA change: DW_CFA_advance_loc4
 *   asm_args_size  pushed arguments and DW_CFA_GNU_args_size
 * Rare encodings of ordinary rules (CFA = RSP or RBP + n, RBP saved at CFA - 16), also to be
 * unwound by the fast unwinder:
 *   asm_sf_ops     DW_CFA_def_cfa_offset_sf, DW_CFA_offset_extended_sf, DW_CFA_def_cfa_sf
 *   asm_misc_ops   DW_CFA_offset_extended, DW_CFA_restore_extended, DW_CFA_undefined and
 *                  DW_CFA_same_value on other registers
 * Rules that are not ordinary, may be declined (sizes in the "may decline" range of
 * unwind_common.h):
 *   asm_rbx_cfa    the CFA computed from RBX (after an andq that realigns RSP)
 *   asm_rbp_in_reg the caller's RBP kept in R12 (DW_CFA_register), RBP itself garbage (gdb
 *                  follows it; libunwind 1.6 does not and ends the stack after this frame)
 *   asm_ra_moved   the return address copied to another slot (CFA-24), the usual slot zeroed
 *   asm_no_fde     no CFI at all (a classic RBP frame; libunwind falls back on the frame chain)
 * Built twice by tests/unwind.mk: unwind_cfi (callers -O0 with frame pointers) and
 * unwind_cfi_O2.  Leaks known bytes per function (printed as "expect" lines); exits 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unwind_common.h"

void *asm_remember(size_t n);
void *asm_advance4(size_t n);
void *asm_args_size(size_t n);
void *asm_sf_ops(size_t n);
void *asm_misc_ops(size_t n);
void *asm_rbx_cfa(size_t n);
void *asm_rbp_in_reg(size_t n);
void *asm_ra_moved(size_t n);
void *asm_no_fde(size_t n);

__asm__(
	"	.text\n"

	/* An early return (n == 0) whose epilogue is wrapped in remember/restore_state. */
	"	.p2align 4\n"
	"	.type asm_remember, @function\n"
	"asm_remember:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset %rbp, -16\n"
	"	pushq %rbx\n"
	"	.cfi_def_cfa_offset 24\n"
	"	.cfi_offset %rbx, -24\n"
	"	subq $8, %rsp\n"
	"	.cfi_def_cfa_offset 32\n"
	"	testq %rdi, %rdi\n"
	"	jnz 1f\n"
	"	.cfi_remember_state\n"
	"	addq $8, %rsp\n"
	"	.cfi_def_cfa_offset 24\n"
	"	popq %rbx\n"
	"	.cfi_restore %rbx\n"
	"	.cfi_def_cfa_offset 16\n"
	"	popq %rbp\n"
	"	.cfi_restore %rbp\n"
	"	.cfi_def_cfa_offset 8\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	"1:\n"
	"	.cfi_restore_state\n"
	"	movq $0x1111, %rbp\n"
	"	call malloc@PLT\n"
	"	addq $8, %rsp\n"
	"	.cfi_def_cfa_offset 24\n"
	"	popq %rbx\n"
	"	.cfi_restore %rbx\n"
	"	.cfi_def_cfa_offset 16\n"
	"	popq %rbp\n"
	"	.cfi_restore %rbp\n"
	"	.cfi_def_cfa_offset 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_remember, .-asm_remember\n"

	/* 70,000 bytes of nops between two CFA changes. */
	"	.p2align 4\n"
	"	.type asm_advance4, @function\n"
	"asm_advance4:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset %rbp, -16\n"
	"	movq $0x2222, %rbp\n"
	"	.fill 70000, 1, 0x90\n"
	"	subq $16, %rsp\n"
	"	.cfi_def_cfa_offset 32\n"
	"	call malloc@PLT\n"
	"	addq $16, %rsp\n"
	"	.cfi_def_cfa_offset 16\n"
	"	popq %rbp\n"
	"	.cfi_restore %rbp\n"
	"	.cfi_def_cfa_offset 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_advance4, .-asm_advance4\n"

	/* Two pushed words and DW_CFA_GNU_args_size, no frame pointer. */
	"	.p2align 4\n"
	"	.type asm_args_size, @function\n"
	"asm_args_size:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset %rbp, -16\n"
	"	movq $0x3333, %rbp\n"
	"	pushq $1\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	pushq $2\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_escape 0x2e, 0x10\n" /* DW_CFA_GNU_args_size 16 */
	"	call malloc@PLT\n"
	"	.cfi_escape 0x2e, 0x00\n"
	"	addq $16, %rsp\n"
	"	.cfi_adjust_cfa_offset -16\n"
	"	popq %rbp\n"
	"	.cfi_restore %rbp\n"
	"	.cfi_def_cfa_offset 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_args_size, .-asm_args_size\n"

	/* The signed, factored forms: offsets are -2 x data alignment (-8) = 16. */
	"	.p2align 4\n"
	"	.type asm_sf_ops, @function\n"
	"asm_sf_ops:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_escape 0x13, 0x7e\n"       /* DW_CFA_def_cfa_offset_sf 16 */
	"	.cfi_escape 0x11, 0x06, 0x02\n" /* DW_CFA_offset_extended_sf rbp, CFA-16 */
	"	movq %rsp, %rbp\n"
	"	.cfi_escape 0x12, 0x06, 0x7e\n" /* DW_CFA_def_cfa_sf rbp, 16 */
	"	subq $16, %rsp\n"
	"	call malloc@PLT\n"
	"	leave\n"
	"	.cfi_def_cfa %rsp, 8\n"
	"	.cfi_restore %rbp\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_sf_ops, .-asm_sf_ops\n"

	/* Long forms and rules for registers an unwinder of return addresses can ignore. */
	"	.p2align 4\n"
	"	.type asm_misc_ops, @function\n"
	"asm_misc_ops:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_escape 0x05, 0x06, 0x02\n" /* DW_CFA_offset_extended rbp, CFA-16 */
	"	pushq %rbx\n"
	"	.cfi_def_cfa_offset 24\n"
	"	.cfi_escape 0x05, 0x03, 0x03\n" /* DW_CFA_offset_extended rbx, CFA-24 */
	"	.cfi_undefined %r15\n"
	"	.cfi_same_value %r14\n"
	"	subq $8, %rsp\n"
	"	.cfi_def_cfa_offset 32\n"
	"	movq $0x5555, %rbp\n"
	"	call malloc@PLT\n"
	"	addq $8, %rsp\n"
	"	.cfi_def_cfa_offset 24\n"
	"	popq %rbx\n"
	"	.cfi_escape 0x06, 0x03\n" /* DW_CFA_restore_extended rbx */
	"	.cfi_def_cfa_offset 16\n"
	"	popq %rbp\n"
	"	.cfi_escape 0x06, 0x06\n" /* DW_CFA_restore_extended rbp */
	"	.cfi_def_cfa_offset 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_misc_ops, .-asm_misc_ops\n"

	/* CFA = RBX + 16 while RSP is realigned by an amount the CFI does not know. */
	"	.p2align 4\n"
	"	.type asm_rbx_cfa, @function\n"
	"asm_rbx_cfa:\n"
	"	.cfi_startproc\n"
	"	pushq %rbx\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset %rbx, -16\n"
	"	movq %rsp, %rbx\n"
	"	.cfi_def_cfa_register %rbx\n"
	"	subq $40, %rsp\n"
	"	andq $-32, %rsp\n"
	"	call malloc@PLT\n"
	"	movq %rbx, %rsp\n"
	"	.cfi_def_cfa_register %rsp\n"
	"	popq %rbx\n"
	"	.cfi_restore %rbx\n"
	"	.cfi_def_cfa_offset 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_rbx_cfa, .-asm_rbx_cfa\n"

	/* The caller's RBP in R12 during the call. */
	"	.p2align 4\n"
	"	.type asm_rbp_in_reg, @function\n"
	"asm_rbp_in_reg:\n"
	"	.cfi_startproc\n"
	"	pushq %r12\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset %r12, -16\n"
	"	movq %rbp, %r12\n"
	"	.cfi_register %rbp, %r12\n"
	"	movq $0x4444, %rbp\n"
	"	call malloc@PLT\n"
	"	movq %r12, %rbp\n"
	"	.cfi_restore %rbp\n"
	"	popq %r12\n"
	"	.cfi_restore %r12\n"
	"	.cfi_def_cfa_offset 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_rbp_in_reg, .-asm_rbp_in_reg\n"

	/* The return address copied to CFA-24 and its usual slot (CFA-8) zeroed during the call. */
	"	.p2align 4\n"
	"	.type asm_ra_moved, @function\n"
	"asm_ra_moved:\n"
	"	.cfi_startproc\n"
	"	subq $24, %rsp\n"
	"	.cfi_def_cfa_offset 32\n"
	"	movq 24(%rsp), %rax\n"
	"	movq %rax, 8(%rsp)\n"
	"	.cfi_offset 16, -24\n"
	"	movq $0, 24(%rsp)\n"
	"	call malloc@PLT\n"
	"	movq 8(%rsp), %rdx\n"
	"	movq %rdx, 24(%rsp)\n"
	"	.cfi_offset 16, -8\n"
	"	addq $24, %rsp\n"
	"	.cfi_def_cfa_offset 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size asm_ra_moved, .-asm_ra_moved\n"

	/* No .cfi_startproc: no FDE covers this function. */
	"	.p2align 4\n"
	"	.type asm_no_fde, @function\n"
	"asm_no_fde:\n"
	"	pushq %rbp\n"
	"	movq %rsp, %rbp\n"
	"	call malloc@PLT\n"
	"	popq %rbp\n"
	"	ret\n"
	"	.size asm_no_fde, .-asm_no_fde\n");

/* The C callers: the names the leaks are counted under. */

NOIPA static void cfi_remember(void)
{
	uw_keep(asm_remember(501));
	uw_count("cfi_remember", 501);
	if (asm_remember(0) != NULL) /* the early return */
		abort();
}

NOIPA static void cfi_advance4(void)
{
	uw_keep(asm_advance4(502));
	uw_count("cfi_advance4", 502);
}

NOIPA static void cfi_args_size(void)
{
	uw_keep(asm_args_size(503));
	uw_count("cfi_args_size", 503);
}

/* Called through a table of function pointers; each leak is counted under the assembly
 * function's own name (its frame is the first one of the stack). */
NOIPA static void cfi_rare(void)
{
	static const struct {
		const char *name;
		void *(*fn)(size_t);
		size_t size;
	} rare[] = {
		{"asm_sf_ops", asm_sf_ops, 504},
		{"asm_misc_ops", asm_misc_ops, 505},
		{"asm_rbx_cfa", asm_rbx_cfa, UW_DECLINE(3)},
		{"asm_rbp_in_reg", asm_rbp_in_reg, UW_DECLINE(4)},
		{"asm_ra_moved", asm_ra_moved, UW_DECLINE(5)},
		{"asm_no_fde", asm_no_fde, UW_DECLINE(6)},
	};
	for (size_t i = 0; i < sizeof(rare) / sizeof(rare[0]); i++) {
		uw_keep(rare[i].fn(rare[i].size));
		uw_count(rare[i].name, rare[i].size);
	}
}

/* Called from a recursion as well: the frames above the assembly ones are many. */
NOIPA static int cfi_deep(int n)
{
	if (n == 0) {
		cfi_remember();
		cfi_args_size();
		return 0;
	}
	int r = cfi_deep(n - 1);
	uw_barrier();
	return r + 1;
}

int main(void)
{
	cfi_remember();
	cfi_advance4();
	cfi_args_size();
	cfi_rare();
	cfi_deep(20);
	cfi_advance4(); /* again: the rule is now remembered */
	uw_print_expect();
	return 0;
}
