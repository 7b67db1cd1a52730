/* SPDX-License-Identifier: MIT */
/*
 * The patch descriptor: struct uklp_patch_desc in section .uklp.patch,
 * pointing at the author's struct klp_patch.  Read from the relocated
 * local image, so every pointer is already a target address that
 * uklp_image_at() maps back to local bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch.h>

#include "common/log.h"
#include "core/core.h"
#include "core/patch.h"
#include "elf/elf.h"
#include "loader/loader.h"

#define MAX_ENTRIES 65536

int uklp_patch_name(const char *path, char *out, size_t outlen)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n == 0 || n >= outlen) {
		pr_err("%s: cannot make a patch name from this file name (1 to %zu characters before the first dot)",
		       path, outlen - 1);
		return -EINVAL;
	}
	memcpy(out, base, n);
	out[n] = 0;
	return 0;
}

int uklp_patch_check_elf(struct uelf *e)
{
	if (e->ehdr.e_ident[EI_CLASS] != ELFCLASS64 || e->ehdr.e_machine != EM_X86_64) {
		pr_err("%s: not an x86-64 ELF object (machine %u, class %u)", e->path,
		       e->ehdr.e_machine, e->ehdr.e_ident[EI_CLASS]);
		return -ENOEXEC;
	}
	if (e->ehdr.e_type != ET_REL) {
		pr_err("%s: not a relocatable object (ELF type %u); build the patch with cc -c",
		       e->path, e->ehdr.e_type);
		return -ENOEXEC;
	}
	if (uelf_is_slim_lto(e)) {
		pr_err("%s: GCC LTO bytecode (built with -flto), not machine code: not a patch object; build the patch with -fno-lto",
		       e->path);
		return -ENOEXEC;
	}
	if (!uelf_find_section(e, ".uklp.patch")) {
		pr_err("%s: no patch descriptor (section .uklp.patch): is KLP_PATCH() missing?",
		       e->path);
		return -ENOEXEC;
	}
	return 0;
}

static int read_str(const struct uklp_image *img, const char *path, uint64_t addr,
		    const char *what, char **out)
{
	const char *p;
	size_t len = 0;

	if (!addr) {
		*out = NULL;
		return 0;
	}
	/* Bounded: the string must end inside the image. */
	while ((p = uklp_image_at(img, addr + len, 1)) && *p && len < 4096)
		len++;
	if (!p || *p) {
		pr_err("%s: %s points outside the patch (0x%llx)", path, what,
		       (unsigned long long)addr);
		return -EINVAL;
	}
	*out = strndup(uklp_image_at(img, addr, 1), len);
	return *out ? 0 : -ENOMEM;
}

#define AT(img, addr, type) ((const type *)uklp_image_at(img, addr, sizeof(type)))

static bool zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/* The new function: inside the patch's text, with a size from its symbol. */
static int new_func_size(struct uelf *e, const struct uklp_image *img,
			 uint64_t addr, const char *name, uint64_t *size)
{
	for (size_t i = 0; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];

		if (s->type != STT_FUNC || !s->sec || img->sec_off[s->sec->idx] == UINT64_MAX)
			continue;
		if (img->base + img->sec_off[s->sec->idx] + s->sym.st_value == addr) {
			*size = s->sym.st_size ? s->sym.st_size : 1;
			return 0;
		}
	}
	pr_err("%s: new_func of '%s' (0x%llx) is not a function of the patch", e->path,
	       name, (unsigned long long)addr);
	return -EINVAL;
}

static int read_funcs(struct uelf *e, const struct uklp_image *img,
		      uint64_t addr, const char *objname, struct uklp_patch_info *info)
{
	for (size_t i = 0;; i++, addr += sizeof(struct klp_func)) {
		const struct klp_func *f = AT(img, addr, struct klp_func);
		struct uklp_patch_func *pf, *n;
		int ret;

		if (!f) {
			pr_err("%s: funcs array of object '%s' runs out of the patch (missing the { } end marker?)",
			       e->path, objname);
			return -EINVAL;
		}
		if (zero(f, sizeof(*f)))
			return 0;
		if (i >= MAX_ENTRIES)
			return -E2BIG;
		n = realloc(info->funcs, (info->nfuncs + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		info->funcs = n;
		pf = &n[info->nfuncs++];
		memset(pf, 0, sizeof(*pf));
		if (strcmp(objname, "vmlinux")) {
			pf->object = strdup(objname);
			if (!pf->object)
				return -ENOMEM;
		}
		ret = read_str(img, e->path, (uint64_t)(uintptr_t)f->old_name, "old_name", &pf->old_name);
		if (ret)
			return ret;
		if (!pf->old_name) {
			pr_err("%s: a function of object '%s' has no old_name", e->path, objname);
			return -EINVAL;
		}
		if (!f->new_func) {
			pr_err("%s: function '%s' of object '%s' has no new_func", e->path,
			       pf->old_name, objname);
			return -EINVAL;
		}
		pf->old_sympos = f->old_sympos;
		pf->new_addr = (uint64_t)(uintptr_t)f->new_func;
		ret = new_func_size(e, img, pf->new_addr, pf->old_name, &pf->new_size);
		if (ret)
			return ret;
	}
}

int uklp_patch_read_info(struct uelf *e, const struct uklp_image *img,
			 struct uklp_patch_info *info)
{
	const struct uelf_section *sec = uelf_find_section(e, ".uklp.patch");
	const struct uklp_patch_desc *d;
	const struct klp_patch *p;
	uint64_t objs;
	int ret;

	memset(info, 0, sizeof(*info));
	if (!sec || img->sec_off[sec->idx] == UINT64_MAX)
		return -ENOEXEC;
	d = AT(img, img->base + img->sec_off[sec->idx], struct uklp_patch_desc);
	if (!d || d->magic != UKLP_PATCH_MAGIC) {
		pr_err("%s: .uklp.patch holds no patch descriptor", e->path);
		return -ENOEXEC;
	}
	if (d->abi_version != UKLP_ABI_VERSION) {
		pr_err("%s: built for uklp ABI version %u, this uklp loads version %u; rebuild the patch",
		       e->path, d->abi_version, UKLP_ABI_VERSION);
		return -ENOEXEC;
	}
	info->patch_addr = (uint64_t)(uintptr_t)d->patch;
	p = AT(img, info->patch_addr, struct klp_patch);
	if (!p) {
		pr_err("%s: KLP_PATCH() does not point at a struct klp_patch of the patch", e->path);
		return -EINVAL;
	}
	if (p->states || p->replace) {
		pr_err("%s: %s is not supported by this uklp yet", e->path,
		       p->states ? "klp_patch.states" : "klp_patch.replace");
		return -ENOTSUP;
	}
	if (!p->objs) {
		pr_err("%s: struct klp_patch has no objs", e->path);
		return -EINVAL;
	}
	objs = (uint64_t)(uintptr_t)p->objs;
	for (;; objs += sizeof(struct klp_object)) {
		const struct klp_object *o = AT(img, objs, struct klp_object);
		char *name = NULL;

		if (!o) {
			pr_err("%s: objs array runs out of the patch (missing the { } end marker?)", e->path);
			return -EINVAL;
		}
		if (zero(o, sizeof(*o)))
			break;
		ret = read_str(img, e->path, (uint64_t)(uintptr_t)o->name, "klp_object.name", &name);
		if (ret)
			return ret;
		if (!zero(&o->callbacks, sizeof(o->callbacks))) {
			pr_err("%s: callbacks of object '%s' are not supported by this uklp yet",
			       e->path, name ? name : "vmlinux");
			free(name);
			return -ENOTSUP;
		}
		if (!o->funcs) {
			pr_err("%s: object '%s' has no funcs", e->path, name ? name : "vmlinux");
			free(name);
			return -EINVAL;
		}
		ret = read_funcs(e, img, (uint64_t)(uintptr_t)o->funcs,
				 name ? name : "vmlinux", info);
		free(name);
		if (ret)
			return ret;
		info->nobjs++;
	}
	if (!info->nfuncs) {
		pr_err("%s: the patch replaces no function", e->path);
		return -EINVAL;
	}
	return 0;
}

void uklp_patch_info_free(struct uklp_patch_info *info)
{
	for (size_t i = 0; i < info->nfuncs; i++) {
		free(info->funcs[i].object);
		free(info->funcs[i].old_name);
	}
	free(info->funcs);
	memset(info, 0, sizeof(*info));
}
