// SPDX-License-Identifier: MIT
/*
 * Lookups in a process view (maps.c builds it): the object by name or by
 * address, and free address space near a range, where a patch image can
 * go so that its rel32 references reach the code it patches.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "proc/internal.h"
#include "proc/maps.h"

#define SZ_2G		(1ULL << 31)
/* Keep this far inside +-2 GiB so rel32 displacements computed from
 * anywhere in a patch image still fit (images are far smaller). */
#define NEAR_MARGIN	(16ULL << 20)
/* The kernel keeps stack_guard_gap (256 pages by default) free below a
 * growing stack; stay out of it so the stack can still grow. */
#define STACK_GAP	(1ULL << 20)
/* Highest user address with 4-level paging (and what the kernel hands out
 * without an explicit hint under 5-level paging). */
#define USER_TOP	0x7ffffffff000ULL

/* The mapping that contains addr, or NULL (maps.c uses it too). */
const struct uklp_mapping *uklp_maps_mapping_at(const struct uklp_maps *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nmaps; i++)
		if (addr >= m->maps[i].start && addr < m->maps[i].end)
			return &m->maps[i];
	return NULL;
}

struct uklp_object *uklp_maps_find_object(const struct uklp_maps *m, const char *name)
{
	if (!name || !strcmp(name, "vmlinux"))
		return m->nobjs ? &m->objs[0] : NULL;
	for (size_t i = 0; i < m->nobjs; i++)
		if (m->objs[i].name && !strcmp(m->objs[i].name, name))
			return &m->objs[i];
	for (size_t i = 0; i < m->nobjs; i++) {
		const char *p = m->objs[i].path, *base;

		if (!p)
			continue;
		base = strrchr(p, '/');
		base = base ? base + 1 : p;
		if (!strcmp(base, name) || !strcmp(p, name))
			return &m->objs[i];
	}
	return NULL;
}

struct uklp_object *uklp_maps_object_at(const struct uklp_maps *m, uint64_t addr)
{
	const struct uklp_mapping *mp = uklp_maps_mapping_at(m, addr);

	if (!mp || !uklp_maps_is_file(mp->path))
		return NULL;
	for (size_t i = 0; i < m->nobjs; i++)
		if (m->objs[i].path && !strcmp(m->objs[i].path, mp->path))
			return &m->objs[i];
	return NULL;
}

static uint64_t mmap_min_addr(void)
{
	unsigned long v = 65536;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 65536;
		fclose(f);
	}
	return v;
}

/*
 * Gaps between mappings, each clipped to the window in which a range of
 * size bytes stays within reach of [lo, hi): a >= hi - R and
 * a + size <= lo + R, with R = 2 GiB - margin.  In each gap the end
 * nearest the range wins; over all gaps, the smallest distance.
 */
int uklp_maps_find_free_near(const struct uklp_maps *m, uint64_t lo, uint64_t hi,
			     size_t size, uint64_t *addr)
{
	uint64_t ps = uklp_page_size(), pmask = ~(ps - 1);
	uint64_t reach = SZ_2G - NEAR_MARGIN;
	uint64_t wlo, whi, floor = (mmap_min_addr() + ps - 1) & pmask;
	uint64_t best = 0, best_dist = UINT64_MAX;
	uint64_t prev_end = floor;

	size = (size + ps - 1) & pmask;
	if (!size || hi < lo || size > reach)
		return -EINVAL;
	wlo = hi > reach ? hi - reach : 0;
	wlo = (wlo + ps - 1) & pmask;
	whi = lo + reach > USER_TOP ? USER_TOP : lo + reach;
	if (wlo < floor)
		wlo = floor;

	for (size_t i = 0; i <= m->nmaps; i++) {
		uint64_t g0 = prev_end, g1;

		if (i < m->nmaps) {
			const struct uklp_mapping *mp = &m->maps[i];

			if (mp->start >= USER_TOP)
				break;
			g1 = mp->start;
			if (mp->path && !strcmp(mp->path, "[stack]"))
				g1 = g1 > STACK_GAP ? g1 - STACK_GAP : 0;
			if (mp->end > prev_end)
				prev_end = mp->end;
		} else {
			g1 = USER_TOP;
		}
		if (g0 < wlo)
			g0 = wlo;
		if (g1 > whi)
			g1 = whi;
		g1 &= pmask;
		if (g1 <= g0 || g1 - g0 < size)
			continue;

		uint64_t a, dist;

		if (g1 <= lo) {		/* below the range: take the top */
			a = g1 - size;
			dist = lo - g1;
		} else if (g0 >= hi) {	/* above: take the bottom */
			a = g0;
			dist = g0 - hi;
		} else {		/* overlaps [lo, hi) (it has holes) */
			a = g0;
			dist = 0;
		}
		if (dist < best_dist) {
			best = a;
			best_dist = dist;
		}
	}
	if (best_dist == UINT64_MAX) {
		pr_err("pid %d: no free %zu bytes within 2 GiB of 0x%lx-0x%lx",
		       (int)m->pid, (size_t)size, (unsigned long)lo, (unsigned long)hi);
		return -ENOSPC;
	}
	*addr = best;
	return 0;
}
