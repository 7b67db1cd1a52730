/* SPDX-License-Identifier: MIT */
/* Calls glibc's strlen and memset: IFUNCs, which uklp must resolve to the
 * implementation the CPU uses, as the dynamic linker does. */
#include <string.h>
#include <uklp/livepatch.h>

static const char *volatile msg = "hello";

static int livepatch_answer(int x)
{
	char buf[16];

	memset(buf, 'a' + x % 26, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	return 100 * (int)strlen(msg) + (int)strlen(buf) + (buf[3] - 'a');
}

static struct klp_func funcs[] = { { .old_name = "answer", .new_func = livepatch_answer, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
