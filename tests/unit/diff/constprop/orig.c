/* scale() is only called with f == 7: GCC makes scale.constprop.0. */
static int __attribute__((noinline)) scale(int x, int f)
{
	for (int i = 0; i < f; i++)
		x = x * 3 + i;
	return x;
}

int use_scale(int x)
{
	return scale(x, 7) + scale(x + 1, 7);
}
