/* SPDX-License-Identifier: MIT */
/*
 * The portable initializers of <uklp/livepatch.h>: this file builds
 * without a warning as C99, C11 and GNU C with -Wall -Wextra -pedantic,
 * and as C++ (22-hints.t builds it each way).  twice(x) becomes
 * secret(x) * 100, secret() being a static of the target (so the patch
 * is converted before it is loaded).
 */
#include <stddef.h>
#include <uklp/livepatch.h>

#ifdef __cplusplus
extern "C"	/* the target's name, not a C++ one */
#endif
int secret(int);
KLP_SYMPOS(secret, "vmlinux", 0);

static int livepatch_twice(int x)
{
	return secret(x) * 100;
}

static struct klp_func funcs[] = {
	KLP_FUNC("twice", livepatch_twice),
	KLP_FUNC_END
};
static struct klp_object objs[] = {
	KLP_OBJECT(NULL, funcs),
	KLP_OBJECT_END
};
static struct klp_patch patch = KLP_PATCH_INIT(objs);
KLP_PATCH(patch);
