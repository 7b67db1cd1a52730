/* SPDX-License-Identifier: MIT */
/*
 * gdb names patch code.  A patch lives in anonymous memory, where gdb
 * finds no file to read symbols and call frame information from.  gdb's
 * JIT interface (documented in gdb's manual, "JIT Compilation
 * Interface") is made for such code: an object of the process defines
 * __jit_debug_descriptor, a list of in-memory symbol files, and
 * __jit_debug_register_code, on which gdb sets a breakpoint to hear of
 * changes.  gdb reads the list when it attaches.
 *
 * The runtime only defines them: the controller (src/core/gdbjit.c)
 * writes a symbol file per patch into the process and links it into the
 * list.  It does so while no debugger can be attached (uklp is the
 * tracer), so it never needs to call __jit_debug_register_code.
 *
 * For gdb to find these symbols it must read the runtime itself, which
 * was loaded from a memfd: the controller names it by the file it was
 * copied from (uklp_rt_self_path, pointed to by the runtime's link_map
 * entry, uklp_rt_self_lm).
 */
#include <link.h>
#include <stdint.h>

#include "runtime/internal.h"

/* The layout gdb reads (version 1). */
struct jit_code_entry {
	struct jit_code_entry *next_entry;
	struct jit_code_entry *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};

struct jit_descriptor {
	uint32_t version;
	uint32_t action_flag;	/* 0 none, 1 register, 2 unregister */
	struct jit_code_entry *relevant_entry;
	struct jit_code_entry *first_entry;
};

UKLP_RT_EXPORT struct jit_descriptor __jit_debug_descriptor = { .version = 1 };

UKLP_RT_EXPORT __attribute__((noinline)) void __jit_debug_register_code(void)
{
	__asm__ volatile("" ::: "memory");
}

/* Written by the controller: the runtime's file, for debuggers. */
UKLP_RT_EXPORT char uklp_rt_self_path[UKLP_RT_SELF_PATH_MAX];
UKLP_RT_EXPORT struct link_map *uklp_rt_self_lm;
