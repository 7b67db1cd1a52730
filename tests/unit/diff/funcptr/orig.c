/* sort() hands qsort a pointer to cmp(), which the fix does not change:
 * the patch must point at the program's cmp(), not a copy. */
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int (*cmp_used)(const void *, const void *);

void sort(int *v, int n)
{
	cmp_used = cmp;
	qsort(v, (size_t)n, sizeof(*v), cmp);
}
