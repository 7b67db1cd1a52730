// SPDX-License-Identifier: MIT
// parse() replaced by C++ code that throws: one exception is thrown and
// caught inside the patch (100), one is thrown by the patch and caught by
// the program's original caller (negative input), and a deeper one is
// thrown by a helper of the patch through the patch function (1000).
#include <stdexcept>
#include <uklp/livepatch.h>

__attribute__((noinline)) static long patch_helper(long x)
{
	if (x == 1000)
		throw std::runtime_error("from the patch helper");
	return x;
}

static long livepatch_parse(long x)
{
	if (x == 100) {
		try {
			throw std::runtime_error("inner");
		} catch (const std::runtime_error &) {
			return -100;		// caught inside the patch
		}
	}
	if (x < 0)
		throw std::out_of_range("patched negative");
	return patch_helper(x) * 3;
}

static struct klp_func funcs[] = {
	KLP_FUNC("parse", livepatch_parse),
	KLP_FUNC_END
};
static struct klp_object objs[] = {
	KLP_OBJECT(NULL, funcs),
	KLP_OBJECT_END
};
static struct klp_patch patch = KLP_PATCH_INIT(objs);
KLP_PATCH(patch);
