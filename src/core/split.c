/* SPDX-License-Identifier: MIT */
/*
 * Functions GCC split into pieces.  With -freorder-blocks-and-partition
 * (on at -O2) the cold blocks of foo move to foo.cold in .text.unlikely;
 * with partial inlining (-fpartial-inlining, on at -O2) foo keeps a cheap
 * head and its body becomes foo.part.N, which may have its own
 * foo.part.N.cold.  The pieces are local symbols of their own: a thread
 * inside foo.cold (foo jumped there) or foo.part.N (foo tail-called it)
 * has no frame in foo's symbol, yet runs foo's code, and the switch
 * replaces all of it.  So the stack check counts the pieces of a function
 * being switched as the function.
 *
 * A piece is known by its name (foo + ".cold", ".cold.N", ".part.N",
 * ".part.N.cold") in the same object and confirmed by the code: foo, or a
 * piece already found, jumps or calls into it.  The code check tells the
 * pieces of foo from those of a static homonym in another file.  Callers
 * into which GCC inlined foo's head call foo.part.N directly: they run
 * foo's old body too, so the piece counts whoever called it.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "core/core.h"
#include "core/split.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"
#include "symdb/symtab.h"

/* Longer code is not scanned (no function is that long). */
#define MAX_SCAN (1u << 20)

/* "N" of a ".N" suffix: one digit or more. */
static const char *skip_digits(const char *p)
{
	const char *q = p;

	while (isdigit((unsigned char)*q))
		q++;
	return q > p ? q : NULL;
}

/* Is name fn.part.N, fn.cold, fn.cold.N or fn.part.N.cold? */
static bool is_piece_of(const char *name, const char *fn)
{
	size_t n = strlen(fn);
	const char *r = name + n;
	bool any = false;

	if (strncmp(name, fn, n))
		return false;
	if (!strncmp(r, ".part.", 6)) {
		r = skip_digits(r + 6);
		if (!r)
			return false;
		any = true;
	}
	if (!strncmp(r, ".cold", 5)) {
		r += 5;
		if (*r == '.' && !(r = skip_digits(r + 1)))
			return false;
		any = true;
	}
	return any && !*r;
}

static int32_t rel32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * Does the code at [base, base + len) jump or call into [lo, hi)?  Every
 * byte is tried as the start of a direct call, jmp or jcc (rel8 or
 * rel32): no decoder, and a chance match would have to land in a piece
 * already named after the function.
 */
static bool reaches(const uint8_t *code, size_t len, uint64_t base,
		    uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t to = 0;

		if ((code[i] == 0xe8 || code[i] == 0xe9) && i + 5 <= len)
			to = base + i + 5 + (int64_t)rel32(code + i + 1);
		else if (code[i] == 0x0f && i + 6 <= len && (code[i + 1] & 0xf0) == 0x80)
			to = base + i + 6 + (int64_t)rel32(code + i + 2);
		if (to >= lo && to < hi)
			return true;
		if ((code[i] == 0xeb || (code[i] & 0xf0) == 0x70) && i + 2 <= len) {
			to = base + i + 2 + (int64_t)(int8_t)code[i + 1];
			if (to >= lo && to < hi)
				return true;
		}
	}
	return false;
}

static int code_reaches(struct uklp_session *s, uint64_t from, uint64_t size,
			uint64_t lo, uint64_t hi, bool *yes)
{
	uint8_t *code;
	int ret;

	*yes = false;
	if (!size || size > MAX_SCAN)
		return 0;
	code = malloc(size);
	if (!code)
		return -ENOMEM;
	ret = uklp_proc_read(s->proc, from, code, size);
	if (!ret)
		*yes = reaches(code, size, from, lo, hi);
	free(code);
	return ret == -ENOMEM ? ret : 0;
}

struct pieces {
	struct uklp_range **ranges;
	size_t *nranges, cap;
};

static int add(struct pieces *p, uint64_t lo, uint64_t hi, const char *what)
{
	int ret = uklp_grow((void **)p->ranges, &p->cap, *p->nranges + 1,
			    sizeof(**p->ranges));

	if (ret)
		return ret;
	(*p->ranges)[(*p->nranges)++] = (struct uklp_range){ lo, hi, what, false };
	return 0;
}

/* Is name a piece of one of the names the function goes by? */
static bool named_after(const char *name, const char *const *fn, size_t nfn)
{
	for (size_t i = 0; i < nfn; i++)
		if (is_piece_of(name, fn[i]))
			return true;
	return false;
}

/* Does the function or a piece found so far jump or call into [lo, hi)? */
static int reached(struct uklp_session *s, const struct pieces *p,
		   const struct uklp_range *fn, size_t first, uint64_t lo,
		   uint64_t hi, bool *yes)
{
	int ret = code_reaches(s, fn->lo, fn->hi - fn->lo, lo, hi, yes);

	for (size_t k = first; !ret && !*yes && k < *p->nranges; k++)
		ret = code_reaches(s, (*p->ranges)[k].lo,
				   (*p->ranges)[k].hi - (*p->ranges)[k].lo, lo, hi, yes);
	return ret;
}

/* The pieces of the function at range r (one of *p->ranges, by index). */
static int pieces_of(struct uklp_session *s, struct pieces *p, size_t ri)
{
	const struct uklp_range r = (*p->ranges)[ri];
	struct uklp_object *o = uklp_maps_object_at(s->maps, r.lo);
	size_t first = *p->nranges, nfn = 0;
	const char *fn[8];
	struct uklp_symtab *t;
	bool grew;
	int ret;

	if (!o || uklp_session_symtab(s, o, &t))
		return 0;	/* patch code, or no symbols: nothing to add */
	if (!t->full) {
		pr_debug("%s: only exported symbols in %s: pieces the compiler split off are not known",
			 r.what, o->path);
		return 0;
	}
	/* The names of the function (aliases included). */
	for (size_t i = 0; i < t->nsyms && nfn < 8; i++)
		if (t->syms[i].type == STT_FUNC && t->syms[i].value + o->bias == r.lo)
			fn[nfn++] = t->syms[i].name;
	do {
		grew = false;
		for (size_t i = 0; i < t->nsyms; i++) {
			const struct uklp_sym *piece = &t->syms[i];
			uint64_t lo = piece->value + o->bias, hi = lo + piece->size;
			bool known = lo == r.lo, yes = false;

			if (piece->type != STT_FUNC || !piece->size ||
			    !named_after(piece->name, fn, nfn))
				continue;
			for (size_t k = first; k < *p->nranges && !known; k++)
				known = (*p->ranges)[k].lo == lo;
			if (known)
				continue;
			ret = reached(s, p, &r, first, lo, hi, &yes);
			if (ret)
				return ret;
			if (!yes)
				continue;	/* a homonym's, or not reached yet */
			ret = add(p, lo, hi, r.what);
			if (ret)
				return ret;
			pr_debug("%s: its piece %s (0x%llx-0x%llx) counts as part of it for the stack check",
				 r.what, piece->name, (unsigned long long)lo, (unsigned long long)hi);
			grew = true;
		}
	} while (grew);
	return 0;
}

int uklp_split_add_pieces(struct uklp_session *s, struct uklp_range **ranges,
			  size_t *nranges)
{
	struct pieces p = { .ranges = ranges, .nranges = nranges, .cap = *nranges };
	size_t n = *nranges;

	for (size_t i = 0; i < n; i++) {
		int ret;

		if ((*ranges)[i].site)
			continue;
		ret = pieces_of(s, &p, i);
		if (ret)
			return ret;
	}
	return 0;
}
