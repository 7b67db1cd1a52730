/* One fix across two files: a.c gets a new helper, b.c uses it. */
int a_value(void);

int b_total(int x)
{
	return a_value() + x;
}
