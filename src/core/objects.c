/* SPDX-License-Identifier: MIT */
/*
 * The klp_objects of a patch being loaded (objects.h): the controller's
 * side of late patching.
 *
 * The kernel decides per object whether it is loaded (klp_is_object_loaded)
 * under klp_mutex, which module loading takes too, so a module is either
 * patched by the enable or by klp_module_coming(), never by both and never
 * by neither.  uklp cannot hold the dynamic loader still while it
 * prepares a patch, so it plans from what is loaded now, and checks the
 * plan again inside the stop, where nothing moves: an object the plan has
 * as loaded must still be listed by the dynamic loader at the same place,
 * and no object it has as not loaded may be listed.  If either changed,
 * the transition ends with -ESTALE and `uklp load` plans again for what
 * changed (load.c).  Once the record is linked, the runtime's hook sees
 * the objects it has as pending and patches them when they load.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "core/buildid.h"
#include "core/objects.h"
#include "core/patch.h"
#include "elf/elf.h"
#include "loader/loader.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"

/* struct r_debug and struct link_map as the process has them (x86-64). */
#define R_MAP_OFF	8
#define R_STATE_OFF	24
#define LM_MAX		4096

struct lm_head {
	uint64_t l_addr, l_name, l_ld, l_next, l_prev;
};

static int add_obj(struct uklp_plan *pl, const char *name)
{
	struct uklp_plan_obj *v = realloc(pl->objs, (pl->nobjs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	pl->objs = v;
	v = &v[pl->nobjs];
	memset(v, 0, sizeof(*v));
	if (name) {
		v->name = strdup(name);
		if (!v->name)
			return -ENOMEM;
	}
	pl->nobjs++;
	return 0;
}

struct uklp_plan_obj *uklp_plan_find(struct uklp_plan *pl, const char *name)
{
	if (name && !strcmp(name, "vmlinux"))
		name = NULL;
	for (size_t i = 0; i < pl->nobjs; i++) {
		const char *n = pl->objs[i].name;

		if ((!n && !name) || (n && name && !strcmp(n, name)))
			return &pl->objs[i];
	}
	return NULL;
}

int uklp_plan_init(struct uklp_plan *pl, const struct uelf *elf, const struct uklp_image *img,
		   const struct uklp_patch_info *info)
{
	char **klp = NULL;
	int ret;

	memset(pl, 0, sizeof(*pl));
	for (size_t i = 0; i < info->nobjs; i++) {
		const struct uklp_patch_obj *po = &info->objs[i];
		struct uklp_plan_obj *o;

		ret = add_obj(pl, po->name);
		if (ret)
			return ret;
		o = &pl->objs[pl->nobjs - 1];
		o->has = po->has;
		o->first_func = po->first_func;
		o->nfuncs = po->nfuncs;
	}
	/* An object the patch only reaches through klp relocations comes
	 * and goes too: it gets an entry without callbacks or functions. */
	ret = uklp_image_klp_objects(img, &klp);
	for (size_t i = 0; !ret && klp[i]; i++)
		if (!uklp_plan_find(pl, klp[i]))
			ret = add_obj(pl, klp[i]);
	for (size_t i = 0; klp && klp[i]; i++)
		free(klp[i]);
	free(klp);
	for (size_t i = 0; !ret && i < pl->nobjs; i++) {
		struct uklp_plan_obj *o = &pl->objs[i];

		if (!o->name)
			continue;	/* the executable never goes */
		ret = uklp_image_klp_relas(img, o->name, NULL, 0, &o->nrelas);
		if (!ret)
			ret = uklp_buildid_expected(elf, o->name, o->build_id, sizeof(o->build_id),
						    &o->build_id_len);
		pl->nrelas += o->nrelas;
	}
	return ret;
}

void uklp_plan_free(struct uklp_plan *pl)
{
	for (size_t i = 0; i < pl->nobjs; i++) {
		free(pl->objs[i].name);
		free(pl->objs[i].relas);
	}
	free(pl->objs);
	free(pl->lms);
	memset(pl, 0, sizeof(*pl));
}

size_t uklp_plan_bytes(const struct uklp_plan *pl)
{
	return pl->nobjs * sizeof(struct uklp_rt_object) + pl->nrelas * sizeof(struct uklp_rt_rela);
}

bool uklp_plan_any_pending(const struct uklp_plan *pl)
{
	for (size_t i = 0; i < pl->nobjs; i++)
		if (!pl->objs[i].loaded)
			return true;
	return false;
}

/* ---- the dynamic loader's list, read from the process ---- */

static int r_debug_addr(struct uklp_session *s, uint64_t *addr)
{
	if (!s->r_debug_known) {
		s->r_debug_known = true;
		if (uklp_session_find_export(s, "_r_debug", &s->r_debug))
			s->r_debug = 0;
	}
	*addr = s->r_debug;
	return *addr ? 0 : -ENOENT;
}

int uklp_loader_busy(struct uklp_session *s)
{
	uint64_t r;
	int32_t state;

	if (r_debug_addr(s, &r) ||
	    uklp_proc_read(s->proc, r + R_STATE_OFF, &state, sizeof(state)))
		return 0;
	return state != RT_CONSISTENT;
}

int uklp_lm_read(struct uklp_session *s, struct uklp_lm **out, size_t *n)
{
	struct uklp_lm *v = NULL;
	uint64_t r, at;
	size_t cap = 0;
	int ret;

	*out = NULL;
	*n = 0;
	if (r_debug_addr(s, &r))
		return 0;	/* no dynamic loader: nothing comes or goes */
	ret = uklp_proc_read(s->proc, r + R_MAP_OFF, &at, sizeof(at));
	while (!ret && at) {
		struct lm_head h;

		if (*n == LM_MAX) {
			ret = -ELOOP;
			break;
		}
		ret = uklp_proc_read(s->proc, at, &h, sizeof(h));
		if (ret)
			break;
		if (*n == cap) {
			struct uklp_lm *nv = realloc(v, (cap ? 2 * cap : 32) * sizeof(*v));

			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			v = nv;
			cap = cap ? 2 * cap : 32;
		}
		v[(*n)++] = (struct uklp_lm){ at, h.l_addr };
		at = h.l_next;
	}
	if (ret) {
		pr_err("process %d: cannot read the dynamic loader's list of objects", s->opts->pid);
		free(v);
		*n = 0;
		return ret;
	}
	*out = v;
	return 0;
}

static int read_str(struct uklp_session *s, uint64_t addr, char *buf, size_t len)
{
	/* Strings may end just before unmapped memory: read in pieces. */
	for (size_t off = 0; off + 1 < len; off += 32) {
		size_t n = len - 1 - off < 32 ? len - 1 - off : 32;
		int ret = uklp_proc_read(s->proc, addr + off, buf + off, n);

		if (ret)
			return ret;
		buf[off + n] = 0;
		if (memchr(buf + off, 0, n))
			return 0;
	}
	buf[len - 1] = 0;
	return 0;
}

int uklp_lm_matches(struct uklp_session *s, uint64_t lm, const char *name, bool *match)
{
	struct lm_head h;
	Elf64_Dyn dyn[64];
	uint64_t strtab = 0, soname = 0;
	bool have = false;
	char buf[256];
	int ret;

	*match = false;
	ret = uklp_proc_read(s->proc, lm, &h, sizeof(h));
	if (ret)
		return ret;
	for (uint64_t at = h.l_ld; at && !strtab; at += sizeof(dyn)) {
		bool end = false;

		if (uklp_proc_read(s->proc, at, dyn, sizeof(dyn)))
			break;
		for (size_t i = 0; i < 64 && !end; i++) {
			end = dyn[i].d_tag == DT_NULL;
			if (dyn[i].d_tag == DT_STRTAB)
				strtab = dyn[i].d_un.d_ptr < h.l_addr ? dyn[i].d_un.d_ptr + h.l_addr
								      : dyn[i].d_un.d_ptr;
			if (dyn[i].d_tag == DT_SONAME) {
				soname = dyn[i].d_un.d_val;
				have = true;
			}
		}
		if (end || at - h.l_ld > 64 * sizeof(dyn))
			break;
	}
	if (have && strtab && !read_str(s, strtab + soname, buf, sizeof(buf))) {
		*match = !strcmp(buf, name);
		return 0;
	}
	if (!h.l_name || read_str(s, h.l_name, buf, sizeof(buf)))
		return 0;
	*match = !strcmp(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, name);
	return 0;
}

/* ---- planning ---- */

/* The runtime's count of changes of the dynamic loader's list, or 0. */
static uint64_t dl_changes(struct uklp_session *s)
{
	uint64_t addr, n = 0;

	if (!s->registry || uklp_registry_runtime_symbol(s, "uklp_rt_dl_changes", &addr) ||
	    uklp_proc_read(s->proc, addr, &n, sizeof(n)))
		return 0;
	return n;
}


/*
 * The maps and the dynamic loader's list, read one after the other, must
 * agree on every library of the patch: a library in the maps that the
 * dynamic loader does not list (being mapped, or unmapped) cannot be
 * checked again in the stop, and a switch written where it was could land
 * in whatever was mapped there since.  Read both again until they agree.
 */
#define LOCATE_TRIES 100

int uklp_plan_locate(struct uklp_session *s, struct uklp_plan *pl)
{
	for (int t = 0;; t++) {
		bool agree = true;
		int ret;

		/* Halfway through a dlopen or dlclose, a library may be
		 * listed and partly mapped: wait for the end of it. */
		agree = !uklp_loader_busy(s);
		pl->dl_changes = dl_changes(s);
		/* The session's maps are a moment old: read again (which
		 * costs the symbol tables read so far) only when they do
		 * not agree with the list. */
		ret = 0;
		if (t) {
			usleep(1000);
			ret = uklp_session_reread_maps(s);
		}
		if (!ret) {
			free(pl->lms);
			ret = uklp_lm_read(s, &pl->lms, &pl->nlms);
		}
		if (ret)
			return ret;
		agree = agree && !uklp_loader_busy(s);
		for (size_t i = 0; i < pl->nobjs; i++) {
			struct uklp_plan_obj *o = &pl->objs[i];
			struct uklp_object *mo = uklp_maps_find_object(s->maps, o->name);

			o->loaded = mo != NULL;
			o->bias = mo ? mo->bias : 0;
			o->link_map = 0;
			if (!mo || !o->name)
				continue;	/* the executable never goes */
			/* The dynamic loader's entry for it: the one at its bias. */
			for (size_t k = 0; k < pl->nlms && !o->link_map; k++)
				if (pl->lms[k].l_addr == mo->bias)
					o->link_map = pl->lms[k].addr;
			if ((!o->link_map && pl->nlms) || !mo->text_hi)
				agree = false;
		}
		if (agree)
			return 0;
		if (t == LOCATE_TRIES) {
			pr_err("process %d: its libraries kept changing while uklp looked at them (a library in its maps that the dynamic loader does not list)",
			       s->opts->pid);
			return -EAGAIN;
		}
	}
}

bool uklp_plan_moved(struct uklp_session *s, const struct uklp_plan *pl)
{
	struct uklp_lm *now;
	size_t n;
	bool moved;

	/* A library unloaded and loaded again at the same place, with its
	 * link_map at the same address, leaves the same list: the count
	 * tells. */
	if (dl_changes(s) != pl->dl_changes)
		return true;
	if (uklp_lm_read(s, &now, &n))
		return false;
	moved = n != pl->nlms || (n && memcmp(now, pl->lms, n * sizeof(*now)));
	free(now);
	return moved;
}

int uklp_plan_relas(struct uklp_plan *pl, const struct uklp_image *img, uint64_t objs_addr)
{
	uint64_t at = objs_addr + pl->nobjs * sizeof(struct uklp_rt_object);

	for (size_t i = 0; i < pl->nobjs; i++) {
		struct uklp_plan_obj *o = &pl->objs[i];
		size_t n;
		int ret;

		o->rt_addr = objs_addr + i * sizeof(struct uklp_rt_object);
		if (!o->nrelas)
			continue;
		free(o->relas);
		o->relas = calloc(o->nrelas, sizeof(*o->relas));
		if (!o->relas)
			return -ENOMEM;
		ret = uklp_image_klp_relas(img, o->name, o->relas, o->nrelas, &n);
		if (ret)
			return ret;
		o->relas_addr = at;
		at += o->nrelas * sizeof(struct uklp_rt_rela);
	}
	return 0;
}

void uklp_plan_fill(const struct uklp_plan *pl, struct uklp_rt_object *out)
{
	for (size_t i = 0; i < pl->nobjs; i++) {
		const struct uklp_plan_obj *o = &pl->objs[i];
		struct uklp_rt_object *r = &out[i];
		uint32_t cbs = r->callbacks;	/* kept: the runtime writes them */

		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", o->name ? o->name : "");
		r->klp_object = o->klp_object;
		r->state = o->loaded ? UKLP_OBJ_PATCHED : UKLP_OBJ_PENDING;
		r->callbacks = cbs;
		r->bias = o->loaded ? o->bias : 0;
		r->link_map = o->loaded ? o->link_map : 0;
		memcpy(r->build_id, o->build_id, o->build_id_len);
		r->build_id_len = (uint32_t)o->build_id_len;
		r->first_func = (uint32_t)o->first_func;
		r->nfuncs = (uint32_t)o->nfuncs;
		r->nrelas = (uint32_t)o->nrelas;
		r->relas = o->relas_addr;
		r->has = o->has;
	}
}

int uklp_plan_write_relas(struct uklp_session *s, const struct uklp_plan *pl)
{
	for (size_t i = 0; i < pl->nobjs; i++) {
		const struct uklp_plan_obj *o = &pl->objs[i];
		int ret;

		if (!o->nrelas)
			continue;
		ret = uklp_proc_write(s->proc, o->relas_addr, o->relas,
				      o->nrelas * sizeof(*o->relas));
		if (ret)
			return ret;
	}
	return 0;
}

int uklp_plan_clear_relas(struct uklp_session *s, const struct uklp_plan_obj *o)
{
	static const uint8_t zero[8];

	for (size_t i = 0; i < o->nrelas; i++) {
		const struct uklp_rt_rela *r = &o->relas[i];
		int ret = 0;

		if (r->width && r->width <= 8)
			ret = uklp_proc_write(s->proc, r->place, r->cleared, r->width);
		if (!ret && r->got)
			ret = uklp_proc_write(s->proc, r->got, zero, sizeof(zero));
		if (ret)
			return ret;
	}
	return 0;
}

static bool was_listed(const struct uklp_plan *pl, const struct uklp_lm *lm)
{
	for (size_t i = 0; i < pl->nlms; i++)
		if (pl->lms[i].addr == lm->addr && pl->lms[i].l_addr == lm->l_addr)
			return true;
	return false;
}

int uklp_plan_check(struct uklp_session *s, void *ctx)
{
	struct uklp_plan *pl = ctx;
	struct uklp_lm *now;
	size_t n;
	int ret = 0;

	if (pl->nobjs == 1 && !pl->objs[0].name)
		return 0;	/* only the executable: nothing comes or goes */
	/* The hook changed a record since uklp read them: an older patch
	 * may now switch a function this one replaces, from other bytes. */
	if (s->registry) {
		uint64_t gen;

		if (uklp_proc_read(s->proc,
				   s->registry + offsetof(struct uklp_rt_registry, generation),
				   &gen, sizeof(gen)))
			return -EIO;
		if (gen != s->reg.generation) {
			pr_debug("process %d: the runtime changed the registry since uklp read it",
				 s->opts->pid);
			return -ESTALE;
		}
	}
	if (uklp_lm_read(s, &now, &n))
		return -EIO;
	for (size_t i = 0; !ret && i < pl->nobjs; i++) {
		const struct uklp_plan_obj *o = &pl->objs[i];
		bool found = false;

		if (!o->loaded || !o->link_map)
			continue;
		for (size_t k = 0; k < n && !found; k++)
			found = now[k].addr == o->link_map && now[k].l_addr == o->bias;
		if (!found) {
			pr_debug("process %d: object '%s' went away since uklp looked", s->opts->pid,
				 o->name);
			ret = -ESTALE;
		}
	}
	for (size_t k = 0; !ret && k < n; k++) {
		if (was_listed(pl, &now[k]))
			continue;
		for (size_t i = 0; !ret && i < pl->nobjs; i++) {
			const struct uklp_plan_obj *o = &pl->objs[i];
			bool match;

			if (o->loaded || !o->name)
				continue;
			if (uklp_lm_matches(s, now[k].addr, o->name, &match))
				ret = -EIO;
			else if (match) {
				pr_debug("process %d: object '%s' came since uklp looked",
					 s->opts->pid, o->name);
				ret = -ESTALE;
			}
		}
	}
	free(now);
	return ret;
}

/* ---- a record's local copy ---- */

struct uklp_rt_object *uklp_rec_objs(const struct uklp_rt_patch *p)
{
	return p->nobjs ? (struct uklp_rt_object *)(void *)&p->funcs[p->nfuncs] : NULL;
}

bool uklp_rec_func_live(const struct uklp_rt_patch *p, uint32_t i)
{
	const struct uklp_rt_object *o = uklp_rec_objs(p);

	if (i >= p->nfuncs || !p->funcs[i].old_addr)
		return false;
	for (uint32_t k = 0; o && k < p->nobjs; k++)
		if (i >= o[k].first_func && i - o[k].first_func < o[k].nfuncs)
			return o[k].state == UKLP_OBJ_PATCHED;
	return true;
}
