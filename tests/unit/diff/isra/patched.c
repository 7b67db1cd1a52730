/* pick() becomes pick.isra.0 (the struct passed as the one field used). */
struct big { int a, b, c, d[16]; };

static int __attribute__((noinline)) pick(struct big *p, int k)
{
	return p->a * k + 2;
}

int use_pick(struct big *p)
{
	return pick(p, 3) + pick(p, 5);
}
