// SPDX-License-Identifier: GPL-2.0
/*
 * uklp_kt_target: the module that livepatch_uklp_kt patches.
 *
 * /proc/uklp_kt_target prints "answer N", N = uklp_kt_answer().  The
 * original answer is uklp_kt_base() + 1 = 42.  Both functions are static
 * and not exported: the patch reaches uklp_kt_base() only through a
 * .klp.rela relocation that `uklp convert --kernel` writes, resolved by
 * the kernel when this module loads after the patch (late module patching).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static int base = 41;
module_param(base, int, 0444);
MODULE_PARM_DESC(base, "what uklp_kt_base() returns");

/* noinline and reading a parameter: both functions stay real functions. */
static noinline int uklp_kt_base(void)
{
	return READ_ONCE(base);
}

static noinline int uklp_kt_answer(void)
{
	return uklp_kt_base() + 1;
}

static int uklp_kt_show(struct seq_file *m, void *v)
{
	seq_printf(m, "answer %d\n", uklp_kt_answer());
	return 0;
}

static int __init uklp_kt_init(void)
{
	if (!proc_create_single("uklp_kt_target", 0444, NULL, uklp_kt_show))
		return -ENOMEM;
	return 0;
}

static void __exit uklp_kt_exit(void)
{
	remove_proc_entry("uklp_kt_target", NULL);
}

module_init(uklp_kt_init);
module_exit(uklp_kt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("uklp kernel selftest: module patched by livepatch_uklp_kt");
