/* One fix across two files: a.c gets a new helper, b.c uses it. */
static int base = 3;

int a_value(void)
{
	return base + 1;
}

int a_bonus(int x)
{
	return x > 0 ? x * base : 0;
}
