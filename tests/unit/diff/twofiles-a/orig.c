/* One fix across two files: a.c gets a new helper, b.c uses it. */
static int base = 3;

int a_value(void)
{
	return base;
}
