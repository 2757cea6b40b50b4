/*
 * unwind_msabi.c: allocations through functions of the Microsoft x64 calling convention
 * (__attribute__((ms_abi)), as in Wine and code that calls Windows-ABI plugins), for the fast
 * unwinder's tests (tests/e2e/test_unwind.py).  In that convention RSI, RDI and XMM6-XMM15 are
 * callee-saved: GCC saves them in the prologue and its CFI has rules for DWARF registers 4, 5
 * and 23-32.  The frame itself is ordinary (CFA = RSP + n, return address at CFA - 8), but
 * libunwind 1.6 rejects rules for registers above 16 and stops the stack at such a frame, so
 * the fast unwinder must do the same or decline: every allocation here has a "may decline" size
 * (unwind_common.h).
 *   msabi_leak     an ms_abi function that allocates (its frame is the first one)
 *   sysv_leaf      a System V function called by the ms_abi function msabi_middle (the ms_abi
 *                  frame is in the middle of the stack)
 * Built -O2 -fomit-frame-pointer by tests/unwind.mk.  Leaks known bytes (printed as "expect"
 * lines); deterministic, exits 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unwind_common.h"

static volatile int uw_seed = 1;

NOIPA __attribute__((ms_abi)) static void msabi_leak(long x)
{
	void *p = malloc(UW_DECLINE(15) + (size_t)x);
	uw_barrier();
	uw_keep(p);
	uw_count("msabi_leak", UW_DECLINE(15) + (size_t)x);
}

NOIPA __attribute__((sysv_abi)) static void sysv_leaf(void)
{
	uw_keep(malloc(UW_DECLINE(16)));
	uw_count("sysv_leaf", UW_DECLINE(16));
}

NOIPA __attribute__((ms_abi)) static void msabi_middle(void)
{
	sysv_leaf();
	uw_barrier();
}

int main(void)
{
	msabi_leak(uw_seed - 1);
	msabi_middle();
	uw_print_expect();
	return 0;
}
