/* SPDX-License-Identifier: MIT */
/*
 * A library of a patch that comes or goes after the patch was loaded: the
 * runtime's side of the kernel's klp_module_coming() / klp_module_going().
 *
 * Coming (the dynamic loader has mapped it, not yet relocated it nor run
 * any of its code), for one klp_object of one record:
 *   1. check its build-id against the one the patch was made for
 *      (mismatch: UKLP_OBJ_MISMATCH, left alone);
 *   2. read its symbol table; apply the patch's klp relocations against it
 *      (klp_apply_object_relocs); find the functions to replace and
 *      decide their switches;
 *   3. pre_patch; a failure clears the relocations again;
 *   4. write the switches; UKLP_OBJ_PATCHED; post_patch if the patch is
 *      enabled (not while `uklp load` is still in its transition).
 * Any failure leaves the library unpatched and loaded (the dynamic loader
 * cannot be told to refuse it): UKLP_OBJ_FAILED, the reason in `error`,
 * and one line on the program's stderr.
 *
 * Going (seen once the dynamic loader has unmapped it): pre_unpatch,
 * post_unpatch, the relocations cleared back to their bytes before
 * (klp_clear_object_relocs), UKLP_OBJ_PENDING: the next dlopen patches it
 * again, wherever it lands.  Its code is gone, so there are no switches to
 * take out.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uklp/livepatch.h>

#include "klp/funcstack.h"
#include "klp/reloc.h"
#include "klp/switch.h"
#include "runtime/callbacks.h"
#include "runtime/internal.h"

#define PAGE 4096ul
#define TRAMP_SIZE 16
#define PROT_RX (PROT_READ | PROT_EXEC)

static const char *objname(const struct uklp_rt_object *o)
{
	return o->name[0] ? o->name : "vmlinux";
}

static int rela_prot(const struct uklp_rt_rela *r)
{
	if (r->flags & UKLP_RELA_WRITABLE)
		return PROT_READ | PROT_WRITE;
	return r->flags & UKLP_RELA_EXEC ? PROT_RX : PROT_READ;
}

/* The klp relocations of o back to their bytes before (and their GOT
 * slots to 0): nothing of the patch may keep pointing into an object that
 * is not there. */
static void clear_relas(struct rt_event *ev, struct uklp_rt_object *o, uint32_t n)
{
	struct uklp_rt_rela *r = (struct uklp_rt_rela *)(uintptr_t)o->relas;
	static const uint8_t zero[8];

	for (uint32_t i = 0; i < n && i < o->nrelas; i++) {
		if (r[i].width && r[i].width <= 8)
			rt_writer_put(&ev->w, r[i].place, r[i].cleared, r[i].width, rela_prot(&r[i]));
		if (r[i].got)
			rt_writer_put(&ev->w, r[i].got, zero, 8, PROT_READ | PROT_WRITE);
	}
	rt_writer_flush(&ev->w);
}

static void say(struct uklp_rt_patch *p, struct uklp_rt_object *o, const char *what,
		const char *sym, const char *why, long err)
{
	char line[400];
	struct rt_msg m = { o->error, sizeof(o->error), 0 }, l = { line, sizeof(line), 0 };

	rt_msg_str(&m, what);
	if (sym) {
		rt_msg_str(&m, " '");
		rt_msg_str(&m, sym);
		rt_msg_str(&m, "'");
	}
	if (why) {
		rt_msg_str(&m, ": ");
		rt_msg_str(&m, why);
	}
	if (err) {
		rt_msg_str(&m, " (");
		rt_msg_num(&m, err);
		rt_msg_str(&m, ")");
	}
	rt_msg_str(&l, "uklp: patch '");
	rt_msg_str(&l, p->name);
	rt_msg_str(&l, "': library '");
	rt_msg_str(&l, objname(o));
	rt_msg_str(&l, "' loaded unpatched: ");
	rt_msg_str(&l, o->error);
	rt_msg_str(&l, "\n");
	/* Once per failure, unbuffered: the program's own stderr. */
	if (write(2, line, l.off) < 0)
		return;
}

static const char *lookup_why(int ret)
{
	switch (ret) {
	case -ENOENT:
		return "not found in symbol table";
	case -EINVAL:
		return "ambiguous (give its position, sympos)";
	case -ERANGE:
		return "no symbol at that position (sympos)";
	default:
		return "cannot be looked up";
	}
}

/* Step 2a: klp_apply_object_relocs.  On failure, *done relocations were
 * written and must be cleared. */
static int apply_relas(struct rt_event *ev, struct uklp_rt_patch *p, struct uklp_rt_object *o,
		       const struct rt_elf *e, uint32_t *done)
{
	struct uklp_rt_rela *r = (struct uklp_rt_rela *)(uintptr_t)o->relas;

	for (*done = 0; *done < o->nrelas; (*done)++) {
		struct uklp_rt_rela *x = &r[*done];
		struct uklp_reloc_in in = {
			.type = x->type, .P = x->place, .A = x->addend, .got = x->got,
			.gotbase = x->gotbase, .plt = x->plt,
		};
		uint8_t field[8];
		unsigned char type;
		int ret;

		x->name[sizeof(x->name) - 1] = 0;
		ret = rt_elf_lookup(e, x->name, x->sympos, &in.S, &in.size, &type);
		if (ret) {
			say(p, o, "symbol", x->name, lookup_why(ret), 0);
			return ret;
		}
		in.S += o->bias;
		if (x->got)
			rt_writer_put(&ev->w, x->got, &in.S, 8, PROT_READ | PROT_WRITE);
		if (!x->width || x->width > 8)
			continue;
		memcpy(field, x->cleared, sizeof(field));
		ret = uklp_reloc_apply(&in, field);
		if (ret) {
			say(p, o, "relocation against", x->name,
			    ret == -ERANGE ? "does not reach (compile the patch with -fPIC)"
					   : "of a type uklp does not apply", 0);
			(*done)++;
			return ret;
		}
		rt_writer_put(&ev->w, x->place, field, x->width, rela_prot(x));
	}
	return rt_writer_flush(&ev->w);
}

/* Functions of the record: its own and, for the func stack, the older
 * records' (rt_record_get). */
static size_t record_index(const struct uklp_rt_patch *p)
{
	size_t i = 0;

	while (rt_record_get(NULL, i) && rt_record_get(NULL, i) != p)
		i++;
	return i;
}

/* A page of trampolines near the library for switches that do not reach
 * the patch with a rel32: a few tries just below and above it. */
static uint64_t tramp_page(uint64_t lo, uint64_t hi)
{
	for (int i = 1; i <= 16; i++) {
		uint64_t want[2] = { (lo & ~(PAGE - 1)) - (uint64_t)i * 16 * PAGE,
				     ((hi + PAGE - 1) & ~(PAGE - 1)) + (uint64_t)(i - 1) * 16 * PAGE };

		for (int k = 0; k < 2; k++) {
			void *a = mmap((void *)want[k], PAGE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (a != MAP_FAILED)
				return (uint64_t)(uintptr_t)a;
		}
	}
	return 0;
}

/* Step 2b: the functions to replace, and their switches (not written). */
static int find_funcs(struct uklp_rt_patch *p, struct uklp_rt_object *o, const struct rt_elf *e)
{
	size_t idx = record_index(p);
	uint64_t lo, hi;
	uint32_t ntramp = 0;

	rt_elf_extent(e, &lo, &hi);
	for (uint32_t i = 0; i < o->nfuncs; i++) {
		struct uklp_rt_func *f = &p->funcs[o->first_func + i];
		const struct uklp_rt_func *below;
		unsigned char type;
		uint8_t site[5], pad[5];
		int ret;

		f->old_name[sizeof(f->old_name) - 1] = 0;
		ret = rt_elf_lookup(e, f->old_name, f->old_sympos, &f->old_addr, &f->old_size, &type);
		if (ret) {
			say(p, o, "function", f->old_name, lookup_why(ret), 0);
			return ret;
		}
		if (type != STT_FUNC || !f->old_size) {
			say(p, o, "symbol", f->old_name, "is not a function with a size", 0);
			return -EINVAL;
		}
		f->old_addr += o->bias;
		below = klp_func_below(rt_record_get, NULL, idx, f->old_addr);
		if (below) {
			/* An older patch switched it a moment ago: it has
			 * the original bytes and the form of the switch. */
			f->mode = below->mode;
			f->site = below->site;
			f->site_len = below->site_len;
			f->pad_addr = below->pad_addr;
			memcpy(f->orig, below->orig, sizeof(f->orig));
			memcpy(f->pad_orig, below->pad_orig, sizeof(f->pad_orig));
		} else {
			const uint8_t *code = (const uint8_t *)(uintptr_t)f->old_addr;
			int at_start = f->old_addr - 5 < lo + o->bias;

			ret = klp_switch_decide(f, code, at_start ? NULL : code - 5);
			if (ret) {
				say(p, o, "function", f->old_name,
				    ret == -E2BIG ? "is too short for the switch" : "cannot be switched", 0);
				return ret;
			}
		}
		f->tramp = f->new_addr;
		if (klp_switch_encode(f, f->tramp, site, pad) == -ERANGE)
			ntramp++;
	}
	if (!ntramp)
		return 0;
	o->tramp = tramp_page(lo + o->bias, hi + o->bias);
	if (!o->tramp || ntramp * TRAMP_SIZE > PAGE) {
		say(p, o, "no room for trampolines near it", NULL, NULL, 0);
		return -ENOSPC;
	}
	for (uint32_t i = 0, k = 0; i < o->nfuncs; i++) {
		struct uklp_rt_func *f = &p->funcs[o->first_func + i];
		uint8_t site[5], pad[5];
		/* jmp *0(%rip); .quad new_addr */
		uint8_t stub[TRAMP_SIZE] = { 0xff, 0x25, 0, 0, 0, 0 };
		uint64_t slot = o->tramp + (uint64_t)k * TRAMP_SIZE;

		if (klp_switch_encode(f, f->tramp, site, pad) != -ERANGE)
			continue;
		memcpy(stub + 6, &f->new_addr, 8);
		memcpy((void *)(uintptr_t)slot, stub, sizeof(stub));
		f->tramp = slot;
		k++;
	}
	if (mprotect((void *)(uintptr_t)o->tramp, PAGE, PROT_RX)) {
		say(p, o, "cannot make its trampolines executable", NULL, NULL, 0);
		return -errno;
	}
	return 0;
}

static void forget_funcs(struct uklp_rt_patch *p, struct uklp_rt_object *o)
{
	for (uint32_t i = 0; i < o->nfuncs; i++) {
		struct uklp_rt_func *f = &p->funcs[o->first_func + i];

		f->old_addr = f->old_size = f->site = f->pad_addr = 0;
		f->site_len = 0;
		f->tramp = f->new_addr;
	}
	if (o->tramp) {
		munmap((void *)(uintptr_t)o->tramp, PAGE);
		o->tramp = 0;
	}
}

/* Step 4: the switches, the pad first (nothing runs it before the entry
 * jumps there).  The library's code has not run yet. */
static int write_switches(struct rt_event *ev, struct uklp_rt_patch *p, struct uklp_rt_object *o)
{
	for (uint32_t i = 0; i < o->nfuncs; i++) {
		const struct uklp_rt_func *f = &p->funcs[o->first_func + i];
		uint8_t site[5], pad[5];

		if (klp_switch_encode(f, f->tramp, site, pad))
			return -ERANGE;
		if (f->mode == UKLP_SWITCH_PAD)
			rt_writer_put(&ev->w, f->pad_addr, pad, 5, PROT_RX);
		rt_writer_put(&ev->w, f->site, site, f->site_len, PROT_RX);
	}
	return rt_writer_flush(&ev->w);
}

static void set_state(struct rt_event *ev, struct uklp_rt_object *o, uint32_t state)
{
	o->state = state;
	ev->gen_changed = 1;
}

void rt_object_coming(struct rt_event *ev, struct uklp_rt_patch *p, struct uklp_rt_object *o,
		      const struct link_map *lm)
{
	const uint8_t *id;
	const char *why = NULL;
	struct rt_elf e;
	uint32_t done = 0;
	size_t idlen;
	long cb;
	int ret;

	o->link_map = (uint64_t)(uintptr_t)lm;
	o->bias = lm->l_addr;
	o->error[0] = 0;
	ret = rt_elf_open(&e, lm, &why);
	if (ret) {
		say(p, o, why, NULL, NULL, 0);
		set_state(ev, o, UKLP_OBJ_FAILED);
		return;
	}
	rt_elf_mapped_build_id(&e, lm->l_addr, &id, &idlen);
	if (o->build_id_len && (idlen != o->build_id_len || memcmp(id, o->build_id, idlen))) {
		char m[128];
		struct rt_msg b = { m, sizeof(m), 0 };

		rt_msg_str(&b, "build-id ");
		rt_msg_hex(&b, id, idlen);
		rt_msg_str(&b, ", the patch was made for ");
		rt_msg_hex(&b, o->build_id, o->build_id_len);
		say(p, o, m, NULL, NULL, 0);
		rt_elf_close(&e);
		set_state(ev, o, UKLP_OBJ_MISMATCH);
		return;
	}
	ret = apply_relas(ev, p, o, &e, &done);
	if (!ret)
		ret = find_funcs(p, o, &e);
	rt_elf_close(&e);
	if (!ret) {
		cb = rt_object_callback(UKLP_CB_PRE_PATCH, o);
		if (cb <= UKLP_CB_CRASHED) {
			say(p, o, "pre_patch callback crashed, signal", NULL, NULL,
			    UKLP_CB_CRASHED - cb);
			ret = -ECANCELED;
		} else if (cb < 0) {
			say(p, o, "pre_patch callback failed", NULL,
			    cb > -4096 ? strerrordesc_np((int)-cb) : NULL, cb);
			ret = -ECANCELED;
		}
	}
	if (!ret) {
		ret = write_switches(ev, p, o);
		if (ret) {
			say(p, o, "cannot write the switches", NULL, NULL, ret);
			/* Nothing of it ran: undo pre_patch as the kernel
			 * does for an object that failed to patch. */
			rt_object_callback(UKLP_CB_POST_UNPATCH, o);
		}
	}
	if (ret) {
		clear_relas(ev, o, done);
		forget_funcs(p, o);
		set_state(ev, o, UKLP_OBJ_FAILED);
		return;
	}
	o->late_count++;
	set_state(ev, o, UKLP_OBJ_PATCHED);
	if (p->state == UKLP_RT_ENABLED)
		rt_object_callback(UKLP_CB_POST_PATCH, o);
}

void rt_object_going(struct rt_event *ev, struct uklp_rt_patch *p, struct uklp_rt_object *o)
{
	if (o->state == UKLP_OBJ_PATCHED) {
		rt_object_callback(UKLP_CB_PRE_UNPATCH, o);
		rt_object_callback(UKLP_CB_POST_UNPATCH, o);
		clear_relas(ev, o, o->nrelas);
	}
	forget_funcs(p, o);
	o->link_map = 0;
	o->bias = 0;
	set_state(ev, o, UKLP_OBJ_PENDING);
}
