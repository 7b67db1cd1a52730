/* SPDX-License-Identifier: MIT */
/*
 * 28-shadow-vars.t: shadow variables used by patch code.  Replaces
 * answer(x):
 *	answer 1	the scenario of the kernel's test_klp_shadow_vars
 *			module, with a transcript on stderr; returns how
 *			many results were not the expected ones
 *	answer 2	klp_shadow_alloc of a variable that exists: 1 if it
 *			was refused (NULL)
 *	answer 3	attaches <KEEP_OBJ, KEEP_ID> = 4242 and returns it
 *	answer 4	its value, or -1
 *	answer 7	(the target's hammer threads) a round of
 *			get_or_alloc on shared keys and alloc/get/free on a
 *			key of the calling thread: 1007 if every result is
 *			the expected one, else 0
 *	otherwise	x + 1000
 */
#include <stdint.h>
#include <stdio.h>
#include <uklp/livepatch.h>

#define KEEP_OBJ ((void *)0x4b454550ul)
#define KEEP_ID 0xfeedul

/* ---- answer 1 ---- */

/* Pointers are printed as PTRn, n in order of first appearance (PTR0 is
 * NULL), so that the transcript is the same from run to run. */
static void *seen[64];
static int nseen;

static int ptr_id(void *p)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i] == p)
			return i;
	if (nseen == 64)
		return -1;
	seen[nseen] = p;
	return nseen++;
}

static int ctor_calls, dtor_calls;

static int shadow_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	(void)obj;
	*(void **)shadow_data = ctor_data;
	ctor_calls++;
	dprintf(2, "shadow_ctor: PTR%d -> PTR%d\n", ptr_id(shadow_data), ptr_id(ctor_data));
	return 0;
}

static void shadow_dtor(void *obj, void *shadow_data)
{
	dtor_calls++;
	dprintf(2, "shadow_dtor(obj=PTR%d, shadow_data=PTR%d)\n", ptr_id(obj),
		ptr_id(shadow_data));
}

static void *get(void *obj, unsigned long id)
{
	void *r = klp_shadow_get(obj, id);

	dprintf(2, "klp_shadow_get(obj=PTR%d, id=0x%lx) = PTR%d\n", ptr_id(obj), id, ptr_id(r));
	return r;
}

static void *alloc(void *obj, unsigned long id, void *ctor_data)
{
	void *r = klp_shadow_alloc(obj, id, sizeof(void *), shadow_ctor, ctor_data);

	dprintf(2, "klp_shadow_alloc(obj=PTR%d, id=0x%lx, size=%zu, ctor=PTR%d, ctor_data=PTR%d) = PTR%d\n",
		ptr_id(obj), id, sizeof(void *), ptr_id((void *)(uintptr_t)shadow_ctor),
		ptr_id(ctor_data), ptr_id(r));
	return r;
}

static void *get_or_alloc(void *obj, unsigned long id, void *ctor_data)
{
	void *r = klp_shadow_get_or_alloc(obj, id, sizeof(void *), shadow_ctor, ctor_data);

	dprintf(2, "klp_shadow_get_or_alloc(obj=PTR%d, id=0x%lx, size=%zu, ctor=PTR%d, ctor_data=PTR%d) = PTR%d\n",
		ptr_id(obj), id, sizeof(void *), ptr_id((void *)(uintptr_t)shadow_ctor),
		ptr_id(ctor_data), ptr_id(r));
	return r;
}

static int bad;

/* A lookup of <obj, id>: want is the variable expected (NULL: none), and
 * what it must hold. */
static void expect(void *obj, unsigned long id, void *want, void *holds)
{
	void *r = get(obj, id);

	if (!want && !r) {
		dprintf(2, "  got expected NULL result\n");
	} else if (r == want && *(void **)r == holds) {
		dprintf(2, "  got expected PTR%d -> PTR%d result\n", ptr_id(r), ptr_id(holds));
	} else {
		dprintf(2, "  unexpected result\n");
		bad++;
	}
}

static int kernel_scenario(void)
{
	static char objects[3][16];
	void *obj[3] = { objects[0], objects[1], objects[2] };
	unsigned long id = 0x1234;
	static int var[3][2];
	void *sv[3][2];

	bad = ctor_calls = dtor_calls = 0;
	ptr_id(NULL);

	/* Nothing there at first. */
	expect(obj[0], id, NULL, NULL);

	/* Six variables: three objects, two ids; both ways of making one. */
	for (int o = 0; o < 3; o++)
		for (int i = 0; i < 2; i++) {
			sv[o][i] = (o + i) % 2 ? alloc(obj[o], id + i, &var[o][i])
					       : get_or_alloc(obj[o], id + i, &var[o][i]);
			if (!sv[o][i])
				return ++bad;
		}
	for (int o = 0; o < 3; o++)
		for (int i = 0; i < 2; i++)
			expect(obj[o], id + i, sv[o][i], &var[o][i]);

	/* get_or_alloc of an existing one: the same, no constructor. */
	for (int o = 0; o < 3; o++) {
		void *r = get_or_alloc(obj[o], id, &var[o][0]);

		if (r == sv[o][0] && *(void **)r == &var[o][0])
			dprintf(2, "  got expected PTR%d -> PTR%d result\n", ptr_id(r),
				ptr_id(&var[o][0]));
		else
			bad++;
	}
	if (ctor_calls != 6) {
		dprintf(2, "  constructor ran %d times, not 6\n", ctor_calls);
		bad++;
	}

	/* Free <*, id> one by one, with the destructor: gone, and id + 1 not. */
	for (int o = 0; o < 3; o++) {
		klp_shadow_free(obj[o], id, shadow_dtor);
		dprintf(2, "klp_shadow_free(obj=PTR%d, id=0x%lx, dtor=PTR%d)\n", ptr_id(obj[o]),
			id, ptr_id((void *)(uintptr_t)shadow_dtor));
		expect(obj[o], id, NULL, NULL);
	}
	for (int o = 0; o < 3; o++)
		expect(obj[o], id + 1, sv[o][1], &var[o][1]);

	/* Free all of <*, id + 1>, without a destructor. */
	klp_shadow_free_all(id + 1, NULL);
	dprintf(2, "klp_shadow_free_all(id=0x%lx, dtor=PTR0)\n", id + 1);
	for (int o = 0; o < 3; o++)
		expect(obj[o], id + 1, NULL, NULL);
	if (dtor_calls != 3) {
		dprintf(2, "  destructor ran %d times, not 3\n", dtor_calls);
		bad++;
	}
	return bad;
}

/* ---- answer 2 ---- */

static int duplicate(void)
{
	static char obj;
	void *first = klp_shadow_alloc(&obj, 0x5eed, 8, NULL, NULL);
	void *second = klp_shadow_alloc(&obj, 0x5eed, 8, NULL, NULL);

	klp_shadow_free(&obj, 0x5eed, NULL);
	return first && !second;
}

/* ---- answer 3, 4 ---- */

static int set_int(void *obj, void *shadow_data, void *ctor_data)
{
	(void)obj;
	*(int *)shadow_data = *(int *)ctor_data;
	return 0;
}

static int keep(void)
{
	int v = 4242;
	int *d = klp_shadow_alloc(KEEP_OBJ, KEEP_ID, sizeof(int), set_int, &v);

	return d ? *d : -1;
}

static int kept(void)
{
	int *d = klp_shadow_get(KEEP_OBJ, KEEP_ID);

	return d ? *d : -1;
}

/* ---- answer 7 ---- */

static unsigned long round_no;

static int set_key(void *obj, void *shadow_data, void *ctor_data)
{
	(void)ctor_data;
	*(uintptr_t *)shadow_data = (uintptr_t)obj;
	return 0;
}

static int hammer_round(void)
{
	unsigned long n = __atomic_fetch_add(&round_no, 1, __ATOMIC_RELAXED);
	void *shared = (void *)(0x7000ul + (n % 16) * 8);
	volatile char mine;	/* its address: a key no other thread has */
	void *own = (void *)&mine;
	uintptr_t *d = klp_shadow_get_or_alloc(shared, 0x77, sizeof(*d), set_key, NULL);
	void *o;

	if (!d || *d != (uintptr_t)shared)
		return 0;
	o = klp_shadow_alloc(own, 0x78, 16, NULL, NULL);
	if (!o || klp_shadow_get(own, 0x78) != o)
		return 0;
	klp_shadow_free(own, 0x78, NULL);
	return klp_shadow_get(own, 0x78) ? 0 : 1007;
}

static int livepatch_answer(int x)
{
	switch (x) {
	case 1: return kernel_scenario();
	case 2: return duplicate();
	case 3: return keep();
	case 4: return kept();
	case 7: return hammer_round();
	default: return x + 1000;
	}
}

static struct klp_func funcs[] = {
	{ .old_name = "answer", .new_func = livepatch_answer, },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.objs = objs,
};

KLP_PATCH(patch);
