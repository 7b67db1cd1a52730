/* SPDX-License-Identifier: MIT */
#include "klp/funcstack.h"

static const struct uklp_rt_func *find(const struct uklp_rt_patch *p, uint64_t old_addr)
{
	if (!p || !klp_rec_on_stack(p))
		return NULL;
	for (uint32_t j = 0; j < p->nfuncs; j++)
		if (p->funcs[j].old_addr == old_addr)
			return &p->funcs[j];
	return NULL;
}

const struct uklp_rt_func *klp_func_below(klp_rec_get_fn get, const void *ctx,
					  size_t i, uint64_t old_addr)
{
	while (i-- > 0) {
		const struct uklp_rt_func *f = find(get(ctx, i), old_addr);

		if (f)
			return f;
	}
	return NULL;
}

bool klp_func_above(klp_rec_get_fn get, const void *ctx, size_t n, size_t i,
		    uint64_t old_addr)
{
	for (size_t k = i + 1; k < n; k++)
		if (find(get(ctx, k), old_addr))
			return true;
	return false;
}
